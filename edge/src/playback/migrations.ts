import type { Migration } from '@cunbox/shared';

export const playbackMigrations: readonly Migration[] = [
  {
    name: 'playback/001-exports',
    sql: `
      -- Evidence export jobs. Survive restarts: queued and running jobs are
      -- picked up again at start-up.
      CREATE TABLE exports (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_ids  TEXT NOT NULL,              -- JSON array
        from_ms     INTEGER NOT NULL,
        to_ms       INTEGER NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        progress    REAL NOT NULL DEFAULT 0,    -- 0..1
        error       TEXT,
        reason      TEXT NOT NULL,
        created_by  TEXT,
        created_at  INTEGER NOT NULL,
        started_at  INTEGER,
        finished_at INTEGER,
        attempts    INTEGER NOT NULL DEFAULT 0,
        manifest    TEXT,                       -- JSON, once done
        CHECK (to_ms > from_ms)
      );
    `,
  },
  {
    name: 'playback/002-user-cameras',
    sql: `
      -- Per-user camera restrictions (see playback/access.ts); no rows: the role decides.
      CREATE TABLE user_cameras (
        user_id   INTEGER NOT NULL,
        camera_id INTEGER NOT NULL,
        PRIMARY KEY (user_id, camera_id)
      );
    `,
  },
];
