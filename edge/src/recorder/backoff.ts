/**
 * Restart pacing for one camera: exponential backoff with jitter, plus a
 * failure budget (at most `budget` starts per `windowMs`) so that a camera
 * that connects and drops at once cannot cause a spawn storm.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  budget: number;
  windowMs: number;
}

export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #attempt = 0;
  #starts: number[] = [];

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Call when a run proved healthy; the next failure starts from base again. */
  reset(): void {
    this.#attempt = 0;
  }

  recordStart(now: number): void {
    this.#starts.push(now);
  }

  /** Delay before the next start, at time `now`, for a failure whose floor is `minMs`. */
  next(now: number, minMs = 0): number {
    const { baseMs, maxMs, budget, windowMs } = this.#policy;
    const exp = Math.min(maxMs, baseMs * 2 ** this.#attempt);
    this.#attempt++;
    // "Equal jitter": half fixed, half random, so delays never collapse to 0.
    let delay = Math.max(minMs, exp / 2 + (this.#random() * exp) / 2);
    this.#starts = this.#starts.filter((t) => now - t < windowMs);
    if (this.#starts.length >= budget) {
      const oldest = this.#starts[0]!;
      delay = Math.max(delay, oldest + windowMs - now);
    }
    return Math.round(delay);
  }
}
