import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the edge database and brings its schema up to date.
 *
 * WAL lets the CLI read while the recorder writes. synchronous=FULL because the
 * event rows here feed the sync outbox: with NORMAL a committed transaction can
 * roll back after a power cut, and a lost event cannot be recovered from disk the
 * way a segment row can.
 */
export function openDatabase(file: string, opts: { readonly?: boolean; migrations?: readonly Migration[] } = {}): Db {
  if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, opts.migrations ?? allMigrations);
  }
  return db;
}

/** Names of the migrations applied to this database, in order. */
export function appliedMigrations(db: Db): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  return (db.prepare('SELECT name FROM schema_migrations ORDER BY rowid').all() as Array<{ name: string }>).map((r) => r.name);
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const applied = new Set(appliedMigrations(db));
  const unknown = [...applied].filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`database has migrations this program does not know (${unknown.join(', ')}); upgrade cunbox`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.name, Date.now());
    })();
  }
}
