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

  constructor(opts: { maxInFlight: number; resendMs: number }) {
    this.#maxInFlight = opts.maxInFlight;
    this.#resendMs = opts.resendMs;
  }

  /** After hello: the receiver's watermark is the truth; anything sent past it is sent again. */
  reset(acked: number, now: number): void {
    this.acked = acked;
    this.sent = acked;
    this.#progressAt = now;
  }

  /** How many more items may be sent before an ack. */
  get room(): number {
    return Math.max(0, this.#maxInFlight - (this.sent - this.acked));
  }

  sentUpTo(seq: number, now: number): void {
    if (this.sent === this.acked) this.#progressAt = now;
    this.sent = Math.max(this.sent, seq);
  }

  /** Returns whether the ack moved the watermark (stale and duplicate acks do not). */
  ack(seq: number, now: number): boolean {
    if (seq <= this.acked) return false;
    this.acked = seq;
    this.sent = Math.max(this.sent, seq);
    this.#progressAt = now;
    return true;
  }

  /**
   * A batch or its ack was lost (the broker dropped it, the link broke between
   * publish and ack): rewind to the watermark so the next pump resends. The
   * receiver deduplicates, so an early resend costs only bandwidth.
   */
  rewindIfStalled(now: number): boolean {
    if (this.sent > this.acked && now - this.#progressAt >= this.#resendMs) {
      this.sent = this.acked;
      this.#progressAt = now;
      return true;
    }
    return false;
  }
}

/** Jittered exponential backoff: half fixed, half random, so a village of edges does not reconnect in step. */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
