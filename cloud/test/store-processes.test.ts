/**
 * Several cloud workers on one SQLite file (docs/design/cloud-workers.md): while another
 * connection commits as fast as it can, the store's read-then-write transactions (an edge's
 * ops, its presence) must wait for the write lock, never fail. A plain BEGIN reads a
 * snapshot first and SQLite then refuses the write at once (SQLITE_BUSY) whenever the other
 * connection committed in between.
 */
import t from 'tap';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { governanceModels } from '@cunbox/shared';
import { simulate } from '@cunbox/test-support/gen-ops';
import { tmpDir } from '@cunbox/test-support/tmp';
import { SqliteCloudStore } from '../src/store.ts';

/** Another process's writes, from a thread with its own connection: one small commit after another until told to stop. */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
// A real change: an UPDATE that leaves the row as it was commits nothing SQLite counts as a write.
const touch = db.prepare('UPDATE villages SET name = ? WHERE id = ?');
const stop = new Int32Array(workerData.stop);
let commits = 0;
parentPort.postMessage('started');
while (Atomics.load(stop, 0) === 0) { touch.run('西村' + commits, workerData.other); commits++; }
db.close();
parentPort.postMessage(commits);
`;

t.test("an edge's ops and presence commit while another process writes the same file", async (t) => {
  const file = join(tmpDir(t, 'cunbox-store-processes-'), 'cloud.db');
  const store = SqliteCloudStore.open({ file, models: governanceModels });
  t.teardown(() => store.close());
  const village = store.createVillage('东村');
  const other = store.createVillage('西村');
  const { edge } = store.redeemPairCode(store.createPairCode(village.id, 60_000))!;
  const ops = simulate(Array.from({ length: 400 }, (_, i) => ({ node: 0, advance: 10, sync: false, entity: i % 6, template: i % 10, a: i % 10, b: (i + 1) % 10, c: (i + 2) % 10 })));
  const node = ops[0]!.origin;
  store.setEdgeNode(edge.edgeId, node);
  const withNode = store.edge(edge.edgeId)!;
  const mine = ops.filter((o) => o.origin === node);

  const stop = new SharedArrayBuffer(4);
  const writer = new Worker(WRITER, { eval: true, workerData: { file, other: other.id, stop } });
  const done = new Promise<number>((resolve, reject) => {
    writer.on('message', (m) => typeof m === 'number' && resolve(m));
    writer.once('error', reject);
  });
  await new Promise((resolve) => writer.once('message', resolve));
  const failures: string[] = [];
  try {
    for (const [i, op] of mine.entries()) {
      try {
        store.ingestEdgeOps(withNode, [op]);
        store.setPresence(edge.edgeId, { online: i % 2 === 0, at: i + 1 });
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  } finally {
    Atomics.store(new Int32Array(stop), 0, 1);
  }
  const commits = await done;
  t.ok(commits > 0, 'the other connection committed meanwhile');
  t.same(failures, [], 'no write was refused');
  t.same(store.marks(edge.edgeId).opsCommitted, mine.length, 'every op is committed, in one gap-free run');
  t.match(store.edge(edge.edgeId), { presenceAt: mine.length }, 'the newest presence is held');
});
