/**
 * Village accounts and phone sessions (../accounts.ts) on PostgreSQL. Sessions
 * and failed sign-ins live in the database, so any worker serves any phone and
 * a lockout holds across workers and restarts. Names match without case.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { UsersMessage } from '@cunbox/shared';
import { PHONE_SESSION_IDLE_MS, PHONE_TOKEN_PREFIX, toUser, usersKeepingSessions, usersSnapshotIsStale, type PhoneSession, type UserRow, type VillageUser } from '../accounts.ts';
import type { AsyncAccountStore, AsyncFailureLog, AsyncReplyLog } from '../store-async.ts';
import { inTransaction, type PgPool } from './database.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
/** The columns toUser reads, with the flag as SQLite gives it. */
const USER_COLUMNS = 'u.village_id, u.username, u.display_name, u.role, u.disabled::int AS disabled, u.cameras';

export class PgAccountStore implements AsyncAccountStore {
  readonly #pool: PgPool;
  readonly #now: () => number;

  constructor(pool: PgPool, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  async putUsers(villageId: number, edgeId: string, msg: UsersMessage): Promise<{ applied: boolean; sessionsEnded: number }> {
    return inTransaction(this.#pool, async (c) => {
      // Two workers with two snapshots of one village: the second waits, then sees the first's version.
      await c.query('SELECT 1 FROM villages WHERE id = $1 FOR UPDATE', [villageId]);
      const current = (await c.query<{ version: string; at: number; receivedAt: number }>('SELECT version, at, received_at AS "receivedAt" FROM village_users_versions WHERE village_id = $1', [villageId])).rows[0];
      if (usersSnapshotIsStale(current, msg, this.#now())) return { applied: false, sessionsEnded: 0 };
      const before = new Map(
        (await c.query<{ username: string; password_hash: string }>('SELECT username, password_hash FROM village_users WHERE village_id = $1', [villageId])).rows.map((r) => [r.username.toLowerCase(), r]),
      );
      await c.query('DELETE FROM village_users WHERE village_id = $1', [villageId]);
      // The last of two spellings of one name wins, as SQLite's INSERT OR REPLACE does.
      const users = [...new Map(msg.users.map((u) => [u.username.toLowerCase(), u])).values()];
      await c.query(
        `INSERT INTO village_users (village_id, username, display_name, role, password_hash, disabled, cameras)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])`,
        [
          villageId,
          users.map((u) => u.username),
          users.map((u) => u.displayName),
          users.map((u) => u.role),
          users.map((u) => u.passwordHash),
          users.map((u) => u.disabled),
          users.map((u) => (u.cameras === null ? null : JSON.stringify(u.cameras))),
        ],
      );
      const keep = [...usersKeepingSessions(before, msg.users)];
      const ended = await c.query('DELETE FROM phone_sessions WHERE village_id = $1 AND NOT (lower(username) = ANY($2::text[]))', [villageId, keep]);
      await c.query(
        `INSERT INTO village_users_versions (village_id, version, at, edge_id, received_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (village_id) DO UPDATE SET version = excluded.version, at = excluded.at, edge_id = excluded.edge_id, received_at = excluded.received_at`,
        [villageId, msg.version, msg.at, edgeId, this.#now()],
      );
      return { applied: true, sessionsEnded: ended.rowCount ?? 0 };
    });
  }

  async usersVersion(villageId: number): Promise<{ version: string; at: number; edgeId: string; users: number } | undefined> {
    return (
      await this.#pool.query<{ version: string; at: number; edgeId: string; users: number }>(
        'SELECT v.version, v.at, v.edge_id AS "edgeId", (SELECT count(*) FROM village_users u WHERE u.village_id = v.village_id) AS users FROM village_users_versions v WHERE v.village_id = $1',
        [villageId],
      )
    ).rows[0];
  }

  async user(villageId: number, username: string): Promise<VillageUser | undefined> {
    const r = (await this.#pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM village_users u WHERE u.village_id = $1 AND lower(u.username) = lower($2)`, [villageId, username])).rows[0];
    return r && toUser(r);
  }

  async users(villageId: number): Promise<VillageUser[]> {
    // Ordered as SQLite orders text (by code point), so both backends list the same way.
    return (await this.#pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM village_users u WHERE u.village_id = $1 ORDER BY u.username COLLATE "C"`, [villageId])).rows.map(toUser);
  }

  async passwordHash(villageId: number, username: string): Promise<string | undefined> {
    return (await this.#pool.query<{ password_hash: string }>('SELECT password_hash FROM village_users WHERE village_id = $1 AND lower(username) = lower($2)', [villageId, username])).rows[0]?.password_hash;
  }

  async createSession(villageId: number, username: string, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = PHONE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAt = now + ttlMs;
    await this.#pool.query('DELETE FROM phone_sessions WHERE expires_at <= $1', [now]);
    await this.#pool.query('INSERT INTO phone_sessions (token_hash, village_id, username, created_at, expires_at, last_seen) VALUES ($1, $2, $3, $4, $5, $4)', [
      sha256(token),
      villageId,
      username,
      now,
      expiresAt,
    ]);
    return { token, expiresAt };
  }

  async session(token: string): Promise<PhoneSession | undefined> {
    if (!token.startsWith(PHONE_TOKEN_PREFIX)) return undefined;
    const now = this.#now();
    // One statement: touching last_seen and reading the user happen together on whichever worker serves the phone.
    const r = (
      await this.#pool.query<UserRow & { expires_at: number }>(
        `UPDATE phone_sessions s SET last_seen = $2 FROM village_users u
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen > $3 AND u.village_id = s.village_id AND lower(u.username) = lower(s.username) AND NOT u.disabled
         RETURNING s.expires_at, ${USER_COLUMNS}`,
        [sha256(token), now, now - PHONE_SESSION_IDLE_MS],
      )
    ).rows[0];
    return r ? { villageId: r.village_id, user: toUser(r), expiresAt: r.expires_at } : undefined;
  }

  async endSession(token: string): Promise<void> {
    await this.#pool.query('DELETE FROM phone_sessions WHERE token_hash = $1', [sha256(token)]);
  }

  readonly loginFailures: AsyncFailureLog = {
    add: async (key, at) => {
      await this.#pool.query('INSERT INTO phone_login_failures (key, at) VALUES ($1, $2)', [key, at]);
      // Nothing older than a day matters to any window: keep the table small.
      await this.#pool.query('DELETE FROM phone_login_failures WHERE at < $1', [at - 24 * 3600_000]);
    },
    since: async (key, since) => (await this.#pool.query<{ at: number }>('SELECT at FROM phone_login_failures WHERE key = $1 AND at > $2 ORDER BY at', [key, since])).rows.map((r) => r.at),
    clear: async (key) => {
      await this.#pool.query('DELETE FROM phone_login_failures WHERE key = $1', [key]);
    },
  };

  readonly phoneReplies: AsyncReplyLog = {
    get: async (villageId, username, key, since) =>
      (
        await this.#pool.query<{ route: string; status: number; body: string }>(
          'SELECT route, status, body FROM phone_replies WHERE village_id = $1 AND lower(username) = lower($2) AND key = $3 AND at > $4',
          [villageId, username, key, since],
        )
      ).rows[0],
    put: async (villageId, username, key, reply, at, prune) => {
      // The first answer stays, as SQLite's INSERT OR IGNORE keeps it.
      await this.#pool.query(
        'INSERT INTO phone_replies (village_id, username, key, route, status, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
        [villageId, username, key, reply.route, reply.status, reply.body, at],
      );
      await this.#pool.query('DELETE FROM phone_replies WHERE at < $1', [prune]);
    },
  };
}
