/**
 * Just enough ISO-BMFF parsing for live fan-out: split ffmpeg's fragmented MP4
 * output into the init segment (ftyp+moov) and fragments (moof+mdat), and tell
 * whether a fragment starts with a key frame, so a viewer who joins late is
 * fed from the next key frame (MSE cannot start decoding elsewhere).
 */
export interface Fragment {
  data: Buffer;
  keyframe: boolean;
}

export class Fmp4Splitter {
  #buf: Buffer = Buffer.alloc(0);
  #init: Buffer[] = [];
  #initDone = false;
  #moof: Buffer | undefined;
  init: Buffer | undefined;

  constructor(private readonly onFragment: (f: Fragment) => void, private readonly onInit: (init: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      if (this.#buf.length < 8) return;
      let size = this.#buf.readUInt32BE(0);
      const type = this.#buf.toString('latin1', 4, 8);
      let header = 8;
      if (size === 1) {
        if (this.#buf.length < 16) return;
        size = Number(this.#buf.readBigUInt64BE(8));
        header = 16;
      }
      if (size < header) throw new Error(`bad MP4 box size ${size} for ${type}`);
      if (this.#buf.length < size) return;
      const box = this.#buf.subarray(0, size);
      this.#buf = this.#buf.subarray(size);
      this.#box(type, box);
    }
  }

  #box(type: string, box: Buffer): void {
    if (!this.#initDone) {
      if (type === 'moof') {
        this.#initDone = true;
        this.init = Buffer.concat(this.#init);
        this.onInit(this.init);
      } else {
        this.#init.push(Buffer.from(box));
        return;
      }
    }
    if (type === 'moof') this.#moof = Buffer.from(box);
    else if (type === 'mdat' && this.#moof) {
      this.onFragment({ data: Buffer.concat([this.#moof, box]), keyframe: firstSampleIsSync(this.#moof) });
      this.#moof = undefined;
    }
  }
}

/** Reads moof → traf → tfhd/trun sample flags: is the fragment's first sample a sync sample? */
function firstSampleIsSync(moof: Buffer): boolean {
  let defaultFlags: number | undefined;
  for (const [type, body] of children(moof, 8)) {
    if (type !== 'traf') continue;
    for (const [t, b] of children(body, 0)) {
      if (t === 'tfhd') {
        const flags = b.readUInt32BE(0) & 0xffffff;
        let off = 8; // version/flags + track_ID
        if (flags & 0x1) off += 8;
        if (flags & 0x2) off += 4;
        if (flags & 0x8) off += 4;
        if (flags & 0x10) off += 4;
        if (flags & 0x20) defaultFlags = b.readUInt32BE(off);
      } else if (t === 'trun') {
        const flags = b.readUInt32BE(0) & 0xffffff;
        let off = 8; // version/flags + sample_count
        if (flags & 0x1) off += 4;
        if (flags & 0x4) return (b.readUInt32BE(off) & 0x10000) === 0;
        off += (flags & 0x4 ? 4 : 0);
        if (flags & 0x100) off += 4;
        if (flags & 0x200) off += 4;
        if (flags & 0x400) return (b.readUInt32BE(off) & 0x10000) === 0;
        return defaultFlags === undefined ? false : (defaultFlags & 0x10000) === 0;
      }
    }
  }
  return false;
}

function* children(box: Buffer, start: number): Generator<[string, Buffer]> {
  let off = start;
  while (off + 8 <= box.length) {
    const size = box.readUInt32BE(off);
    const type = box.toString('latin1', off + 4, off + 8);
    if (size < 8 || off + size > box.length) return;
    yield [type, box.subarray(off + 8, off + size)];
    off += size;
  }
}
