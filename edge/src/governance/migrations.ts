import type { Migration } from '@cunbox/shared';

/** Governance data: the op log, the state folded from it, and media files. */
export const governanceMigrations: readonly Migration[] = [
  {
    name: 'governance/001-oplog',
    sql: `
      -- This node's identity in the op log, its clock and its next sequence
      -- number, updated in the same transaction as every op it makes, so a
      -- rolled-back change leaves no gap in the sequence.
      CREATE TABLE gov_node (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        node_id   TEXT NOT NULL,         -- 16 hex digits, random at creation
        hlc       TEXT,                  -- last value issued or adopted
        next_seq  INTEGER NOT NULL
      );
      INSERT INTO gov_node (singleton, node_id, hlc, next_seq) VALUES (1, lower(hex(randomblob(8))), NULL, 1);

      -- Every op made here or received, never changed or deleted. Local rows
      -- (origin = our node id) are the sync outbox, in seq order.
      CREATE TABLE gov_ops (
        id          TEXT PRIMARY KEY,    -- origin.seq
        origin      TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        hlc         TEXT NOT NULL,
        actor       TEXT NOT NULL,
        entity_kind TEXT NOT NULL,
        entity_id   TEXT NOT NULL,
        type        TEXT NOT NULL,
        payload     TEXT NOT NULL,       -- JSON
        received_at INTEGER NOT NULL,
        UNIQUE (origin, seq)
      );
      CREATE INDEX gov_ops_by_entity ON gov_ops (entity_kind, entity_id, hlc);
      CREATE TRIGGER gov_ops_no_update BEFORE UPDATE ON gov_ops BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
      CREATE TRIGGER gov_ops_no_delete BEFORE DELETE ON gov_ops BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;

      -- The fold of each entity's ops. Derived: can be rebuilt from gov_ops at any time.
      CREATE TABLE gov_entities (
        kind       TEXT NOT NULL,
        id         TEXT NOT NULL,
        present    INTEGER NOT NULL,     -- its create op has been folded
        created_at INTEGER,
        last_hlc   TEXT NOT NULL,
        state      TEXT NOT NULL,        -- JSON
        PRIMARY KEY (kind, id)
      );
      CREATE INDEX gov_entities_by_status ON gov_entities (kind, json_extract(state, '$.status'), created_at);
      CREATE INDEX gov_entities_by_created ON gov_entities (kind, created_at);
      CREATE INDEX gov_entities_by_code ON gov_entities (json_extract(state, '$.verificationCode')) WHERE kind = 'certificate';

      -- Photos and attachments: processed files under <data_dir>/governance/media.
      -- Ops refer to them by id; the files travel on their own channel.
      CREATE TABLE gov_media (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('image', 'pdf')),
        mime       TEXT NOT NULL,
        bytes      INTEGER NOT NULL,
        width      INTEGER,
        height     INTEGER,
        sha256     TEXT NOT NULL,
        path       TEXT NOT NULL UNIQUE, -- relative to the data directory
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      -- The evidence hold made for each footage link of a ticket (holds table of the recorder).
      CREATE TABLE gov_footage_holds (
        link_id   TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        hold_id   INTEGER NOT NULL
      );
    `,
  },
];
