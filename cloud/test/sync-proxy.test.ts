import t from 'tap';
import { join } from 'node:path';
import { governanceModels } from '@cunbox/shared';
import { aedesRig } from '@cunbox/test-support/brokers';
import { TcpProxy } from '@cunbox/test-support/proxy';
import { waitFor } from '@cunbox/test-support/wait';
import { assertConverged } from '@cunbox/test-support/converge';
import { testCloudData } from '@cunbox/test-support/cloud-store';
import { tmpDir } from '@cunbox/test-support/tmp';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { startEdgeSync } from '@cunbox/test-support/edge-sync';

const draft = (n: number) => ({
  entityKind: 'ticket',
  entityId: `01JE${String(n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `proxy ${n}`, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'admin' },
});

t.test('a link that black-holes, then drops, loses nothing', async (t) => {
  const dir = tmpDir(t, 'cunbox-sync-proxy-');
  const rig = await aedesRig(dir);
  t.teardown(() => rig.close());
  const port = Number(new URL(rig.url).port);
  const proxy = new TcpProxy({ host: '127.0.0.1', port });
  await proxy.start();
  t.teardown(() => proxy.stop());
  const village = await rig.cloud.data.createVillage('proxy');
  const paired = (await rig.cloud.data.redeemPairCode(await rig.cloud.data.createPairCode(village.id, 60_000)))!;
  const db = openDatabase(join(dir, 'edge.db'));
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const credentials = { edgeId: paired.edge.edgeId, mqttUrl: `mqtt://127.0.0.1:${proxy.port}`, username: paired.edge.edgeId, password: paired.password };
  const sync = startEdgeSync(t, db, store, credentials, { pollMs: 30, resendMs: 300, batch: 5, backoff: { baseMs: 50, maxMs: 300 } });
  let n = 0;
  const both = async (k: number) => {
    for (let i = 0; i < k; i++) store.commit('admin', [draft(++n)]);
    for (let i = 0; i < k; i++) (await rig.cloud.data.commit(village.id, 'phone', [draft(100_000 + ++n)]));
    rig.cloud.sync.notify();
  };
  await both(20);
  await waitFor('first ops through', () => sync.status().opsAcked > 0);
  proxy.set('blackhole');
  await both(20);
  await new Promise((r) => setTimeout(r, 400));
  proxy.set('drop');
  await both(20);
  await new Promise((r) => setTimeout(r, 200));
  proxy.set('pass');
  await both(20);
  const edgeOps = 80;
  const cloudOps = 80;
  await waitFor('convergence', async () => (await rig.cloud.data.opCount(village.id)) === edgeOps + cloudOps && sync.status().appliedSeq === cloudOps && sync.status().opsPending === 0, 60_000);
  const seqs = (db.prepare('SELECT seq FROM gov_ops WHERE origin = ? ORDER BY seq').all(village.node) as Array<{ seq: number }>).map((r) => r.seq);
  t.same(seqs, Array.from({ length: cloudOps }, (_, i) => i + 1), "the cloud's ops at the edge: once each, contiguous");
  t.same(
    (await rig.cloud.data.opsAfter(village.id, store.node, 0, 1000)).map((o) => o.seq),
    Array.from({ length: edgeOps }, (_, i) => i + 1),
    "the edge's ops at the cloud: once each, contiguous",
  );
  const edgeState = Object.fromEntries((db.prepare('SELECT kind, id, state FROM gov_entities ORDER BY kind, id').all() as Array<{ kind: string; id: string; state: string }>).map((r) => [`${r.kind}/${r.id}`, JSON.parse(r.state)]));
  t.same((await rig.cloud.data.snapshot(village.id)), edgeState, 'equal state');
  t.ok(sync.stats.connects >= 2, 'the edge reconnected after the drop');
});

t.test('a slow link (64 KiB/s, 200 ms) carries a few thousand ops both ways: none lost, none twice', async (t) => {
  const dir = tmpDir(t, 'cunbox-sync-slow-');
  const rig = await aedesRig(dir);
  t.teardown(() => rig.close());
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(rig.url).port) });
  await proxy.start();
  t.teardown(() => proxy.stop());
  proxy.set('slow', { latencyMs: 200, bytesPerSec: 64 * 1024 });
  const village = await rig.cloud.data.createVillage('slow');
  const paired = (await rig.cloud.data.redeemPairCode(await rig.cloud.data.createPairCode(village.id, 60_000)))!;
  const edgeFile = join(dir, 'edge.db');
  const db = openDatabase(edgeFile);
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  // Production batch and window; a resend timer shorter than the link needs for a batch, so stalls and resends happen.
  const credentials = { edgeId: paired.edge.edgeId, mqttUrl: `mqtt://127.0.0.1:${proxy.port}`, username: paired.edge.edgeId, password: paired.password };
  const sync = startEdgeSync(t, db, store, credentials, { pollMs: 50, resendMs: 1500, backoff: { baseMs: 50, maxMs: 300 } });
  // A steady stream: 60 rounds of 25 ops each way. The first round's ops carry 4,000-character
  // descriptions (12 KB each): 25 of them are more than one MQTT message may carry (256 KiB).
  const perSide = 1500;
  const long = '村'.repeat(4000);
  let n = 0;
  const slowDraft = (side: string, i: number) => ({ ...draft(++n), payload: { ...draft(n).payload, description: i < 25 ? `${side} ${i} ${long}` : `${side} ${i}` } });
  const t0 = Date.now();
  for (let i = 0; i < perSide; i += 25) {
    store.commit('admin', Array.from({ length: 25 }, (_, k) => slowDraft('edge', i + k)));
    await rig.cloud.data.commit(village.id, 'phone', Array.from({ length: 25 }, (_, k) => slowDraft('cloud', i + k)));
    rig.cloud.sync.notify();
    await new Promise((r) => setTimeout(r, 50));
  }
  const where = async () => `cloud holds ${(await rig.cloud.data.opCount(village.id))} ops, dead letters ${(await rig.cloud.data.deadLetters()).map((d) => d.reason).join('; ')}; edge: ${JSON.stringify(sync.status())}`;
  await waitFor('convergence through the slow link', async () => (await rig.cloud.data.opCount(village.id)) === 2 * perSide && sync.status().appliedSeq === perSide && sync.status().opsPending === 0, 120_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${where()}`);
  });
  const ms = Date.now() - t0;
  proxy.set('pass'); // the goodbyes need not wait behind the queue
  const opBytes = (ops: unknown[]) => Buffer.byteLength(JSON.stringify(ops)) / 1024;
  const useful = { up: opBytes((await rig.cloud.data.opsAfter(village.id, store.node, 0, 1e6))), down: opBytes((await rig.cloud.data.opsAfter(village.id, village.node, 0, 1e6))) };
  await sync.stop();
  await rig.close();
  const r = await assertConverged(t, edgeFile, testCloudData(join(dir, 'cloud')), village.id);
  t.same(Object.values(r.perOrigin).sort(), [perSide, perSide], 'each side made its ops, each once');
  t.comment(`slow link: ${2 * perSide} ops (${useful.up.toFixed(0)} KiB up, ${useful.down.toFixed(0)} KiB down) in ${(ms / 1000).toFixed(1)} s; offered to the link (resends included) ${(proxy.slowBytes.up / 1024).toFixed(0)} KiB up, ${(proxy.slowBytes.down / 1024).toFixed(0)} KiB down; edge: ${sync.stats.batchesSent} batches, ${sync.stats.connects} connects`);
});
