/**
 * The cloud database's schema as append-only migrations, run by the shared
 * runner (shared/src/platform/migrations.ts) when `cloud.db` is opened. A
 * released migration is never edited: add a new one at the end.
 *
 * The first is the schema as it stood when migrations began, written with
 * IF NOT EXISTS so that a database made before then (database.ts adopts it)
 * gains only the tables it lacks.
 */
import type { Migration } from '@cunbox/shared';

export const cloudMigrations: readonly Migration[] = [
  {
    name: 'cloud/001-initial',
    sql: `
      -- The op log of each village: the cloud is one peer per village (its node id here).
      CREATE TABLE IF NOT EXISTS villages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, node TEXT NOT NULL UNIQUE,
        next_seq INTEGER NOT NULL DEFAULT 1, hlc TEXT, created_at INTEGER NOT NULL);
      -- Only the hash of a pairing code is kept; used_at makes it single-use.
      CREATE TABLE IF NOT EXISTS pair_codes (code_hash TEXT PRIMARY KEY, village_id INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
      CREATE TABLE IF NOT EXISTS edges (edge_id TEXT PRIMARY KEY, village_id INTEGER NOT NULL, password_hash TEXT NOT NULL, node TEXT,
        online INTEGER NOT NULL DEFAULT 0, presence_at INTEGER NOT NULL DEFAULT 0, ops_committed INTEGER NOT NULL DEFAULT 0, events_committed INTEGER NOT NULL DEFAULT 0,
        down_acked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
      -- An external Mosquitto checks edge passwords with its own hash; kept only when the cloud provisions one.
      CREATE TABLE IF NOT EXISTS edge_broker_hashes (edge_id TEXT PRIMARY KEY, hash TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ops (village_id INTEGER NOT NULL, id TEXT NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, hlc TEXT NOT NULL,
        actor TEXT NOT NULL, entity_kind TEXT NOT NULL, entity_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (village_id, id), UNIQUE (village_id, origin, seq));
      CREATE INDEX IF NOT EXISTS ops_by_entity ON ops (village_id, entity_kind, entity_id, hlc);
      CREATE TRIGGER IF NOT EXISTS ops_immutable_u BEFORE UPDATE ON ops BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
      CREATE TRIGGER IF NOT EXISTS ops_immutable_d BEFORE DELETE ON ops BEGIN SELECT RAISE(ABORT, 'ops are immutable'); END;
      CREATE TABLE IF NOT EXISTS entities (village_id INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, present INTEGER NOT NULL,
        created_at INTEGER, state TEXT NOT NULL, PRIMARY KEY (village_id, kind, id));
      CREATE TABLE IF NOT EXISTS events (edge_id TEXT NOT NULL, event_id INTEGER NOT NULL, camera_id INTEGER, type TEXT NOT NULL,
        at_ms INTEGER NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (edge_id, event_id));
      -- Messages that failed validation or could not be applied: kept with the reason, never silently dropped.
      CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, topic TEXT NOT NULL, edge_id TEXT,
        reason TEXT NOT NULL, bytes INTEGER NOT NULL, payload BLOB);
      CREATE INDEX IF NOT EXISTS dead_letters_by_edge ON dead_letters (edge_id, id);
      -- Dead letters not kept (over DEAD_LETTERS_PER_EDGE), per edge id ('' for none): counted, so the loss is visible.
      CREATE TABLE IF NOT EXISTS dead_letter_drops (edge_key TEXT PRIMARY KEY, dropped INTEGER NOT NULL, last_at INTEGER NOT NULL);

      -- Each village's edge accounts, as last synced (a copy; the edge is the source).
      CREATE TABLE IF NOT EXISTS village_users (village_id INTEGER NOT NULL, username TEXT NOT NULL COLLATE NOCASE, display_name TEXT, role TEXT NOT NULL,
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL, cameras TEXT, PRIMARY KEY (village_id, username));
      CREATE TABLE IF NOT EXISTS village_users_versions (village_id INTEGER PRIMARY KEY, version TEXT NOT NULL, at INTEGER NOT NULL, edge_id TEXT NOT NULL, received_at INTEGER NOT NULL);
      -- Phone sessions: only the SHA-256 of the token is kept.
      CREATE TABLE IF NOT EXISTS phone_sessions (token_hash TEXT PRIMARY KEY, village_id INTEGER NOT NULL, username TEXT NOT NULL COLLATE NOCASE,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS phone_sessions_by_user ON phone_sessions (village_id, username);
      -- Failed phone sign-ins per account and per address: kept here so a restart does not reset them.
      CREATE TABLE IF NOT EXISTS phone_login_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS phone_login_failures_by_key ON phone_login_failures (key, at);

      -- Never holds the values read (ID or phone numbers): ids and field names only.
      CREATE TABLE IF NOT EXISTS audit (village_id INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT,
        action TEXT NOT NULL, target TEXT, detail TEXT, ip TEXT, PRIMARY KEY (village_id, seq));
      CREATE TRIGGER IF NOT EXISTS audit_immutable_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are immutable'); END;
      CREATE TRIGGER IF NOT EXISTS audit_immutable_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are immutable'); END;
      -- How far each edge has committed its village's audit entries.
      CREATE TABLE IF NOT EXISTS audit_acks (edge_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);

      -- Files in <data_dir>/media/objects/<2 hex>/<sha256>, content-addressed: one file per content.
      CREATE TABLE IF NOT EXISTS media_objects (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT, stored_at INTEGER NOT NULL);
      -- A village may read a file only through a row here. The first (kind, ref) wins: edge media ids never change.
      CREATE TABLE IF NOT EXISTS media_owners (village_id INTEGER NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
        edge_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (village_id, kind, ref));
      CREATE INDEX IF NOT EXISTS media_owners_by_sha ON media_owners (village_id, sha256);
    `,
  },
  {
    // An unpaired edge keeps its data; only its logins are refused.
    name: 'cloud/002-edge-revocation',
    sql: 'ALTER TABLE edges ADD COLUMN revoked_at INTEGER',
  },
  {
    // A phone's list of one kind (tickets, newest first) reads one range of this index, however many villages the table holds.
    name: 'cloud/003-entities-listed',
    sql: 'CREATE INDEX entities_listed ON entities (village_id, kind, present, created_at DESC, id DESC)',
  },
  {
    // A phone's request sent again (offline queue) gets its first answer: one ticket, not two.
    name: 'cloud/004-phone-replies',
    sql: `
      CREATE TABLE IF NOT EXISTS phone_replies (village_id INTEGER NOT NULL, username TEXT NOT NULL COLLATE NOCASE, key TEXT NOT NULL,
        route TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (village_id, username, key));
      CREATE INDEX IF NOT EXISTS phone_replies_by_age ON phone_replies (at);
    `,
  },
];
