/**
 * The cloud's PostgreSQL connection pool and its migration runner. Several
 * workers share one database: each opens its own pool, and migrations run
 * under an advisory lock, so workers started together apply each migration
 * once, in order.
 */
import pg from 'pg';
import { pgCloudMigrations, type PgMigration } from './migrations.ts';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient | pg.Pool;

/** Any bigint the store reads is a time in ms, a count or a seq: well within 2^53. */
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser,
};

/** One key for the migration lock, the same in every worker (an arbitrary constant: "cunbox" in ASCII). */
const MIGRATION_LOCK = 0x63756e626f78;

export interface PgOpenOptions {
  /** postgresql://… (a unix socket: ?host=/path/to/dir). */
  url: string;
  /** Connections this worker keeps at most. */
  max?: number;
  migrations?: readonly PgMigration[];
  now?: () => number;
  /** Told when an idle connection fails (the server restarted, a failover); the pool replaces it. */
  log?: { warn(obj: object, msg: string): void };
}

/** Opens a pool and brings the schema up to date; the caller ends the pool. */
export async function openPgDatabase(opts: PgOpenOptions): Promise<PgPool> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.max ?? 10, types: pgTypes });
  // An idle connection the server drops must not take the process down: the next query gets a new one.
  pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'an idle database connection failed'));
  try {
    await migratePg(pool, opts.migrations ?? pgCloudMigrations, opts.now ?? Date.now);
    return pool;
  } catch (err) {
    await pool.end();
    throw err;
  }
}

/** Names of the applied migrations, in order. */
export async function appliedPgMigrations(pool: PgPool): Promise<string[]> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return [];
  return (await pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY applied_at, name')).rows.map((r) => r.name);
}

async function migratePg(pool: PgPool, migrations: readonly PgMigration[], now: () => number): Promise<void> {
  await inTransaction(pool, async (client) => {
    // Held to the end of the transaction: a second worker waits here, then finds the work done.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...done].filter((n) => !known.has(n));
    // A database migrated by a newer version: this one would write what the newer one does not expect.
    if (unknown.length > 0) throw new Error(`the database has migrations this version does not know (${unknown.join(', ')}): run the newer version`);
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [m.name, now()]);
    }
  });
}

/** Runs `fn` in one transaction on one connection of the pool; rolls back if it throws. */
export async function inTransaction<T>(pool: PgPool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
