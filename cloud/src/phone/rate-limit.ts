/**
 * Failed-login limits for the phone API: per account (guessing one person's
 * password) and per address (trying many accounts). Failures in a sliding
 * window; once over, even a right password is refused until the window has
 * moved on. In memory: a restart forgets, which costs an attacker little time
 * and keeps the check off the database.
 */
export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}
export const defaultLoginLimits: LoginLimits = { perAccount: 5, perAddress: 30, windowMs: 15 * 60_000 };

/** Bounds memory under a flood of made-up usernames: the oldest keys go first. */
const MAX_KEYS = 10_000;

export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => number;
  readonly #failures = new Map<string, number[]>();

  constructor(opts: { now: () => number; limits?: Partial<LoginLimits> }) {
    this.#now = opts.now;
    this.#limits = { ...defaultLoginLimits, ...opts.limits };
  }

  /** Milliseconds until a login may be tried again, or 0. */
  wait(account: string, address: string): number {
    return Math.max(this.#waitFor(`a:${account}`, this.#limits.perAccount), this.#waitFor(`ip:${address}`, this.#limits.perAddress));
  }

  fail(account: string, address: string): void {
    for (const key of [`a:${account}`, `ip:${address}`]) {
      const list = this.#recent(key);
      list.push(this.#now());
      this.#failures.delete(key);
      this.#failures.set(key, list);
    }
    while (this.#failures.size > MAX_KEYS) this.#failures.delete(this.#failures.keys().next().value!);
  }

  /** A right password clears the account's failures (not the address's: one good account must not unlock guessing others). */
  succeed(account: string): void {
    this.#failures.delete(`a:${account}`);
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#limits.windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > since);
  }

  #waitFor(key: string, max: number): number {
    const list = this.#recent(key);
    if (list.length < max) return 0;
    return list[list.length - max]! + this.#limits.windowMs - this.#now();
  }
}
