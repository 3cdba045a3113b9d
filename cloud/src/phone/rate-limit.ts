/**
 * Failed-login limits: per account (guessing one person's password) and per
 * address (trying many accounts). Failures in a sliding window; once over,
 * even a right password is refused until the window has moved on. Where the
 * failures are kept is the caller's choice: the phone sign-in keeps them in the
 * database, so a restart does not hand an attacker a fresh count (等保 2.0);
 * the edges' broker logins keep them in memory, off the database's path.
 */
export interface LoginLimits {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}
const defaultLoginLimits: LoginLimits = { perAccount: 5, perAddress: 30, windowMs: 15 * 60_000 };

/** Where failures are counted: times of failure per key (in memory, or the database's answers as Promises). */
export interface FailureLog {
  add(key: string, at: number): void;
  /** Failure times of `key` after `since`, oldest first. */
  since(key: string, since: number): number[];
  clear(key: string): void;
}

/** The same, kept in a server database: each call answers later. */
export interface AsyncFailureLog {
  add(key: string, at: number): Promise<void>;
  since(key: string, since: number): Promise<number[]>;
  clear(key: string): Promise<void>;
}

/** Bounds memory under a flood of made-up usernames: the oldest keys go first. */
const MAX_KEYS = 10_000;

/** Failures in memory (a restart forgets them). */
class MemoryFailureLog implements FailureLog {
  readonly #failures = new Map<string, number[]>();
  add(key: string, at: number): void {
    const list = [...(this.#failures.get(key) ?? []), at];
    this.#failures.delete(key);
    this.#failures.set(key, list);
    while (this.#failures.size > MAX_KEYS) this.#failures.delete(this.#failures.keys().next().value!);
  }
  since(key: string, since: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => t > since);
  }
  clear(key: string): void {
    this.#failures.delete(key);
  }
}

export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => number;
  readonly #log: FailureLog | AsyncFailureLog;

  constructor(opts: { now: () => number; limits?: Partial<LoginLimits>; log?: FailureLog | AsyncFailureLog }) {
    this.#now = opts.now;
    this.#limits = { ...defaultLoginLimits, ...opts.limits };
    this.#log = opts.log ?? new MemoryFailureLog();
  }

  /** Milliseconds until a login may be tried again, or 0. */
  async wait(account: string, address: string): Promise<number> {
    return Math.max(await this.#waitFor(`a:${account}`, this.#limits.perAccount), await this.#waitFor(`ip:${address}`, this.#limits.perAddress));
  }

  async fail(account: string, address: string): Promise<void> {
    const now = this.#now();
    for (const key of [`a:${account}`, `ip:${address}`]) await this.#log.add(key, now);
  }

  /** A right password clears the account's failures (not the address's: one good account must not unlock guessing others). */
  async succeed(account: string): Promise<void> {
    await this.#log.clear(`a:${account}`);
  }

  async #waitFor(key: string, max: number): Promise<number> {
    const list = await this.#log.since(key, this.#now() - this.#limits.windowMs);
    if (list.length < max) return 0;
    return list[list.length - max]! + this.#limits.windowMs - this.#now();
  }
}
