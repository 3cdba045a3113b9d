/**
 * A database upgraded one release at a time must end with the same schema as
 * one created fresh by the newest release: a migration that only works when
 * run together with its neighbours, or that leaves a table a little different
 * from what a fresh install gets, fails here.
 */
import t from 'tap';
import { join } from 'node:path';
import { describeSchema } from '@cunbox/shared';
import { appliedMigrations, openDatabase } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('every migration applied one open at a time gives the fresh schema, and the rows from the first version are carried along', async (t) => {
  const dir = tmpDir(t, 'cunbox-steps-');
  const fresh = openDatabase(join(dir, 'fresh.db'));
  t.teardown(() => fresh.close());

  const file = join(dir, 'stepped.db');
  const first = openDatabase(file, { migrations: migrations.slice(0, 1) });
  t.same(appliedMigrations(first), [migrations[0]!.name], 'version 1 only');
  first.prepare("INSERT INTO cameras (id, name, main_url, created_at, updated_at) VALUES (1, '东口', 'rtsp://127.0.0.1/x', 1, 1)").run();
  const segment = first.prepare('INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, indexed_at) VALUES (1, ?, ?, ?, ?, 1)');
  segment.run(0, 60_000, 1000, 'a.mp4');
  segment.run(60_000, 120_000, 2000, 'b.mp4');
  first.close();
  for (let i = 2; i <= migrations.length; i++) openDatabase(file, { migrations: migrations.slice(0, i) }).close();

  const stepped = openDatabase(file);
  t.teardown(() => stepped.close());
  t.same(appliedMigrations(stepped), migrations.map((m) => m.name));
  t.same(describeSchema(stepped), describeSchema(fresh), 'the same tables, columns in the same order, constraints, indexes and triggers');
  t.same(stepped.prepare('SELECT camera_id AS camera, start_ms AS start, end_ms AS "end" FROM spans').all(), [{ camera: 1, start: 0, end: 120_000 }], 'a later migration derived its table from the rows');
  t.same(stepped.prepare('SELECT segments, bytes FROM segment_totals WHERE camera_id = 1').get(), { segments: 2, bytes: 3000 });
});

t.test('describeSchema sees what a migration could leave different: an index, a column default, a trigger', async (t) => {
  const dir = tmpDir(t, 'cunbox-steps-diff-');
  const a = openDatabase(join(dir, 'a.db'));
  const b = openDatabase(join(dir, 'b.db'));
  t.teardown(() => {
    a.close();
    b.close();
  });
  t.same(describeSchema(a), describeSchema(b));
  b.exec('CREATE INDEX extra ON cameras (zone)');
  t.not(JSON.stringify(describeSchema(a)), JSON.stringify(describeSchema(b)), 'an extra index');
  a.exec('CREATE INDEX extra ON cameras (name)');
  t.not(JSON.stringify(describeSchema(a)), JSON.stringify(describeSchema(b)), 'same name, other column');
  a.exec('DROP INDEX extra');
  b.exec('DROP INDEX extra');
  t.same(describeSchema(a), describeSchema(b));
  a.exec('ALTER TABLE cameras ADD COLUMN note TEXT');
  b.exec("ALTER TABLE cameras ADD COLUMN note TEXT DEFAULT ''");
  t.not(JSON.stringify(describeSchema(a)), JSON.stringify(describeSchema(b)), 'a column default');
  b.exec('ALTER TABLE cameras DROP COLUMN note');
  b.exec('ALTER TABLE cameras ADD COLUMN note TEXT');
  t.same(describeSchema(a), describeSchema(b));
  b.exec('CREATE TRIGGER noisy AFTER INSERT ON cameras BEGIN SELECT 1; END');
  t.not(JSON.stringify(describeSchema(a)), JSON.stringify(describeSchema(b)), 'a trigger');
});
