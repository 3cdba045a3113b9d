import type { Migration } from '../db/migrations.ts';

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
];
