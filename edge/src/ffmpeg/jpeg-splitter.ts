const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

/**
 * Splits ffmpeg's `image2pipe` MJPEG output into pictures. Each JPEG ends with
 * FF D9; inside the entropy-coded data 0xFF is always stuffed, so the first
 * FF D9 after FF D8 is the end.
 */
export class JpegSplitter {
  #pending: Buffer = Buffer.alloc(0);

  /** The pictures this chunk completed, each its own copy. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const end = this.#pending.indexOf(EOI);
      if (end < 0) break;
      const start = this.#pending.indexOf(SOI);
      out.push(Buffer.from(this.#pending.subarray(Math.max(0, start), end + 2)));
      this.#pending = this.#pending.subarray(end + 2);
    }
    return out;
  }
}
