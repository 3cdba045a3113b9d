/**
 * The PostgreSQL schema is versioned migrations too: workers started together
 * apply each one once, a later start applies only what is new, and a database
 * a newer version migrated is refused rather than written.
 */
import t from 'tap';
import { appliedPgMigrations, openPgDatabase } from '../src/pg/database.ts';
import { pgCloudMigrations } from '../src/pg/migrations.ts';
import { startPostgres } from '@cunbox/test-support/postgres';

t.test('several workers starting at once migrate once; a later start adds only the new migration', async (t) => {
  const server = startPostgres(t);
  if (!server) return;
  const pools = await Promise.all(Array.from({ length: 4 }, () => openPgDatabase({ url: server.url, max: 1 })));
  t.teardown(() => Promise.all(pools.map((p) => p.end())));
  t.same(await appliedPgMigrations(pools[0]!), pgCloudMigrations.map((m) => m.name));
  const added = { name: 'cloud-pg/999-test', sql: 'CREATE TABLE later_table (id bigint PRIMARY KEY)' };
  const later = await openPgDatabase({ url: server.url, migrations: [...pgCloudMigrations, added] });
  t.teardown(() => later.end());
  t.same((await appliedPgMigrations(later)).at(-1), added.name);
  t.ok((await later.query("SELECT to_regclass('later_table') AS t")).rows[0].t);
  await t.rejects(openPgDatabase({ url: server.url }), /migrations this version does not know \(cloud-pg\/999-test\)/, 'an older version refuses a newer database');
});

t.test('a migration that fails leaves nothing half done', async (t) => {
  const server = startPostgres(t);
  if (!server) return;
  const broken = [...pgCloudMigrations, { name: 'cloud-pg/998-broken', sql: 'CREATE TABLE half (id bigint); SELECT no_such_function()' }];
  await t.rejects(openPgDatabase({ url: server.url, migrations: broken }), /no_such_function/);
  const pool = await openPgDatabase({ url: server.url, migrations: pgCloudMigrations.slice(0, 0) });
  t.teardown(() => pool.end());
  t.same(await appliedPgMigrations(pool), [], 'not even the first one: one transaction');
  t.equal((await pool.query("SELECT to_regclass('half') AS t")).rows[0].t, null);
});
