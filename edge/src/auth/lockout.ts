import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';

export interface LockoutLimits {
  /** Failures of one account (or one unknown name) within windowMs before it is locked. */
  perAccount: number;
  /** Failures from one address within windowMs (many names tried) before it is locked. */
  perAddress: number;
  windowMs: number;
  /** The first lockout; each further one of the same key lasts twice as long, up to maxLockMs. */
  lockMs: number;
  maxLockMs: number;
}

const defaultLockoutLimits: LockoutLimits = { perAccount: 5, perAddress: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000, maxLockMs: 24 * 3600_000 };

interface FailureRow {
  failures: number;
  window_start: number;
  locked_until: number | null;
  locks: number;
}

/**
 * Failed-login counting and lockout, kept in SQLite (login_failures) so a
 * restart does not reset it. Keys are the resolved account ('user:<id>') or,
 * for a name without an account, 'name:<normalised name>' (so a guesser
 * learns nothing from which names lock), and the address ('ip:<address>').
 */
export class LoginLockout {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #limits: LockoutLimits;
  constructor(deps: { db: Db; clock: Clock; limits?: Partial<LockoutLimits> }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#limits = { ...defaultLockoutLimits, ...deps.limits };
  }

  /** Milliseconds until a login for this account from this address may be tried, or 0. */
  wait(account: string, address: string): number {
    const now = this.#clock.now();
    let wait = 0;
    for (const key of [account, address]) {
      const row = this.#row(key);
      if (row?.locked_until && row.locked_until > now) wait = Math.max(wait, row.locked_until - now);
    }
    return wait;
  }

  fail(account: string, address: string): void {
    const now = this.#clock.now();
    this.#db.transaction(() => {
      this.#count(account, this.#limits.perAccount, now);
      this.#count(address, this.#limits.perAddress, now);
      // Rows nobody is counting or locked by any more: a flood of made-up names does not grow the table.
      const keep = Math.max(this.#limits.windowMs, this.#limits.maxLockMs);
      this.#db.prepare('DELETE FROM login_failures WHERE last_at < ? AND (locked_until IS NULL OR locked_until < ?)').run(now - keep, now);
    })();
  }

  /** A right password clears the account's record, not the address's (one good account must not unlock guessing others). */
  succeed(account: string): void {
    this.#db.prepare('DELETE FROM login_failures WHERE key = ?').run(account);
  }

  /** Ends a lockout early (an admin who has checked with the user). */
  clear(account: string): void {
    this.succeed(account);
  }

  #row(key: string): FailureRow | undefined {
    return this.#db.prepare('SELECT failures, window_start, locked_until, locks FROM login_failures WHERE key = ?').get(key) as FailureRow | undefined;
  }

  #count(key: string, max: number, now: number): void {
    const row = this.#row(key);
    const fresh = !row || now - row.window_start >= this.#limits.windowMs;
    const failures = (fresh ? 0 : row.failures) + 1;
    let windowStart = fresh ? now : row.window_start;
    let lockedUntil = row?.locked_until ?? null;
    let locks = row?.locks ?? 0;
    let count = failures;
    if (failures >= max) {
      lockedUntil = now + Math.min(this.#limits.lockMs * 2 ** locks, this.#limits.maxLockMs);
      locks += 1;
      count = 0;
      windowStart = now;
    }
    this.#db
      .prepare(
        `INSERT INTO login_failures (key, failures, window_start, locked_until, locks, last_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until, locks = excluded.locks, last_at = excluded.last_at`,
      )
      .run(key, count, windowStart, lockedUntil, locks, now);
  }
}
