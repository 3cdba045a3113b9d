import type { Migration } from '@cunbox/shared';

/**
 * Sync state. The outboxes are the tables written in the change's own
 * transaction: `gov_ops` rows of our origin (ordered by seq) and `events`
 * rows (ordered by id). What is kept here is only how far the cloud has
 * confirmed each, and what could not be applied.
 */
export const syncMigrations: readonly Migration[] = [
  {
    name: 'sync/001-peers-dead-letters',
    sql: `
      -- One row per cloud peer. ops_acked / events_acked: the cloud said it
      -- committed our ops up to this seq and events up to this id. applied_seq:
      -- we committed the peer's ops 1..applied_seq (the watermark in our hello).
      CREATE TABLE sync_peers (
        peer          TEXT PRIMARY KEY,
        node          TEXT,
        ops_acked     INTEGER NOT NULL DEFAULT 0,
        events_acked  INTEGER NOT NULL DEFAULT 0,
        applied_seq   INTEGER NOT NULL DEFAULT 0,
        last_hello_at INTEGER
      );
      -- Downlink messages that failed validation or could not be applied.
      CREATE TABLE sync_dead_letters (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        topic   TEXT NOT NULL,
        reason  TEXT NOT NULL,
        bytes   INTEGER NOT NULL,
        payload BLOB
      );
    `,
  },
  {
    name: 'sync/002-media-queue',
    sql: `
      -- Files waiting to travel to the cloud beside the ops (docs/design/media-sync.md).
      -- A row is 'done' only after the cloud verified the SHA-256 and stored
      -- the file; upload_url is the cloud's tus upload, kept so a restarted
      -- edge resumes at the cloud's offset instead of starting over.
      CREATE TABLE sync_media (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256     TEXT NOT NULL,
        path       TEXT NOT NULL,        -- relative to the data directory, or absolute
        size       INTEGER NOT NULL,
        kind       TEXT NOT NULL,        -- 'ticket-photo', 'event-snapshot', ...
        ref        TEXT NOT NULL,        -- what it belongs to at the edge (a media id, an event id)
        mime       TEXT,
        state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        upload_url TEXT,
        next_at    INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        done_at    INTEGER,
        UNIQUE (kind, ref)
      );
      CREATE INDEX sync_media_pending ON sync_media (state, next_at, id);
      -- How far the local op log was scanned for ticket photos to enqueue.
      CREATE TABLE sync_media_scan (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        ops_seq   INTEGER NOT NULL
      );
      INSERT INTO sync_media_scan (singleton, ops_seq) VALUES (1, 0);
    `,
  },
  {
    name: 'sync/003-presence-at',
    sql: `
      -- The last presence 'at' this edge used: the next is above it even if the
      -- wall clock stepped back (across restarts too), so the cloud can order them.
      ALTER TABLE sync_peers ADD COLUMN presence_at INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    name: 'sync/004-cloud-audit',
    sql: `
      -- The cloud's audit entries for this village (down/audit) committed here: 1..audit_applied.
      ALTER TABLE sync_peers ADD COLUMN audit_applied INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
