import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, type Migration, type MigrateOptions } from '@cunbox/shared';
import { cloudMigrations } from './migrations.ts';

export type CloudDb = Database.Database;

/**
 * Opens (creating if needed) the cloud database and brings its schema up to
 * date. The process opens it once: the store, the account and audit stores and
 * the media index all share this one connection, so their writes never wait
 * on each other's locks.
 *
 * synchronous=FULL: a committed op must survive power loss before we ack it;
 * with NORMAL a committed transaction can roll back after a power cut.
 */
export function openCloudDatabase(file: string, opts: MigrateOptions & { migrations?: readonly Migration[] } = {}): CloudDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Operator tools (a backup, sqlite3 by hand) may hold the file for a moment.
    db.pragma('busy_timeout = 5000');
    adoptUnversioned(db, opts.now ?? Date.now);
    migrate(db, opts.migrations ?? cloudMigrations, opts);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * A database made before the cloud's schema was versioned has tables but no
 * record of migrations. Brings it to what `cloud/001-initial` makes (adding
 * the column the old code added on start), and records what it already has,
 * so that the runner goes on from there.
 */
function adoptUnversioned(db: CloudDb, now: () => number): void {
  const has = (sql: string, ...params: unknown[]): boolean => db.prepare(sql).get(...params) !== undefined;
  if (has("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'") || !has("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'villages'")) return;
  const column = (table: string, name: string): boolean => has('SELECT 1 FROM pragma_table_info(?) WHERE name = ?', table, name);
  db.transaction(() => {
    if (!column('edges', 'presence_at')) db.exec('ALTER TABLE edges ADD COLUMN presence_at INTEGER NOT NULL DEFAULT 0');
    const [initial, revocation] = cloudMigrations;
    db.exec(initial!.sql);
    db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
    record.run(initial!.name, now());
    if (column('edges', 'revoked_at')) record.run(revocation!.name, now());
  })();
}
