/**
 * The village accounts the cloud learns from users sync (`up/users`) and the
 * phone API's sessions. A snapshot replaces the village's users whole, in one
 * transaction. Password hashes are read only by `passwordHash` (the login
 * check); nothing here returns them otherwise, and nothing logs them.
 */
import type { FailureLog } from './phone/rate-limit.ts';
import type { ReplyLog } from './phone/idempotency.ts';
import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import type { Role, UsersMessage } from '@cunbox/shared';
import { Statements } from './statements.ts';

export interface VillageUser {
  villageId: number;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  /** null: the role decides which cameras (cameraScope). */
  cameras: number[] | null;
}

export interface PhoneSession {
  villageId: number;
  user: VillageUser;
  expiresAt: number;
}

export interface AccountStore {
  /** Replaces the village's users unless an equal or newer snapshot is already here; ends the sessions of users removed, disabled or with a new password. */
  putUsers(villageId: number, edgeId: string, msg: UsersMessage): { applied: boolean; sessionsEnded: number };
  usersVersion(villageId: number): { version: string; at: number; edgeId: string; users: number } | undefined;
  user(villageId: number, username: string): VillageUser | undefined;
  /** Every synced user of the village, disabled ones too, by name (who may be picked is the caller's rule). */
  users(villageId: number): VillageUser[];
  /** Only for checking a login. */
  passwordHash(villageId: number, username: string): string | undefined;
  createSession(villageId: number, username: string, ttlMs: number): { token: string; expiresAt: number };
  /** The session's user if the token is known, unexpired, used within PHONE_SESSION_IDLE_MS and the account still enabled. */
  session(token: string): PhoneSession | undefined;
  endSession(token: string): void;
  /** Failed sign-ins, for the phone login limit (kept across restarts). */
  readonly loginFailures: FailureLog;
  /** First answers to phone requests that carried an Idempotency-Key (phone/idempotency.ts). */
  readonly phoneReplies: ReplyLog;
}

/**
 * A phone session unused this long ends (its absolute lifetime is set at sign-in):
 * a lost phone does not stay signed in for a week. Longer than the office's 30
 * minutes: a grid worker opens the app a few times a day.
 */
export const PHONE_SESSION_IDLE_MS = 24 * 3600_000;

/** Phone tokens start with this, so a leaked one is easy to recognise in a scan. */
export const PHONE_TOKEN_PREFIX = 'cbp_';
/** How long a newer snapshot shields against an older one arriving late (MQTT redelivery). */
const REORDER_WINDOW_MS = 5 * 60_000;

/** Whether a users snapshot must not replace the one held: the same one again, or an older one arriving late. */
export function usersSnapshotIsStale(current: { version: string; at: number; receivedAt: number } | undefined, msg: Pick<UsersMessage, 'version' | 'at'>, now: number): boolean {
  if (!current) return false;
  if (current.at === msg.at && current.version === msg.version) return true;
  // A redelivered older snapshot must not undo a newer one (re-enable a user). Only for a while: an
  // edge whose clock was set back must not be ignored until it catches up.
  return current.at > msg.at && now - current.receivedAt < REORDER_WINDOW_MS;
}

/**
 * Lower-cased names whose sessions survive a new snapshot. As on the edge: a new
 * password or a disabled account ends the sessions made with the old state.
 */
export function usersKeepingSessions(before: ReadonlyMap<string, { password_hash: string }>, users: UsersMessage['users']): Set<string> {
  const keep = new Set<string>();
  for (const u of users) {
    const was = before.get(u.username.toLowerCase());
    if (!u.disabled && (!was || was.password_hash === u.passwordHash)) keep.add(u.username.toLowerCase());
  }
  return keep;
}
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface UserRow {
  village_id: number;
  username: string;
  display_name: string | null;
  role: Role;
  disabled: number;
  cameras: string | null;
}
export const toUser = (r: UserRow): VillageUser => ({
  villageId: r.village_id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled === 1,
  cameras: r.cameras === null ? null : (JSON.parse(r.cameras) as number[]),
});
const USER_COLUMNS = 'village_id, username, display_name, role, disabled, cameras';

export class SqliteAccountStore implements AccountStore {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #now: () => number;

  /** `db` is migrated (migrations.ts): its tables exist. */
  constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#statements = new Statements(db);
    this.#now = now;
  }

  putUsers(villageId: number, edgeId: string, msg: UsersMessage): { applied: boolean; sessionsEnded: number } {
    return this.#db.transaction(() => {
      const current = this.#statements.sql('SELECT version, at, received_at AS receivedAt FROM village_users_versions WHERE village_id = ?').get(villageId) as { version: string; at: number; receivedAt: number } | undefined;
      if (usersSnapshotIsStale(current, msg, this.#now())) return { applied: false, sessionsEnded: 0 };
      const before = new Map(
        (this.#statements.sql('SELECT username, password_hash, disabled FROM village_users WHERE village_id = ?').all(villageId) as Array<{ username: string; password_hash: string; disabled: number }>).map((r) => [
          r.username.toLowerCase(),
          r,
        ]),
      );
      this.#statements.sql('DELETE FROM village_users WHERE village_id = ?').run(villageId);
      const insert = this.#statements.sql('INSERT OR REPLACE INTO village_users (village_id, username, display_name, role, password_hash, disabled, cameras) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const u of msg.users) insert.run(villageId, u.username, u.displayName, u.role, u.passwordHash, u.disabled ? 1 : 0, u.cameras === null ? null : JSON.stringify(u.cameras));
      const keep = usersKeepingSessions(before, msg.users);
      let sessionsEnded = 0;
      const sessions = this.#statements.sql('SELECT DISTINCT username FROM phone_sessions WHERE village_id = ?').all(villageId) as Array<{ username: string }>;
      const end = this.#statements.sql('DELETE FROM phone_sessions WHERE village_id = ? AND username = ?');
      for (const s of sessions) if (!keep.has(s.username.toLowerCase())) sessionsEnded += end.run(villageId, s.username).changes;
      this.#statements.sql('INSERT INTO village_users_versions (village_id, version, at, edge_id, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (village_id) DO UPDATE SET version = excluded.version, at = excluded.at, edge_id = excluded.edge_id, received_at = excluded.received_at')
        .run(villageId, msg.version, msg.at, edgeId, this.#now());
      return { applied: true, sessionsEnded };
    }).immediate();
  }

  usersVersion(villageId: number): { version: string; at: number; edgeId: string; users: number } | undefined {
    const r = this.#statements.sql('SELECT version, at, edge_id FROM village_users_versions WHERE village_id = ?').get(villageId) as { version: string; at: number; edge_id: string } | undefined;
    if (!r) return undefined;
    const { n } = this.#statements.sql('SELECT count(*) AS n FROM village_users WHERE village_id = ?').get(villageId) as { n: number };
    return { version: r.version, at: r.at, edgeId: r.edge_id, users: n };
  }

  user(villageId: number, username: string): VillageUser | undefined {
    const r = this.#statements.sql(`SELECT ${USER_COLUMNS} FROM village_users WHERE village_id = ? AND username = ?`).get(villageId, username) as UserRow | undefined;
    return r && toUser(r);
  }

  users(villageId: number): VillageUser[] {
    return (this.#statements.sql(`SELECT ${USER_COLUMNS} FROM village_users WHERE village_id = ? ORDER BY username`).all(villageId) as UserRow[]).map(toUser);
  }

  passwordHash(villageId: number, username: string): string | undefined {
    return (this.#statements.sql('SELECT password_hash FROM village_users WHERE village_id = ? AND username = ?').get(villageId, username) as { password_hash: string } | undefined)?.password_hash;
  }

  createSession(villageId: number, username: string, ttlMs: number): { token: string; expiresAt: number } {
    const token = PHONE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAt = now + ttlMs;
    this.#statements.sql('DELETE FROM phone_sessions WHERE expires_at <= ?').run(now);
    this.#statements.sql('INSERT INTO phone_sessions (token_hash, village_id, username, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)').run(sha256(token), villageId, username, now, expiresAt, now);
    return { token, expiresAt };
  }

  session(token: string): PhoneSession | undefined {
    if (!token.startsWith(PHONE_TOKEN_PREFIX)) return undefined;
    const now = this.#now();
    const hash = sha256(token);
    const r = this.#statements.sql(`SELECT s.expires_at, ${USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')} FROM phone_sessions s JOIN village_users u ON u.village_id = s.village_id AND u.username = s.username WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen > ?`)
      .get(hash, now, now - PHONE_SESSION_IDLE_MS) as (UserRow & { expires_at: number }) | undefined;
    if (!r || r.disabled) return undefined;
    this.#statements.sql('UPDATE phone_sessions SET last_seen = ? WHERE token_hash = ?').run(now, hash);
    return { villageId: r.village_id, user: toUser(r), expiresAt: r.expires_at };
  }

  endSession(token: string): void {
    this.#statements.sql('DELETE FROM phone_sessions WHERE token_hash = ?').run(sha256(token));
  }

  readonly loginFailures: FailureLog = {
    add: (key, at) => {
      this.#statements.sql('INSERT INTO phone_login_failures (key, at) VALUES (?, ?)').run(key, at);
      // Nothing older than a day matters to any window: keep the table small.
      this.#statements.sql('DELETE FROM phone_login_failures WHERE at < ?').run(at - 24 * 3600_000);
    },
    since: (key, since) => (this.#statements.sql('SELECT at FROM phone_login_failures WHERE key = ? AND at > ? ORDER BY at').all(key, since) as Array<{ at: number }>).map((r) => r.at),
    clear: (key) => void this.#statements.sql('DELETE FROM phone_login_failures WHERE key = ?').run(key),
  };

  readonly phoneReplies: ReplyLog = {
    get: (villageId, username, key, since) =>
      this.#statements.sql('SELECT route, status, body FROM phone_replies WHERE village_id = ? AND username = ? AND key = ? AND at > ?').get(villageId, username, key, since) as ReturnType<ReplyLog['get']>,
    put: (villageId, username, key, reply, at, prune) => {
      this.#statements.sql('INSERT OR IGNORE INTO phone_replies (village_id, username, key, route, status, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(villageId, username, key, reply.route, reply.status, reply.body, at);
      this.#statements.sql('DELETE FROM phone_replies WHERE at < ?').run(prune);
    },
  };
}
