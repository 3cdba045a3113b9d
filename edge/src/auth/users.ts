import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import { CunboxError } from '../errors.ts';
import { normalizeUsername, PASSWORD_POLICY, passwordProblems, ROLES, type Role } from '@cunbox/shared';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword, type ScryptCost } from './password.ts';
import { TemplatedError } from '../probe/problem.ts';

/** The roles live in shared/ (the cloud's phone API uses the same set); re-exported for the edge's modules. */
export { ROLES, type Role };

export interface User {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A row of the users table as SQLite returns it. */
export interface UserRow {
  id: number;
  username: string;
  display_name: string | null;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const MIN_PASSWORD_LENGTH = PASSWORD_POLICY.minLength;

/** The shared password policy, as this module's error. */
function checkPassword(password: string, username: string): void {
  const problems = passwordProblems(password, username);
  if (problems.length > 0) throw new CunboxError('INVALID_INPUT', problems.join('; '), problems);
}

/** Accounts of people who use the edge (dashboard, API, CLI). Password hashes never leave this class. */
export class UserStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #cost: ScryptCost | undefined;
  /**
   * `passwordCost`: the scrypt cost of new hashes; absent, the platform's (the
   * production cost). Test fixtures that make dozens of accounts pass a small one:
   * every hash carries its own cost, so logins verify them all the same.
   */
  constructor(deps: { db: Db; clock: Clock; passwordCost?: ScryptCost }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#cost = deps.passwordCost;
  }

  async create(input: { username: string; password: string; role: Role; displayName?: string | null }): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!/^[\p{L}\p{N}_.-]{2,32}$/u.test(username)) throw new CunboxError('INVALID_INPUT', 'username: 2–32 letters, digits, _ . -');
    if (!ROLES.includes(input.role)) throw new CunboxError('INVALID_INPUT', `role: must be one of ${ROLES.join(', ')}`);
    checkPassword(input.password, username);
    if (this.getByUsername(username)) throw new TemplatedError('CONFLICT', 'user "{name}" already exists', { name: username });
    const hash = await hashPassword(input.password, this.#cost);
    const now = this.#clock.now();
    const info = this.#db
      .prepare('INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(username, input.displayName ?? null, input.role, hash, now, now);
    return this.get(Number(info.lastInsertRowid))!;
  }

  async setPassword(id: number, password: string): Promise<void> {
    const user = this.get(id);
    if (!user) throw new CunboxError('NOT_FOUND', `no user with id ${id}`);
    checkPassword(password, user.username);
    const hash = await hashPassword(password, this.#cost);
    const info = this.#db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(hash, this.#clock.now(), id);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no user with id ${id}`);
  }

  /** The user, if the password is right and the account enabled; undefined otherwise (no hint which). */
  async verify(username: string, password: string): Promise<User | undefined> {
    const row = this.#db.prepare('SELECT * FROM users WHERE username = ?').get(normalizeUsername(username)) as UserRow | undefined;
    if (!row || row.disabled) {
      // Same work either way, so timing does not reveal which usernames exist.
      await verifyPassword(password, DUMMY_PASSWORD_HASH);
      return undefined;
    }
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : undefined;
  }

  get(id: number): User | undefined {
    const r = this.#db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return r && toUser(r);
  }

  /** By name as typed (full-width forms, surrounding spaces and case do not matter). */
  getByUsername(username: string): User | undefined {
    const r = this.#db.prepare('SELECT * FROM users WHERE username = ?').get(normalizeUsername(username)) as UserRow | undefined;
    return r && toUser(r);
  }

  list(): User[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
  }

  /** Changes role, display name or the disabled flag; only the fields given. */
  update(id: number, patch: { role?: Role; displayName?: string | null; disabled?: boolean }): User {
    if (patch.role !== undefined && !ROLES.includes(patch.role)) throw new CunboxError('INVALID_INPUT', `role: must be one of ${ROLES.join(', ')}`);
    const current = this.get(id);
    if (!current) throw new CunboxError('NOT_FOUND', `no user with id ${id}`);
    this.#db
      .prepare('UPDATE users SET role = ?, display_name = ?, disabled = ?, updated_at = ? WHERE id = ?')
      .run(patch.role ?? current.role, patch.displayName === undefined ? current.displayName : patch.displayName, (patch.disabled ?? current.disabled) ? 1 : 0, this.#clock.now(), id);
    return this.get(id)!;
  }

  setDisabled(id: number, disabled: boolean): void {
    const info = this.#db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?').run(disabled ? 1 : 0, this.#clock.now(), id);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no user with id ${id}`);
  }
}
