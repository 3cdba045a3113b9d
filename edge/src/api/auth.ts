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
/** An office screen's token, held by its browser as an HttpOnly cookie (routes/kiosks.ts); honoured for kiosk accounts only. */
export const KIOSK_COOKIE = 'cunbox_kiosk';
/** API tokens start with this, so a leaked one is easy to recognise in a scan. */
const TOKEN_PREFIX = 'cbx_';

export const DAY_MS = 24 * 3600_000;

export interface CredentialLimits {
  /** A session unused this long ends. */
  sessionIdleMs: number;
  /** A session ends this long after login, used or not. */
  sessionLifetimeMs: number;
  /** A token's life when its creator does not ask for one; and the most one may ask for. */
  tokenDefaultMs: number;
  tokenMaxMs: number;
}

export const defaultCredentialLimits: CredentialLimits = { sessionIdleMs: 30 * 60_000, sessionLifetimeMs: 12 * 3600_000, tokenDefaultMs: 90 * DAY_MS, tokenMaxMs: 365 * DAY_MS };

/** last_seen / last_used_at are written at most this often: a busy dashboard would otherwise write on every request. */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

interface PrincipalRow {
  user_id: number;
  username: string;
  role: Role;
  disabled: number;
}

export interface SessionInfo {
  id: number;
  createdAt: number;
  lastSeen: number;
  /** When it ends if still used (the absolute lifetime or the idle timeout, whichever is first). */
  endsAt: number;
}

export interface TokenInfo {
  id: number;
  name: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/**
 * Browser sessions (cookie) and API tokens (Authorization: Bearer). Both are
 * random 256-bit secrets of which only the SHA-256 is stored. Sessions end
 * when idle and after an absolute lifetime; tokens at their expiry; both when
 * their owner's password changes or the owner is disabled.
 */
export class Credentials {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly limits: CredentialLimits;
  constructor(deps: { db: Db; clock: Clock; limits?: Partial<CredentialLimits> }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.limits = { ...defaultCredentialLimits, ...deps.limits };
  }

  createSession(userId: number): { token: string; expiresAt: number } {
    const token = newSecret();
    const now = this.#clock.now();
    const expiresAt = now + this.limits.sessionLifetimeMs;
    this.#db.prepare('INSERT INTO api_sessions (token_hash, user_id, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?)').run(sha256(token), userId, now, expiresAt, now);
    return { token, expiresAt };
  }

  endSession(token: string): void {
    this.#db.prepare('DELETE FROM api_sessions WHERE token_hash = ?').run(sha256(token));
  }

  /** Ends every session of a user (role change). */
  endSessionsOf(userId: number): number {
    return this.#db.prepare('DELETE FROM api_sessions WHERE user_id = ?').run(userId).changes;
  }

  /** Ends every session and revokes every token of a user (password changed or reset, account disabled, an admin's "end all"). */
  endAllOf(userId: number): { sessions: number; tokens: number } {
    return this.#db.transaction(() => ({
      sessions: this.endSessionsOf(userId),
      tokens: this.#db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(this.#clock.now(), userId).changes,
    }))();
  }

  bySession(token: string): Principal | undefined {
    const now = this.#clock.now();
    const hash = sha256(token);
    const row = this.#db
      .prepare('SELECT s.user_id, u.username, u.role, u.disabled, s.last_seen FROM api_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?')
      .get(hash, now) as (PrincipalRow & { last_seen: number }) | undefined;
    if (!row || row.disabled) return undefined;
    if (now - row.last_seen >= this.limits.sessionIdleMs) {
      this.#db.prepare('DELETE FROM api_sessions WHERE token_hash = ?').run(hash);
      return undefined;
    }
    if (now - row.last_seen >= Math.min(TOUCH_EVERY_MS, this.limits.sessionIdleMs / 2)) this.#db.prepare('UPDATE api_sessions SET last_seen = ? WHERE token_hash = ?').run(now, hash);
    return { userId: row.user_id, username: row.username, role: row.role, via: 'session' };
  }

  /** The user's live sessions (never their secrets or hashes). */
  sessionsOf(userId: number): SessionInfo[] {
    const now = this.#clock.now();
    const rows = this.#db
      .prepare('SELECT rowid AS id, created_at AS createdAt, last_seen AS lastSeen, expires_at AS expiresAt FROM api_sessions WHERE user_id = ? AND expires_at > ? AND last_seen > ? ORDER BY rowid')
      .all(userId, now, now - this.limits.sessionIdleMs) as Array<Omit<SessionInfo, 'endsAt'> & { expiresAt: number }>;
    return rows.map((r) => ({ id: r.id, createdAt: r.createdAt, lastSeen: r.lastSeen, endsAt: Math.min(r.expiresAt, r.lastSeen + this.limits.sessionIdleMs) }));
  }

  endSessionById(userId: number, id: number): void {
    const info = this.#db.prepare('DELETE FROM api_sessions WHERE rowid = ? AND user_id = ?').run(id, userId);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no session ${id}`);
  }

  /** `lifetimeMs` as asked for (at most limits.tokenMaxMs); the default when absent. */
  createToken(userId: number, name: string, lifetimeMs?: number): { id: number; token: string; expiresAt: number } {
    const life = lifetimeMs ?? this.limits.tokenDefaultMs;
    if (!(life > 0 && life <= this.limits.tokenMaxMs)) throw new CunboxError('INVALID_INPUT', `a token lives at most ${Math.floor(this.limits.tokenMaxMs / DAY_MS)} days`);
    const token = TOKEN_PREFIX + newSecret();
    const now = this.#clock.now();
    const expiresAt = now + life;
    const info = this.#db.prepare('INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(userId, name, sha256(token), now, expiresAt);
    return { id: Number(info.lastInsertRowid), token, expiresAt };
  }

  byToken(token: string): Principal | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const now = this.#clock.now();
    const row = this.#db
      .prepare('SELECT t.id, t.user_id, t.last_used_at, u.username, u.role, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?')
      .get(sha256(token), now) as (PrincipalRow & { id: number; last_used_at: number | null }) | undefined;
    if (!row || row.disabled) return undefined;
    if (row.last_used_at === null || now - row.last_used_at >= TOUCH_EVERY_MS) this.#db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    return { userId: row.user_id, username: row.username, role: row.role, via: 'token' };
  }

  /** When a live token expires; undefined for an unknown, revoked or expired one. */
  tokenExpiry(token: string): number | undefined {
    const row = this.#db.prepare('SELECT expires_at AS e FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?').get(sha256(token), this.#clock.now()) as { e: number } | undefined;
    return row?.e;
  }

  listTokens(userId: number): TokenInfo[] {
    return this.#db
      .prepare('SELECT id, name, created_at AS createdAt, expires_at AS expiresAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt FROM api_tokens WHERE user_id = ? ORDER BY id')
      .all(userId) as TokenInfo[];
  }

  revokeToken(userId: number, id: number): void {
    const info = this.#db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL').run(this.#clock.now(), id, userId);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no active token ${id}`);
  }
}
