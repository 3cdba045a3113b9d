/**
 * Upgrades: before a new version changes the schema of an existing database it
 * takes a copy, and a migration that fails leaves the database exactly as the
 * old version had it (the old version still opens it) and says how to go back.
 */
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appliedMigrations, migrate, openDatabase } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const good = { name: 'test/010-notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' };
const bad = { name: 'test/011-broken', sql: 'ALTER TABLE notes ADD COLUMN x INTEGER; CREATE INDEX oops ON no_such_table (y)' };
const NOW = Date.UTC(2026, 10, 30, 3, 30, 0);

t.test('a failing migration in an upgrade: nothing of the upgrade stays, the old version opens the database, the message names the copy', async (t) => {
  const dir = tmpDir(t, 'cunbox-upgrade-');
  const file = join(dir, 'cunbox.db');
  const old = openDatabase(file);
  old.prepare("INSERT INTO cameras (name, main_url, created_at, updated_at) VALUES ('东口', 'rtsp://127.0.0.1/x', 1, 1)").run();
  old.close();

  const db = openDatabase(file, { migrations }); // the new version opening it
  let message = '';
  try {
    migrate(db, [...migrations, good, bad], { now: () => NOW });
  } catch (err) {
    message = (err as Error).message;
  }
  const copy = `${file}.pre-${migrations.length}-20261130T033000Z.bak`;
  t.match(message, `migration test/011-broken failed: no such table: main.no_such_table`);
  t.match(message, `The database was left unchanged at schema ${migrations.length} (${migrations.at(-1)!.name})`);
  t.match(message, `A copy from before the upgrade is ${copy}`);
  t.match(message, `cp ${copy} ${file}`);
  t.same(appliedMigrations(db), migrations.map((m) => m.name), 'the migration before the failing one is not kept either');
  t.notOk(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'notes'").get(), 'no table of the failed upgrade');
  db.close();

  // The old version runs on it as it is.
  const back = openDatabase(file, { migrations });
  t.equal((back.prepare('SELECT name FROM cameras').get() as { name: string }).name, '东口');
  back.close();
  // The copy is the database from before the upgrade.
  t.ok(existsSync(copy), 'the copy exists');
  const fromCopy = openDatabase(copy, { readonly: true });
  t.same(appliedMigrations(fromCopy), migrations.map((m) => m.name));
  t.equal((fromCopy.prepare('SELECT count(*) AS n FROM cameras').get() as { n: number }).n, 1);
  fromCopy.close();
});

t.test('a successful upgrade keeps its copy; a new database and an up-to-date one take none', async (t) => {
  const dir = tmpDir(t, 'cunbox-upgrade-ok-');
  const file = join(dir, 'cunbox.db');
  openDatabase(file).close();
  openDatabase(file).close();
  t.same(readdirSync(dir).filter((n) => n.endsWith('.bak')), [], 'no copy when nothing is pending');
  const db = openDatabase(file, { migrations: [...migrations, good] });
  t.equal(appliedMigrations(db).at(-1), good.name);
  db.close();
  t.equal(readdirSync(dir).filter((n) => n.startsWith(`cunbox.db.pre-${migrations.length}-`) && n.endsWith('.bak')).length, 1, 'one copy, named by the schema it holds');
});
