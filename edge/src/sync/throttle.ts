/**
 * The media upload bandwidth cap: one token bucket shared by every request of
 * the uploader, so the cap holds across chunks, retries and resumed uploads
 * (a per-request limit would let a retry storm exceed it).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Clock } from '../clock.ts';

export class TokenBucket {
  readonly #clock: Clock;
  /** Bytes per millisecond. */
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * `bytesPerSecond` ≤ 0: no cap. `burstBytes`: what may go at once after a
   * pause (default: a tenth of a second's worth, at least 16 KiB so a slow
   * cap does not mean a timer per few bytes). Over any window of T seconds
   * at most rate × T + burst bytes pass.
   */
  constructor(deps: { clock: Clock; bytesPerSecond: number; burstBytes?: number }) {
    this.#clock = deps.clock;
    this.#rate = deps.bytesPerSecond / 1000;
    this.#burst = Math.max(1, Math.floor(deps.burstBytes ?? Math.max(16 * 1024, deps.bytesPerSecond / 10)));
    this.#tokens = this.#burst;
    this.#at = deps.clock.now();
  }

  get unlimited(): boolean {
    return this.#rate <= 0;
  }

  /** The largest piece a stream hands to the socket at once: never more than a burst. */
  get piece(): number {
    return this.unlimited ? Number.POSITIVE_INFINITY : this.#burst;
  }

  /**
   * Takes `n` bytes' worth of tokens now, going into debt if need be, and
   * says how long to wait before sending them. Debt carries over, so the
   * average over any window stays at the rate.
   */
  reserve(n: number): number {
    if (this.unlimited) return 0;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
    this.#tokens -= n;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.#rate);
  }
}

/** Passes bytes through at the bucket's pace; backpressure holds the reader while it waits. */
export class ThrottleStream extends Transform {
  readonly #bucket: TokenBucket;
  readonly #clock: Clock;
  #timer: unknown;
  /** Carried over from the source stream, so the HTTP request keeps its Content-Length. */
  size: number | undefined;

  constructor(bucket: TokenBucket, clock: Clock) {
    super();
    this.#bucket = bucket;
    this.#clock = clock;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#bucket.unlimited) return done(null, chunk);
    const next = (off: number): void => {
      if (off >= chunk.length || this.destroyed) return done();
      const piece = chunk.subarray(off, off + this.#bucket.piece);
      const wait = this.#bucket.reserve(piece.length);
      const send = (): void => {
        this.#timer = undefined;
        if (this.destroyed) return done();
        this.push(piece);
        next(off + piece.length);
      };
      if (wait === 0) send();
      else this.#timer = this.#clock.setTimeout(send, wait);
    };
    next(0);
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    cb(err);
  }
}

/** upload_kbps (kilobits per second, as links are sold) to bytes per second. */
export const kbpsToBytesPerSecond = (kbps: number): number => (kbps * 1000) / 8;
