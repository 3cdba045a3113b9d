/**
 * Sync benchmark (issue #5): an edge with a backlog of ops drains it to the
 * cloud over the embedded Aedes broker on loopback.
 *
 *   npx tsx scripts/bench/sync.ts --json bench-results/sync.json [--ops 100000]
 *
 * Keys: ops_per_s (edge → cloud, during the drain), backlog_ops, drain_s,
 * lost (edge ops missing at the cloud), duplicated (extra copies at the cloud).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { governanceModels } from '@cunbox/shared';
import { Cloud } from '../../cloud/src/index.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, ops: { type: 'string', default: '100000' } } });
const backlog = Number(values.ops);
const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-sync-'));
const token = 'bench-token';
const cloud = new Cloud({
  config: { dataDir: join(dir, 'cloud'), http: { host: '127.0.0.1', port: 0 }, operatorToken: token, mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, publicUrl: null } },
  log: pino({ level: 'silent' }),
});
let sync: SyncClient | undefined;
try {
  await cloud.start();
  const village = cloud.store.createVillage('bench');
  const paired = cloud.store.redeemPairCode(cloud.store.createPairCode(village.id, 60_000))!;
  const db = openDatabase(join(dir, 'edge.db'));
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  for (let done = 0; done < backlog; done += 1000) {
    const n = Math.min(1000, backlog - done);
    store.commit(
      'bench',
      Array.from({ length: n }, (_, i) => ({
        entityKind: 'ticket',
        entityId: `01JD${String(done + i).padStart(22, '0')}`,
        type: 'ticket.created',
        payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `bench ${done + i}`, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'bench' },
      })),
    );
  }
  const started = performance.now();
  sync = new SyncClient({
    db,
    store,
    clock: systemClock,
    log: silentLogger(),
    credentials: { edgeId: paired.edge.edgeId, mqttUrl: cloud.mqttUrl, username: paired.edge.edgeId, password: paired.password },
    options: { pollMs: 20 },
  });
  sync.start();
  const bound = Date.now() + 600_000;
  while (sync.status().opsPending > 0 && Date.now() < bound) await new Promise((r) => setTimeout(r, 50));
  const drainS = (performance.now() - started) / 1000;
  const atCloud = cloud.store.opsAfter(village.id, store.node, 0, backlog * 2).map((o) => o.seq);
  const distinct = new Set(atCloud);
  let lost = 0;
  for (let s = 1; s <= backlog; s++) if (!distinct.has(s)) lost++;
  const result = { ops_per_s: Math.round(backlog / drainS), backlog_ops: backlog, drain_s: Number(drainS.toFixed(2)), lost, duplicated: atCloud.length - distinct.size, broker: 'aedes (embedded, loopback)' };
  console.log(JSON.stringify(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  await sync.stop();
  sync = undefined;
  db.close();
} finally {
  await sync?.stop();
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
}
