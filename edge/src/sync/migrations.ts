import type { Migration } from '../db/migrations.ts';

/**
 * Sync (issue #5). The outboxes are the tables written in the change's own
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
];
