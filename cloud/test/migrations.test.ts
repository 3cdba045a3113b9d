/**
 * The cloud database's schema is versioned migrations: one upgraded a
 * release at a time ends like a fresh one, and a database made before the
 * schema was versioned is adopted with its rows.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { appliedMigrations, describeSchema, governanceModels } from '@cunbox/shared';
import { openCloudDatabase } from '../src/database.ts';
import { cloudMigrations } from '../src/migrations.ts';
import { SqliteCloudStore } from '../src/store.ts';
import { SqliteMediaIndex } from '../src/media-index.ts';

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-cloud-mig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// What the cloud created on every start before its schema was versioned (the
// oldest release: no presence, no provisioned broker, no phone accounts, audit or media).
const OLDEST_UNVERSIONED = `
  CREATE TABLE IF NOT EXISTS villages (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, node TEXT NOT NULL UNIQUE,
    next_seq INTEGER NOT NULL DEFAULT 1, hlc TEXT, created_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS pair_codes (code_hash TEXT PRIMARY KEY, village_id INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
  CREATE TABLE IF NOT EXISTS edges (edge_id TEXT PRIMARY KEY, village_id INTEGER NOT NULL, password_hash TEXT NOT NULL, node TEXT,
    online INTEGER NOT NULL DEFAULT 0, ops_committed INTEGER NOT NULL DEFAULT 0, events_committed INTEGER NOT NULL DEFAULT 0,
    down_acked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
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
  CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, topic TEXT NOT NULL, edge_id TEXT,
    reason TEXT NOT NULL, bytes INTEGER NOT NULL, payload BLOB);
  CREATE INDEX IF NOT EXISTS dead_letters_by_edge ON dead_letters (edge_id, id);
`;

t.test('migrated one release at a time, the cloud database ends with the fresh schema and keeps its rows', async (t) => {
  const dir = tmp(t);
  const fresh = openCloudDatabase(join(dir, 'fresh.db'));
  t.teardown(() => fresh.close());
  const file = join(dir, 'stepped.db');
  const first = openCloudDatabase(file, { migrations: cloudMigrations.slice(0, 1) });
  first.prepare("INSERT INTO villages (name, node, created_at) VALUES ('东村', '00000000000000aa', 1)").run();
  first.prepare("INSERT INTO edges (edge_id, village_id, password_hash, created_at) VALUES ('e1', 1, 'h', 1)").run();
  first.close();
  for (let i = 2; i <= cloudMigrations.length; i++) openCloudDatabase(file, { migrations: cloudMigrations.slice(0, i) }).close();
  const stepped = openCloudDatabase(file);
  t.teardown(() => stepped.close());
  t.same(appliedMigrations(stepped), cloudMigrations.map((m) => m.name));
  t.same(describeSchema(stepped), describeSchema(fresh), 'same tables, columns in order, constraints, indexes and triggers');
  t.same(stepped.prepare('SELECT edge_id AS id, revoked_at AS revokedAt FROM edges').all(), [{ id: 'e1', revokedAt: null }]);
});

for (const [age, build] of [
  ['the oldest', (db: Database.Database) => db.exec(OLDEST_UNVERSIONED)],
  [
    'the last',
    (db: Database.Database) => {
      // The last unversioned release: everything of migration 1, and revoked_at added on start.
      db.exec(cloudMigrations[0]!.sql);
      db.exec('ALTER TABLE edges ADD COLUMN revoked_at INTEGER');
    },
  ],
] as const) {
  t.test(`a database made by ${age} release before versioning is adopted: the fresh schema (column order aside), its rows kept`, async (t) => {
    const dir = tmp(t);
    const fresh = openCloudDatabase(join(dir, 'fresh.db'));
    t.teardown(() => fresh.close());
    const file = join(dir, 'old.db');
    const old = new Database(file);
    build(old);
    old.prepare("INSERT INTO villages (name, node, created_at) VALUES ('东村', '00000000000000aa', 1)").run();
    old.prepare("INSERT INTO edges (edge_id, village_id, password_hash, created_at) VALUES ('e1', 1, 'h', 1)").run();
    old.close();

    const adopted = openCloudDatabase(file);
    t.teardown(() => adopted.close());
    t.same(appliedMigrations(adopted), cloudMigrations.map((m) => m.name));
    t.same(describeSchema(adopted, { columnOrder: false }), describeSchema(fresh, { columnOrder: false }));
    t.same(adopted.prepare('SELECT edge_id AS id, presence_at AS presenceAt, revoked_at AS revokedAt FROM edges').all(), [{ id: 'e1', presenceAt: 0, revokedAt: null }]);
  });
}

t.test('the store and the media index share the one connection the process opened; closing the store leaves it to its owner', async (t) => {
  const dir = tmp(t);
  const db = openCloudDatabase(join(dir, 'cloud.db'));
  t.teardown(() => db.close());
  const store = new SqliteCloudStore({ db, models: governanceModels, now: () => 1 });
  const index = new SqliteMediaIndex({ db, now: () => 1 });
  const v = store.createVillage('东村');
  index.stored({ sha256: 'a'.repeat(64), size: 3, mime: null }, { villageId: v.id, kind: 'photo', ref: 'P1', edgeId: 'e1' });
  store.close();
  index.close();
  t.ok(db.open, 'still open');
  t.ok(index.owns(v.id, 'a'.repeat(64)));
  t.same(db.prepare('SELECT name FROM villages').all(), [{ name: '东村' }]);
});
