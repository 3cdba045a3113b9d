/**
 * Splits an Annex B H.264 / H.265 byte stream (as the still feed copies it)
 * into access units, each marked key or not, so Node can keep the pictures
 * since the last key frame and hand them to a decoder that starts mid-stream.
 *
 * An access unit ends where the next one begins: at an access unit delimiter,
 * parameter set or SEI that follows a picture, or at a picture's first slice
 * (first_mb_in_slice 0 / first_slice_segment_in_pic_flag). The last unit is
 * therefore returned when the next one starts. Delimiters are left out of the
 * units: the feeder writes its own after each unit (see `accessUnitDelimiter`).
 */
export type VideoCodec = 'h264' | 'hevc';

export interface AccessUnit {
  data: Buffer;
  key: boolean;
}

const START = Buffer.from([0, 0, 1]);
/** Units are never this big on a sub stream; a stream without start codes is not Annex B. */
const MAX_PENDING = 4 * 1024 * 1024;

/**
 * Written after each unit: the raw-stream parser holds a unit back until it
 * sees the next one begin, and a delimiter is a beginning (primary_pic_type 7:
 * any slice type; HEVC pic_type 2).
 */
export function accessUnitDelimiter(codec: VideoCodec): Buffer {
  return codec === 'h264' ? H264_AUD : HEVC_AUD;
}

const H264_AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
const HEVC_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

type NalKind = 'aud' | 'prefix' | 'first-slice' | 'slice' | 'other';

function classify(codec: VideoCodec, b: Buffer, at: number): { kind: NalKind; key: boolean } {
  if (codec === 'h264') {
    const t = b[at]! & 0x1f;
    if (t === 9) return { kind: 'aud', key: false };
    if (t === 6 || t === 7 || t === 8 || (t >= 14 && t <= 18)) return { kind: 'prefix', key: false };
    if (t === 1 || t === 5) return { kind: (b[at + 1]! & 0x80) !== 0 ? 'first-slice' : 'slice', key: t === 5 };
    return { kind: 'other', key: false };
  }
  const t = (b[at]! >> 1) & 0x3f;
  if (t === 35) return { kind: 'aud', key: false };
  if (t === 32 || t === 33 || t === 34 || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55)) return { kind: 'prefix', key: false };
  if (t <= 31) return { kind: (b[at + 2]! & 0x80) !== 0 ? 'first-slice' : 'slice', key: t >= 16 && t <= 21 };
  return { kind: 'other', key: false };
}

export class AccessUnitSplitter {
  readonly #codec: VideoCodec;
  #pending: Buffer = Buffer.alloc(0);
  /** Where the current unit starts in #pending, and what it holds so far. */
  #unitStart = -1;
  #hasPicture = false;
  #key = false;
  /** Next byte to look for a start code at. */
  #scan = 0;

  constructor(codec: VideoCodec) {
    this.#codec = codec;
  }

  push(chunk: Buffer): AccessUnit[] {
    const out: AccessUnit[] = [];
    // The still feed writes one packet, i.e. one access unit, per chunk: the open unit then
    // ends exactly where this chunk begins, and is handed on as it is, without a copy.
    if (this.#endsAtChunkStart(chunk)) {
      out.push({ data: this.#pending, key: this.#key });
      this.#pending = Buffer.alloc(0);
      this.#unitStart = -1;
      this.#hasPicture = false;
      this.#key = false;
      this.#scan = 0;
    }
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const b = this.#pending;
    for (;;) {
      const sc = b.indexOf(START, this.#scan);
      // The header (and for a slice, the byte after it) must be here to classify the unit.
      if (sc < 0 || sc + 5 >= b.length) break;
      const nal = sc + 3;
      this.#scan = nal;
      const nalStart = sc > 0 && b[sc - 1] === 0 ? sc - 1 : sc;
      const { kind, key } = classify(this.#codec, b, nal);
      const begins = kind === 'aud' || kind === 'prefix' || kind === 'first-slice';
      if (begins && this.#hasPicture) {
        out.push({ data: b.subarray(this.#unitStart, nalStart), key: this.#key });
        this.#unitStart = -1;
        this.#hasPicture = false;
        this.#key = false;
      }
      if (kind === 'aud') continue;
      if (this.#unitStart < 0) this.#unitStart = nalStart;
      if (kind === 'first-slice' || kind === 'slice') this.#hasPicture = true;
      if (key) this.#key = true;
    }
    // Keep only what the open unit needs (and a possible start code cut in two).
    const keepFrom = this.#unitStart >= 0 ? this.#unitStart : Math.max(0, Math.min(this.#scan, b.length - 5));
    if (keepFrom > 0) {
      // A view, not a copy: the units handed out are views of the same memory anyway.
      this.#pending = b.subarray(keepFrom);
      this.#scan -= keepFrom;
      if (this.#unitStart >= 0) this.#unitStart -= keepFrom;
    }
    if (this.#pending.length > MAX_PENDING) throw new Error('no access unit boundary in 4 MiB: not an Annex B stream');
    return out;
  }

  /**
   * Whether all that is pending is one whole unit (a picture, from its first byte, every
   * start code in it classified) and `chunk` opens the next: it starts with a start code whose
   * NAL begins a unit. Pending's last byte must not be 0, so no start code straddles the two.
   */
  #endsAtChunkStart(chunk: Buffer): boolean {
    const p = this.#pending;
    if (p.length === 0 || !this.#hasPicture || this.#unitStart !== 0 || p[p.length - 1] === 0) return false;
    if (p.indexOf(START, this.#scan) >= 0) return false;
    const at = chunk[0] === 0 && chunk[1] === 0 && chunk[2] === 1 ? 3 : chunk[0] === 0 && chunk[1] === 0 && chunk[2] === 0 && chunk[3] === 1 ? 4 : -1;
    if (at < 0 || at + 2 >= chunk.length) return false;
    const { kind } = classify(this.#codec, chunk, at);
    return kind === 'aud' || kind === 'prefix' || kind === 'first-slice';
  }
}
