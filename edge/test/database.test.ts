import t from 'tap';
import { join } from 'node:path';
import { openDatabase, appliedMigrations, migrate } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('migrations apply once, in order, recorded by name', async (t) => {
  const file = join(tmpDir(t), 'x.db');
  const db = openDatabase(file);
  t.same(appliedMigrations(db), migrations.map((m) => m.name));
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL');
  db.close();
  const again = openDatabase(file);
  t.same(appliedMigrations(again), migrations.map((m) => m.name), 're-opening applies nothing twice');
  migrate(again, [...migrations, { name: 'test/extra', sql: 'CREATE TABLE extra (x INTEGER)' }]);
  t.same(appliedMigrations(again).at(-1), 'test/extra');
  t.throws(() => migrate(again, migrations), /migrations this program does not know \(test\/extra\)/, 'an older program refuses a newer database');
  t.throws(() => migrate(again, [...migrations, ...migrations]), /duplicate migration name/);
  again.close();
});

t.test('a failing migration leaves nothing half-applied', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'y.db'));
  t.throws(() => migrate(db, [...migrations, { name: 'test/bad', sql: 'CREATE TABLE ok1 (x); CREATE TABLE broken (' }]));
  t.notOk(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ok1'").get(), 'rolled back');
  t.notOk(appliedMigrations(db).includes('test/bad'));
  db.close();
});
