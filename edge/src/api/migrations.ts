import type { Migration } from '../db/migrations.ts';

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
    name: 'api/002-audit-source',
    sql: `
      -- 'cloud': an entry the cloud recorded for this village (a phone read of unmasked data) and sync brought here.
      ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT 'edge';
    `,
  },
];
