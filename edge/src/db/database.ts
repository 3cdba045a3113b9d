import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { MigrationError, migrate as migrateSchema, type MigrateOptions } from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { dirname } from 'node:path';
import { migrations as allMigrations } from './migrations.ts';
import type { Migration } from '@cunbox/shared';

export { appliedMigrations, type MigrateOptions } from '@cunbox/shared';

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

/**
 * Applies the pending migrations (shared/src/platform/migrations.ts): a copy
 * first when the database already has a schema, all pending ones in one
 * transaction. A failure is the edge's INTERNAL error, its message naming the
 * copy and the way back.
 */
export function migrate(db: Db, migrations: readonly Migration[], opts: MigrateOptions = {}): void {
  try {
    migrateSchema(db, migrations, opts);
  } catch (err) {
    if (err instanceof MigrationError) throw new CunboxError('INTERNAL', err.message);
    throw err;
  }
}
