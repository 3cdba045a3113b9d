import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { CunboxError } from '../errors.ts';
import { dirname } from 'node:path';
import { migrations as allMigrations } from './migrations.ts';
import type { Migration } from './migration.ts';

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

export interface MigrateOptions {
  /** Wall clock for the backup's name; injected by tests. */
  now?: () => number;
}

/**
 * Applies the pending migrations. On a database that already has a schema, a
 * copy is taken first (`<file>.pre-<count>-<time>.bak`, SQLite's VACUUM INTO:
 * consistent while others read), and every pending migration runs in one
 * transaction: if one fails, the database is left exactly as the previous
 * cunbox version had it, so that version still runs on it, and the error
 * names the copy and the way back.
 */
export function migrate(db: Db, migrations: readonly Migration[], opts: MigrateOptions = {}): void {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const appliedList = appliedMigrations(db);
  const applied = new Set(appliedList);
  const unknown = [...applied].filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`database has migrations this program does not know (${unknown.join(', ')}); upgrade cunbox`);
  }
  const pending = migrations.filter((m) => !applied.has(m.name));
  if (pending.length === 0) return;
  const backup = appliedList.length > 0 && !db.memory && db.name ? preMigrationBackup(db, appliedList.length, (opts.now ?? Date.now)()) : null;
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  let current = '';
  try {
    db.transaction(() => {
      for (const m of pending) {
        current = m.name;
        db.exec(m.sql);
        record.run(m.name, Date.now());
      }
    })();
  } catch (err) {
    const was = `schema ${appliedList.length} (${appliedList.at(-1)})`;
    const back = backup
      ? ` A copy from before the upgrade is ${backup}. To go back: reinstall the previous cunbox (it runs on this database as it is), or stop the edge and copy the file back: cp ${backup} ${db.name} (and delete ${db.name}-wal and ${db.name}-shm).`
      : '';
    throw new CunboxError('INTERNAL', `migration ${current} failed: ${(err as Error).message}. The database was left unchanged at ${was}.${back}`);
  }
}

/** A consistent copy of the database beside it, before its schema changes; returns its path. */
function preMigrationBackup(db: Db, schemaCount: number, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = `${db.name}.pre-${schemaCount}-${stamp}.bak`;
  db.exec(`VACUUM INTO '${file.replace(/'/g, "''")}'`);
  chmodSync(file, 0o600);
  return file;
}
