/**
 * The sender's view of one stream (ops of one origin, or events): what the
 * receiver acknowledged as committed, what has been sent past that, and when
 * the last progress was seen. Both edge and cloud send through one of these,
 * so "bounded in flight" and "resend after a stall" mean the same on each side.
 */
export class SendWindow {
  acked = 0;
  sent = 0;
  #progressAt = 0;
  readonly #maxInFlight: number;
  readonly #resendMs: number;
  /**
   * How long without progress counts as a stall: `resendMs`, or twice the longest an ack
   * was recently seen to take (a slow link: each batch needs seconds to pass, and resending
   * it all then would only fill the link with copies), doubled after each rewind that
   * brought nothing; at most 16 × `resendMs`.
   */
  #stallMs: number;
  /** After a rewind one batch (of at most this many items) goes out again until an ack shows the link moves, not the whole window. */
  readonly #probe: number;
  #probing = false;

  constructor(opts: { maxInFlight: number; resendMs: number; batch?: number }) {
    this.#maxInFlight = opts.maxInFlight;
    this.#resendMs = opts.resendMs;
    this.#stallMs = opts.resendMs;
    this.#probe = Math.min(opts.batch ?? opts.maxInFlight, opts.maxInFlight);
  }

  /** After hello: the receiver's watermark is the truth; anything sent past it is sent again. */
  reset(acked: number, now: number): void {
    this.acked = acked;
    this.sent = acked;
    this.#progressAt = now;
    this.#stallMs = this.#resendMs;
    this.#probing = false;
  }

  /** The current stall timeout (for tests and status). */
  get stallMs(): number {
    return this.#stallMs;
  }

  /** How many more items may be sent before an ack. */
  get room(): number {
    if (this.#probing) return this.sent === this.acked ? this.#probe : 0;
    return Math.max(0, this.#maxInFlight - (this.sent - this.acked));
  }

  sentUpTo(seq: number, now: number): void {
    if (this.sent === this.acked) this.#progressAt = now;
    this.sent = Math.max(this.sent, seq);
  }

  /** Returns whether the ack moved the watermark (stale and duplicate acks do not). */
  ack(seq: number, now: number): boolean {
    if (seq <= this.acked) return false;
    this.#stallMs = this.#capped(Math.max(this.#resendMs, 2 * (now - this.#progressAt)));
    this.acked = seq;
    this.sent = Math.max(this.sent, seq);
    this.#progressAt = now;
    this.#probing = false;
    return true;
  }

  /**
   * A batch or its ack was lost (the broker dropped it, the link broke between
   * publish and ack): rewind to the watermark so the next pump resends, one
   * batch until an ack shows the link moves. The receiver deduplicates, so an
   * early resend costs only bandwidth.
   */
  rewindIfStalled(now: number): boolean {
    if (this.sent > this.acked && now - this.#progressAt >= this.#stallMs) {
      this.sent = this.acked;
      this.#progressAt = now;
      this.#stallMs = this.#capped(2 * this.#stallMs);
      this.#probing = true;
      return true;
    }
    return false;
  }

  #capped(ms: number): number {
    return Math.min(ms, 16 * this.#resendMs);
  }
}

/** Jittered exponential backoff: half fixed, half random, so a village of edges does not reconnect in step. */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * A batch's bytes are capped as well as its count: a batch must stay under the protocol's
 * MAX_PAYLOAD_BYTES (the receiver dead-letters a larger one, and the sender would resend it
 * for ever), and on a slow uplink (64 KiB/s) one batch must pass well within `resendMs`, or
 * every batch looks stalled and is sent again. 64 KiB is a second at 64 KiB/s.
 */
export const MAX_BATCH_BYTES = 64 * 1024;

/** The longest prefix of `items` whose JSON fits in `maxBytes`; at least one item. */
export function fitBatch<T>(items: readonly T[], maxBytes: number = MAX_BATCH_BYTES): T[] {
  let size = 32; // the envelope: {"v":1,"ops":[…]} or {"v":1,"after":…,"events":[…]}
  for (let i = 0; i < items.length; i++) {
    size += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (size > maxBytes && i > 0) return items.slice(0, i);
  }
  return [...items];
}
