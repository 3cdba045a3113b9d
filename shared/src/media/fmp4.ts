/**
 * Just enough ISO-BMFF parsing for live fan-out: split a fragmented MP4
 * stream into the init segment (ftyp+moov) and fragments (moof+mdat), and tell
 * whether a fragment starts with a key frame, so a viewer who joins late is
 * fed from the next key frame (MSE cannot start decoding elsewhere). The
 * edge's live view splits ffmpeg's output with it, and the cloud's live relay
 * splits what the edge uploads: both feed their viewers by `Fmp4FanOut`.
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

/** Does a fragment (moof+mdat, as `Fragment.data`) start with a key frame? */
export function isKeyframeFragment(fragment: Buffer): boolean {
  if (fragment.length < 8 || fragment.toString('latin1', 4, 8) !== 'moof') return false;
  const size = fragment.readUInt32BE(0);
  return size <= fragment.length && firstSampleIsSync(fragment.subarray(0, size));
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

/**
 * The one rule for feeding a live stream to many viewers: each gets the init
 * segment first (at once when it is known, else when it arrives), then
 * fragments starting at the first key frame after it joined.
 */
export class Fmp4FanOut<V> {
  readonly #viewers = new Map<V, { started: boolean }>();
  readonly #splitter: Fmp4Splitter;

  /** `write(viewer, bytes)`: hand bytes to one viewer (never throws). */
  constructor(private readonly write: (viewer: V, chunk: Buffer) => void, onFragment?: (f: Fragment) => void) {
    this.#splitter = new Fmp4Splitter(
      (f) => {
        onFragment?.(f);
        for (const [v, state] of this.#viewers) {
          if (!state.started && !f.keyframe) continue;
          state.started = true;
          this.write(v, f.data);
        }
      },
      (init) => {
        for (const v of this.#viewers.keys()) this.write(v, init);
      },
    );
  }

  get init(): Buffer | undefined {
    return this.#splitter.init;
  }
  get size(): number {
    return this.#viewers.size;
  }
  viewers(): V[] {
    return [...this.#viewers.keys()];
  }

  /** Throws on a malformed box: the stream cannot be followed past it. */
  push(chunk: Buffer): void {
    this.#splitter.push(chunk);
  }

  add(viewer: V): void {
    this.#viewers.set(viewer, { started: false });
    if (this.#splitter.init) this.write(viewer, this.#splitter.init);
  }

  /** True when it was watching. */
  remove(viewer: V): boolean {
    return this.#viewers.delete(viewer);
  }
}

/** The video codec an init segment declares (its sample entry), for a client to choose before it plays. */
export function videoCodecOf(init: Buffer): 'h264' | 'h265' | 'unknown' {
  if (init.includes('avc1', 0, 'latin1') || init.includes('avc3', 0, 'latin1')) return 'h264';
  if (init.includes('hvc1', 0, 'latin1') || init.includes('hev1', 0, 'latin1')) return 'h265';
  return 'unknown';
}
