import type { Migration } from '@cunbox/shared';

/** Sessions, API tokens and the audit log of the HTTP API. */
export const apiMigrations: readonly Migration[] = [
  {
    name: 'api/001-sessions-tokens-audit',
    sql: `
      -- Tokens are stored as SHA-256 hashes only: a copy of the database does not let anyone in.
      CREATE TABLE api_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
      );
      CREATE INDEX api_sessions_by_user ON api_sessions (user_id);

      CREATE TABLE api_tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      );

      -- Who did what: admin actions, reads of sensitive fields, logins. Never holds
      -- passwords, tokens or ID numbers.
      CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        actor   TEXT,                 -- user name; NULL for an unknown one (failed login)
        role    TEXT,
        action  TEXT NOT NULL,        -- e.g. 'user.create', 'resident.sensitive_read'
        target  TEXT,                 -- e.g. 'user:3', 'resident:01J…'
        detail  TEXT,                 -- JSON
        ip      TEXT
      );
      CREATE INDEX audit_log_by_time ON audit_log (at);
    `,
  },
  {
    name: 'api/002-audit-chain',
    sql: `
      -- Each row's HMAC over the previous row's hash and its own fields (AuditLog):
      -- NULL only for rows written before this migration, sealed on the next write.
      ALTER TABLE audit_log ADD COLUMN hash TEXT;
      -- Where the chain starts once old rows were pruned: the last pruned row's id
      -- and hash, with an HMAC so it cannot be moved without the key.
      CREATE TABLE audit_chain_base (
        one        INTEGER PRIMARY KEY CHECK (one = 1),
        through_id INTEGER NOT NULL,
        hash       TEXT NOT NULL,
        mac        TEXT NOT NULL
      );
    `,
  },
  {
    name: 'api/003-token-expiry',
    sql: `
      -- Tokens end: at expires_at, or when their owner's password changes or the owner is disabled.
      -- Tokens from before this have 90 days from their creation.
      ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
      UPDATE api_tokens SET expires_at = created_at + 90 * 86400000 WHERE expires_at IS NULL;
      CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
    `,
  },
  {
    name: 'api/004-audit-source',
    sql: `
      -- 'cloud': an entry the cloud recorded for this village (a phone read of unmasked data) and sync brought here.
      ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT 'edge';
    `,
  },
];
