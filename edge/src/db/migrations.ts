/**
 * Append-only schema migrations, one list per domain (recording here; others
 * in their own modules), applied in order and recorded by name in
 * `schema_migrations`. Names are unique forever; a released migration is never
 * edited: add a new one. Domains evolve independently, so their lists are
 * concatenated rather than numbered globally.
 */
import { authMigrations } from '../auth/migrations.ts';
import { governanceMigrations } from '../governance/migrations.ts';
import { apiMigrations } from '../api/migrations.ts';
import { cameraMigrations } from '../cameras/migrations.ts';
import { playbackMigrations } from '../playback/migrations.ts';
import { syncMigrations } from '../sync/migrations.ts';
import { motionMigrations } from '../motion/migrations.ts';
import { eventMigrations } from '../events/migrations.ts';
import { checkpointMigrations } from '../checkpoints/migrations.ts';
import type { Migration } from './migration.ts';

export const recordingMigrations: readonly Migration[] = [
  {
    name: 'recording/001-cameras-segments-retention-events',
    sql: `
      CREATE TABLE cameras (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        name           TEXT NOT NULL UNIQUE,
        zone           TEXT,
        main_url       TEXT NOT NULL,   -- never holds credentials; see username/password
        sub_url        TEXT,
        username       TEXT,
        password       TEXT,            -- never logged, never returned by an API
        enabled        INTEGER NOT NULL DEFAULT 1,
        retention_days REAL,            -- NULL: the global default
        source         TEXT NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'config')),
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      );

      -- One row per ffmpeg process. anchor_ms maps the run's stream time 0 to
      -- the wall clock, so a segment left half-written by a crash can be dated.
      CREATE TABLE recorder_runs (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id  INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        pid        INTEGER,         -- to find an ffmpeg orphaned by a crashed edge
        anchor_ms  REAL,
        ended_at   INTEGER
      );

      -- Every closed segment on disk has exactly one row here (or one in garbage).
      CREATE TABLE segments (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id   INTEGER NOT NULL,
        start_ms    INTEGER NOT NULL,
        end_ms      INTEGER NOT NULL,
        bytes       INTEGER NOT NULL,
        path        TEXT NOT NULL UNIQUE, -- relative to the data directory
        run_id      INTEGER,
        seq         INTEGER,
        recovered   INTEGER NOT NULL DEFAULT 0, -- indexed by reconciliation, not at close
        indexed_at  INTEGER NOT NULL,
        CHECK (end_ms >= start_ms)
      );
      CREATE INDEX segments_by_camera_start ON segments (camera_id, start_ms);
      CREATE INDEX segments_by_start ON segments (start_ms);

      -- Files which are to be deleted (may or may not still exist). Replayed at start-up.
      CREATE TABLE garbage (
        path       TEXT PRIMARY KEY,
        camera_id  INTEGER,
        bytes      INTEGER NOT NULL DEFAULT 0,
        reason     TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      -- Evidence holds: footage overlapping an active hold is never deleted.
      CREATE TABLE holds (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id   INTEGER NOT NULL,
        start_ms    INTEGER NOT NULL,
        end_ms      INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        created_by  TEXT,
        created_at  INTEGER NOT NULL,
        released_at INTEGER,
        CHECK (end_ms > start_ms)
      );
      CREATE INDEX holds_active ON holds (camera_id, start_ms) WHERE released_at IS NULL;

      CREATE TABLE events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id INTEGER,
        type      TEXT NOT NULL,
        at_ms     INTEGER NOT NULL,
        detail    TEXT            -- JSON
      );
      CREATE INDEX events_by_camera_time ON events (camera_id, at_ms);
    `,
  },
  {
    name: 'recording/002-spans',
    sql: `
      -- Merged recorded intervals per camera (see storage/spans.ts), for timelines.
      CREATE TABLE spans (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id INTEGER NOT NULL,
        start_ms  INTEGER NOT NULL,
        end_ms    INTEGER NOT NULL
      );
      CREATE INDEX spans_by_camera_start ON spans (camera_id, start_ms);
      CREATE INDEX spans_by_end ON spans (end_ms);
      INSERT INTO spans (camera_id, start_ms, end_ms)
        SELECT camera_id, MIN(start_ms), MAX(end_ms) FROM (
          SELECT camera_id, start_ms, end_ms,
                 SUM(brk) OVER (PARTITION BY camera_id ORDER BY start_ms ROWS UNBOUNDED PRECEDING) AS grp
            FROM (SELECT camera_id, start_ms, end_ms,
                         CASE WHEN start_ms - MAX(end_ms) OVER (PARTITION BY camera_id ORDER BY start_ms
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 1500 THEN 1 ELSE 0 END AS brk
                    FROM segments))
         GROUP BY camera_id, grp;
    `,
  },
  {
    // Per-camera totals kept by triggers: the storage monitor judges the disk every
    // half minute, and summing millions of segment rows each time blocks the edge for seconds.
    name: 'recording/003-segment-totals',
    sql: `
      CREATE TABLE segment_totals (
        camera_id INTEGER PRIMARY KEY,
        segments  INTEGER NOT NULL,
        bytes     INTEGER NOT NULL
      );
      INSERT INTO segment_totals (camera_id, segments, bytes)
        SELECT camera_id, COUNT(*), SUM(bytes) FROM segments GROUP BY camera_id;
      CREATE TRIGGER segment_totals_insert AFTER INSERT ON segments BEGIN
        INSERT INTO segment_totals (camera_id, segments, bytes) VALUES (NEW.camera_id, 1, NEW.bytes)
          ON CONFLICT (camera_id) DO UPDATE SET segments = segments + 1, bytes = bytes + excluded.bytes;
      END;
      CREATE TRIGGER segment_totals_delete AFTER DELETE ON segments BEGIN
        UPDATE segment_totals SET segments = segments - 1, bytes = bytes - OLD.bytes WHERE camera_id = OLD.camera_id;
      END;
      CREATE TRIGGER segment_totals_update AFTER UPDATE OF camera_id, bytes ON segments BEGIN
        UPDATE segment_totals SET segments = segments - 1, bytes = bytes - OLD.bytes WHERE camera_id = OLD.camera_id;
        INSERT INTO segment_totals (camera_id, segments, bytes) VALUES (NEW.camera_id, 1, NEW.bytes)
          ON CONFLICT (camera_id) DO UPDATE SET segments = segments + 1, bytes = bytes + excluded.bytes;
      END;
    `,
  },
];

/** Every domain's migrations. Add a domain's list here; order within a list matters. */
export const migrations: readonly Migration[] = [...recordingMigrations, ...authMigrations, ...cameraMigrations, ...governanceMigrations, ...apiMigrations, ...playbackMigrations, ...syncMigrations, ...motionMigrations, ...eventMigrations, ...checkpointMigrations];
