import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Role } from '../auth/users.ts';
import { CunboxError } from '../errors.ts';

/** Who is calling, as the routes see them. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  via: 'session' | 'token';
}

export const SESSION_COOKIE = 'cunbox_session';
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** API tokens start with this, so a leaked one is easy to recognise in a scan. */
export const TOKEN_PREFIX = 'cbx_';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

interface PrincipalRow {
  user_id: number;
  username: string;
  role: Role;
  disabled: number;
}

/**
 * Browser sessions (cookie) and API tokens (Authorization: Bearer). Both are
 * random 256-bit secrets of which only the SHA-256 is stored.
 */
export class Credentials {
  readonly #db: Db;
  readonly #clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  createSession(userId: number): { token: string; expiresAt: number } {
    const token = newSecret();
    const now = this.#clock.now();
    const expiresAt = now + SESSION_TTL_MS;
    this.#db.prepare('INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?)').run(sha256(token), userId, now, expiresAt, now);
    return { token, expiresAt };
  }

  endSession(token: string): void {
    this.#db.prepare('DELETE FROM api_sessions WHERE token_hash = ?').run(sha256(token));
  }

  /** Ends every session of a user (password change, disabling, role change). */
  endSessionsOf(userId: number): void {
    this.#db.prepare('DELETE FROM api_sessions WHERE user_id = ?').run(userId);
  }

  bySession(token: string): Principal | undefined {
    const now = this.#clock.now();
    const row = this.#db
      .prepare('SELECT s.user_id, u.username, u.role, u.disabled FROM api_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?')
      .get(sha256(token), now) as PrincipalRow | undefined;
    if (!row || row.disabled) return undefined;
    this.#db.prepare('UPDATE api_sessions SET last_seen = ? WHERE token_hash = ?').run(now, sha256(token));
    return { userId: row.user_id, username: row.username, role: row.role, via: 'session' };
  }

  createToken(userId: number, name: string): { id: number; token: string } {
    const token = TOKEN_PREFIX + newSecret();
    const info = this.#db.prepare('INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)').run(userId, name, sha256(token), this.#clock.now());
    return { id: Number(info.lastInsertRowid), token };
  }

  byToken(token: string): Principal | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const row = this.#db
      .prepare('SELECT t.id, t.user_id, u.username, u.role, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL')
      .get(sha256(token)) as (PrincipalRow & { id: number }) | undefined;
    if (!row || row.disabled) return undefined;
    this.#db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(this.#clock.now(), row.id);
    return { userId: row.user_id, username: row.username, role: row.role, via: 'token' };
  }

  listTokens(userId: number): Array<{ id: number; name: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }> {
    return (
      this.#db.prepare('SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id').all(userId) as Array<{
        id: number;
        name: string;
        created_at: number;
        last_used_at: number | null;
        revoked_at: number | null;
      }>
    ).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
  }

  revokeToken(userId: number, id: number): void {
    const info = this.#db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL').run(this.#clock.now(), id, userId);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no active token ${id}`);
  }
}
