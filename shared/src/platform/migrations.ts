import { chmodSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Schema migrations for the edge's and the cloud's SQLite files, one runner
 * for both. A migration is recorded by name in `schema_migrations`; names are
 * unique forever and a released migration is never edited: add a new one.
 */
export interface Migration {
  /** Unique, stable, e.g. 'recording/001-initial'. */
  name: string;
  sql: string;
}

/** A better-sqlite3 connection (a type only: shared does not load the driver). */
export type MigratableDb = Database.Database;

export interface MigrateOptions {
  /** Wall clock (ms) for the record and the backup's name; injected by tests. */
  now?: () => number;
}

/** A migration failed; the database is as it was before the call. */
export class MigrationError extends Error {
  readonly migration: string;
  /** The copy taken before the upgrade, if one was. */
  readonly backup: string | null;
  constructor(message: string, migration: string, backup: string | null) {
    super(message);
    this.name = 'MigrationError';
    this.migration = migration;
    this.backup = backup;
  }
}

/** Names of the migrations applied to this database, in order. */
export function appliedMigrations(db: MigratableDb): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  return (db.prepare('SELECT name FROM schema_migrations ORDER BY rowid').all() as Array<{ name: string }>).map((r) => r.name);
}

/**
 * Applies the pending migrations. On a database that already has a schema, a
 * copy is taken first (`<file>.pre-<count>-<time>.bak`, SQLite's VACUUM INTO:
 * consistent while others read), and every pending migration runs in one
 * transaction: if one fails, the database is left exactly as the previous
 * version had it, so that version still runs on it, and the error names the
 * copy and the way back.
 */
export function migrate(db: MigratableDb, migrations: readonly Migration[], opts: MigrateOptions = {}): void {
  const now = opts.now ?? Date.now;
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
  }
  const appliedList = appliedMigrations(db);
  const applied = new Set(appliedList);
  const unknown = appliedList.filter((n) => !names.has(n));
  if (unknown.length > 0) throw new Error(`database has migrations this program does not know (${unknown.join(', ')}); upgrade cunbox`);
  const pending = migrations.filter((m) => !applied.has(m.name));
  if (pending.length === 0) return;
  const backup = appliedList.length > 0 && !db.memory && db.name ? preMigrationBackup(db, appliedList.length, now()) : null;
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  let current = '';
  try {
    db.transaction(() => {
      for (const m of pending) {
        current = m.name;
        db.exec(m.sql);
        record.run(m.name, now());
      }
    })();
  } catch (err) {
    const was = appliedList.length > 0 ? `schema ${appliedList.length} (${appliedList.at(-1)})` : 'an empty schema';
    const back = backup
      ? ` A copy from before the upgrade is ${backup}. To go back: reinstall the previous cunbox (it runs on this database as it is), or stop the service and copy the file back: cp ${backup} ${db.name} (and delete ${db.name}-wal and ${db.name}-shm).`
      : '';
    throw new MigrationError(`migration ${current} failed: ${(err as Error).message}. The database was left unchanged at ${was}.${back}`, current, backup);
  }
}

/** A consistent copy of the database beside it, before its schema changes; returns its path. */
function preMigrationBackup(db: MigratableDb, schemaCount: number, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = `${db.name}.pre-${schemaCount}-${stamp}.bak`;
  db.exec(`VACUUM INTO '${file.replace(/'/g, "''")}'`);
  chmodSync(file, 0o600);
  return file;
}

/**
 * The schema as data, for comparing two databases: every table's columns,
 * constraints and indexes, and the text of indexes, triggers and views with
 * runs of white space made one (SQLite keeps the text as written, less
 * `IF NOT EXISTS`). Internal tables (sqlite_*) and the migration record
 * are left out. `columnOrder: false` sorts columns by name: a column added by
 * ALTER TABLE sits last, wherever a fresh CREATE puts it, and no query here
 * depends on column order.
 */
export function describeSchema(db: MigratableDb, opts: { columnOrder?: boolean } = {}): Record<string, unknown> {
  const objects = db
    .prepare("SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY type, name")
    .all() as Array<{ type: string; name: string; tbl: string; sql: string | null }>;
  const out: Record<string, unknown> = {};
  for (const o of objects) {
    const key = `${o.type} ${o.name}`;
    if (o.type === 'table') {
      const cols = db.prepare('SELECT name, type, "notnull", dflt_value AS dflt, pk, hidden FROM pragma_table_xinfo(?)').all(o.name) as Array<{ name: string }>;
      if (opts.columnOrder === false) cols.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // Constraints (PRIMARY KEY, UNIQUE) show as indexes of the table, named or automatic.
      const indexes = (db.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name').all(o.name) as Array<{ name: string }>).map((i) => ({
        ...i,
        columns: db.prepare('SELECT name, "desc", coll, key FROM pragma_index_xinfo(?) ORDER BY seqno').all(i.name),
      }));
      const foreignKeys = db.prepare('SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(o.name);
      out[key] = { columns: cols, indexes, foreignKeys };
    } else {
      out[key] = { table: o.tbl, sql: (o.sql ?? '').replace(/\s+/g, ' ').trim() };
    }
  }
  return out;
}
