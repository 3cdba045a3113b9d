import type { Migration } from '@cunbox/shared';

export const authMigrations: readonly Migration[] = [
  {
    name: 'auth/001-users',
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name  TEXT,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,    -- scrypt$N$r$p$salt$hash (base64); never returned
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'auth/002-login-failures',
    sql: `
      -- Failed logins per key ('user:<id>', 'name:<normalised name>' for names
      -- without an account, 'ip:<address>'), in the database so that a restart
      -- does not hand a guesser a fresh set of tries.
      CREATE TABLE login_failures (
        key          TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,   -- in the window that began at window_start
        window_start INTEGER NOT NULL,
        locked_until INTEGER,            -- refused (even a right password) until then
        locks        INTEGER NOT NULL DEFAULT 0, -- lockouts so far: each lasts twice the one before
        last_at      INTEGER NOT NULL
      );
      CREATE INDEX login_failures_by_last ON login_failures (last_at);
    `,
  },
];
