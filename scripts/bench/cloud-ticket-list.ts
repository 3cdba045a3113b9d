/**
 * A phone's ticket list on the PostgreSQL store at scale: `--villages` ×
 * `--tickets` entities per village in `entities` (4 in 5 tickets, the rest
 * announcements; 1 in 49 deleted) (made in the database with
 * generate_series, ~`--state-bytes` each), then the store's own list query
 * (PgCloudStore.list: the village's present tickets, newest first) for random
 * villages, whole and its first page of 50, with the `entities_listed` index
 * and again without it.
 *
 *   npx tsx scripts/bench/cloud-ticket-list.ts --json bench-results/cloud-ticket-list.json [--villages 1000] [--tickets 1000] [--queries 200]
 *
 * The goal scale (10,000 villages × 10,000 tickets, 10^8 rows) needs a server
 * of its own; the run here is scaled down, and what it shows is the shape: a
 * village's list is one index range either way (the primary key starts with
 * the village), its time set by the village's own tickets, not by the table's
 * size; the index spares the sort, which is what lets a page stop early.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startPostgresServer } from '@cunbox/test-support/postgres';
import { openPgDatabase } from '../../cloud/src/pg/database.ts';

const { values } = parseArgs({
  options: { json: { type: 'string' }, villages: { type: 'string', default: '1000' }, tickets: { type: 'string', default: '1000' }, queries: { type: 'string', default: '200' }, 'state-bytes': { type: 'string', default: '400' } },
});
const villages = Number(values.villages);
const tickets = Number(values.tickets);
const queries = Number(values.queries);
const stateBytes = Number(values['state-bytes']);

/** The query PgCloudStore.list runs. */
const LIST = 'SELECT state FROM entities WHERE village_id = $1 AND kind = $2 AND present ORDER BY created_at DESC, id DESC';
/** The first page of it, as a phone shows (the store does not page in SQL yet: this is what paging would cost). */
const PAGE = `${LIST} LIMIT 50`;

const server = startPostgresServer(['shared_buffers=256MB', 'work_mem=16MB']);
const pool = await openPgDatabase({ url: server.url, max: 2 });
try {
  const t0 = Date.now();
  // A read benchmark on a throwaway server: the table skips the WAL while it loads (10^8 rows
  // would write their size again as WAL and checkpoint it many times over).
  await pool.query('ALTER TABLE entities SET UNLOGGED');
  // In chunks of villages, two at a time (one per connection), with progress: at the goal
  // scale the load takes tens of minutes.
  const chunk = Math.max(1, Math.floor(2_000_000 / tickets));
  let next = 1;
  let loaded = 0;
  const loader = async (): Promise<void> => {
    while (next <= villages) {
      const from = next;
      const to = Math.min(villages, from + chunk - 1);
      next = to + 1;
      // Other kinds beside the tickets, as in a real village: the list must skip them.
      await pool.query(
        `INSERT INTO entities (village_id, kind, id, present, created_at, state)
         SELECT v, CASE WHEN n % 5 = 0 THEN 'announcement' ELSE 'ticket' END, 't' || n, n % 49 <> 0, 1767225600000 + n * 60000 + v,
                '{"title":"路灯坏了","pad":"' || repeat('x', $4) || '"}'
         FROM generate_series($1::int, $2::int) v, generate_series(1, $3::int) n`,
        [from, to, tickets, stateBytes],
      );
      loaded += to - from + 1;
      process.stderr.write(`[ticket-list] ${loaded}/${villages} villages loaded (${Math.round((Date.now() - t0) / 1000)} s)\n`);
    }
  };
  await Promise.all([loader(), loader()]);
  await pool.query('VACUUM ANALYZE entities');
  const loadS = (Date.now() - t0) / 1000;
  const size = (await pool.query<{ bytes: number }>("SELECT pg_total_relation_size('entities')::bigint AS bytes")).rows[0]!.bytes;

  const measure = async (sql: string): Promise<{ p50_ms: number; p99_ms: number; rows: number; plan: string }> => {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < queries; i++) {
      const village = 1 + Math.floor(Math.random() * villages);
      const start = process.hrtime.bigint();
      rows = (await pool.query(sql, [village, 'ticket'])).rowCount ?? 0;
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const plan = (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.replace('$1', '1').replace('$2', "'ticket'")}`)).rows.map((r) => r['QUERY PLAN'].trim()).join(' | ');
    return { p50_ms: round(times[Math.floor(times.length * 0.5)]!), p99_ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!), rows, plan };
  };

  const withIndex = { list: await measure(LIST), page: await measure(PAGE) };
  await pool.query('DROP INDEX entities_listed');
  await pool.query('ANALYZE entities');
  const without = { list: await measure(LIST), page: await measure(PAGE) };
  const result = { villages, entities_per_village: tickets, tickets_listed_per_village: withIndex.list.rows, rows: villages * tickets, state_bytes: stateBytes, load_s: round(loadS), table_mib: round(size / 2 ** 20), queries, with_index: withIndex, without_index: without };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await pool.end();
  server.stop();
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
