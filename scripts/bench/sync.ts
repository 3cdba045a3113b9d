/**
 * Sync benchmark. The cloud runs as in production, in its own
 * process (`cunbox-cloud serve`, embedded Aedes); the edge side (OpStore and
 * SyncClient, which is all the edge does for sync) runs in this process.
 *
 *   npx tsx scripts/bench/sync.ts --json bench-results/sync.json [--ops 100000] [--steady-s 10]
 *
 * Three phases in one run:
 * 1. drain: a backlog of `--ops` ops made while offline, then the edge
 *    connects; drain_s is connect → every op acked by the cloud.
 * 2. steady: while syncing, the edge commits ops at an offered `--rate`
 *    (default 20,000/s: more than one edge process here manages while it also
 *    syncs, so ops_per_s is the capacity; batches every 10 ms) for `--steady-s` s;
 *    ops_per_s is what the cloud acknowledged per second over that window,
 *    and ack_lag_p50/p99_ms how long an op waited from its commit on the
 *    edge to the cloud's ack of it.
 * 3. baseline: the same op batches published raw (QoS 1) through an Aedes
 *    broker in this process to a subscriber that only counts them: what MQTT
 *    alone carries on this machine; `ratio` = ops_per_s / baseline_ops_per_s.
 * lost / duplicated: edge ops missing at / copied twice into the cloud, over
 * both phases.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { governanceModels } from '@cunbox/shared';
import { EmbeddedBroker } from '../../cloud/src/broker.ts';
import { startCloudProcess } from './cloud-process.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, ops: { type: 'string', default: '100000' }, 'steady-s': { type: 'string', default: '10' }, rate: { type: 'string', default: '20000' } } });
const backlog = Number(values.ops);
const steadyS = Number(values['steady-s']);
const rate = Number(values.rate);
const { dir, httpPort, token, child: cloud } = await startCloudProcess('cunbox-bench-sync-', 'warn');
const api = async (path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};
let sync: SyncClient | undefined;
try {
  const village = await waitForCloud(() => api('/api/villages', { name: 'bench' }));
  const { code } = await api(`/api/villages/${village.id}/pair-codes`);
  const paired = await api('/api/pair', { code });
  const db = openDatabase(join(dir, 'edge.db'));
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  let made = 0;
  const draft = () => {
    const n = made++;
    return {
      entityKind: 'ticket',
      entityId: `01JD${String(n).padStart(22, '0')}`,
      type: 'ticket.created',
      payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `bench ${n}`, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'bench' },
    };
  };
  const commitStart = performance.now();
  for (let done = 0; done < backlog; done += 1000) store.commit('bench', Array.from({ length: Math.min(1000, backlog - done) }, draft));
  const commitOpsPerS = backlog / ((performance.now() - commitStart) / 1000);
  const started = performance.now();
  sync = new SyncClient({
    db,
    store,
    clock: systemClock,
    log: silentLogger(),
    credentials: { edgeId: paired.edgeId, mqttUrl: paired.mqttUrl, username: paired.username, password: paired.password },
    options: { pollMs: 20 },
    audit: auditLogBeside(db),
  });
  sync.start();
  // The edge's acked mark moves only on the cloud's ack, which it sends after its commit.
  const acked = () => sync!.status().opsAcked;
  const bound = Date.now() + 600_000;
  while (acked() < backlog && Date.now() < bound) await sleep(50);
  const drainS = (performance.now() - started) / 1000;

  // Steady: offer `rate` ops/s for steadyS seconds; count what the cloud acked in that window.
  const steadyFrom = acked();
  const steadyStart = performance.now();
  const committedAt: number[] = []; // by seq - steadyFrom - 1
  const lags: number[] = [];
  let lagSeen = steadyFrom;
  const noteAcks = () => {
    const now = performance.now();
    for (const upTo = acked(); lagSeen < upTo; lagSeen++) {
      const at = committedAt[lagSeen - steadyFrom];
      if (at !== undefined) lags.push(now - at);
    }
  };
  while (performance.now() - steadyStart < steadyS * 1000) {
    // At most 50 ms of ops per step: an edge that falls behind must not spiral into ever larger commits.
    const due = Math.min(Math.ceil(rate / 20), Math.floor(((performance.now() - steadyStart) / 1000) * rate) - (made - backlog));
    if (due > 0) {
      store.commit('bench', Array.from({ length: due }, draft));
      const now = performance.now();
      for (let i = 0; i < due; i++) committedAt.push(now);
    }
    noteAcks();
    await sleep(10);
  }
  const steadyOps = acked() - steadyFrom;
  const opsPerS = steadyOps / ((performance.now() - steadyStart) / 1000);
  const offered = made - backlog;
  while (acked() < made && Date.now() < bound) {
    noteAcks();
    await sleep(10);
  }
  noteAcks();
  lags.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? NaN);
  const node = store.node;
  const baselineBatch = store.localOpsAfter(0, 200);
  await sync.stop();
  sync = undefined;
  db.close();
  await stopCloud();

  const cloudDb = new Database(join(dir, 'cloud', 'cloud.db'), { readonly: true });
  const atCloud = (cloudDb.prepare('SELECT seq FROM ops WHERE origin = ?').pluck().all(node) as number[]);
  cloudDb.close();
  const distinct = new Set(atCloud);
  let lost = 0;
  for (let s = 1; s <= made; s++) if (!distinct.has(s)) lost++;
  const baseline = await rawMqttOpsPerS(baselineBatch, 100_000);
  const result = {
    ops_per_s: Math.round(opsPerS),
    steady_s: steadyS,
    offered_ops_per_s: Math.round(offered / steadyS),
    ack_lag_p50_ms: pct(50),
    ack_lag_p99_ms: pct(99),
    edge_commit_ops_per_s: Math.round(commitOpsPerS),
    backlog_ops: backlog,
    drain_s: Number(drainS.toFixed(2)),
    drain_ops_per_s: Math.round(backlog / drainS),
    lost,
    duplicated: atCloud.length - distinct.size,
    baseline_ops_per_s: Math.round(baseline),
    ratio: Number((opsPerS / baseline).toFixed(3)),
    topology: 'cloud in its own process (cunbox-cloud serve, embedded Aedes); edge OpStore + SyncClient in the bench process; loopback',
  };
  console.log(JSON.stringify(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await sync?.stop();
  await stopCloud();
  rmSync(dir, { recursive: true, force: true });
}

async function stopCloud(): Promise<void> {
  if (cloud.exitCode !== null || cloud.signalCode !== null) return;
  const exited = new Promise((r) => cloud.once('exit', r));
  cloud.kill('SIGTERM');
  await exited;
}

async function waitForCloud<T>(attempt: () => Promise<T>): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > until || cloud.exitCode !== null) throw err;
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Ops per second MQTT alone carries: batches of 200 real ops, QoS 1, to a subscriber that counts. */
async function rawMqttOpsPerS(batch: unknown[], total: number): Promise<number> {
  const broker = new EmbeddedBroker({ auth: { authenticate: async () => ({ kind: 'service' }) }, log: pino({ level: 'silent' }) });
  await broker.start('127.0.0.1', 0);
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const opts = { username: 'bench', password: 'bench', protocolVersion: 4 as const };
  const sub = await mqtt.connectAsync(url, { ...opts, clientId: 'bench-baseline-sub' });
  const pub = await mqtt.connectAsync(url, { ...opts, clientId: 'bench-baseline-pub' });
  const t = 'cunbox/bench/baseline';
  await sub.subscribeAsync(t, { qos: 1 });
  const payload = Buffer.from(JSON.stringify({ v: 1, ops: batch }));
  const batches = Math.ceil(total / batch.length);
  let received = 0;
  const done = new Promise<void>((resolve) => sub.on('message', () => ++received === batches && resolve()));
  const start = performance.now();
  // Bounded in flight like the sync window (2000 ops = 10 batches).
  for (let sent = 0; sent < batches; ) {
    await Promise.all(Array.from({ length: Math.min(10, batches - sent) }, () => pub.publishAsync(t, payload, { qos: 1 })));
    sent += 10;
  }
  await done;
  const s = (performance.now() - start) / 1000;
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  await broker.stop();
  return (batches * batch.length) / s;
}
