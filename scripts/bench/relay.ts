/**
 * Relay benchmark: phones see a camera through the cloud while the edge's
 * only line to the cloud is a slow uplink.
 *
 *   npx tsx scripts/bench/relay.ts --json docs/design/bench-relay.json [--kbps 1000] [--latency-ms 150]
 *
 * The cloud runs as in production (`cunbox-cloud serve`, its own process);
 * the edge (the real Edge: recorders, live view, sync, relay) runs in this
 * process with one simulated camera (scripts/camsim). The edge reaches the
 * cloud only through two TCP proxies (MQTT and HTTP) that share one link of
 * `--kbps` and `--latency-ms` each way; phones talk to the cloud directly.
 * The edge's relay uplink is capped below the link (`relay_kbps`).
 *
 * Phases, one after the other:
 * 1. ops alone: an op every 100 ms; op_ack_p95_ms_without_video (commit on
 *    the edge → the cloud's ack back at the edge).
 * 2. snapshots: a phone asks for a picture (uncached) N times; snapshot_p95_ms
 *    is request → JPEG received, over all of them; the first finds no
 *    snapshot feed running on the edge (snapshot_cold_ms), the others one
 *    started by it (snapshot_warm_p95_ms).
 * 3. live: three phones watch the camera, one after the other; the same op
 *    load runs. live_first_frame_ms: request → first fragment (a key frame)
 *    for the first phone; live_delay_ms: camera → phone, p50/p95 over every
 *    fragment of every phone after its first 2 s (the camera sends frame f of
 *    its loop at loop_epoch_ms + f / fps, see the camsim README; each
 *    fragment's decode time places it on that clock); edge_upstreams_for_3_viewers:
 *    live uploads the edge opened; op_ack_p95_ms_during_live.
 * 4. clips: 10-s clips of the recording, each a new range; clip_10s_p95_ms.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Fragment } from '@cunbox/shared/fmp4';
import { startCamsim } from '../camsim/camsim.ts';
import { Edge } from '../../edge/src/edge.ts';
import { parseConfig } from '../../edge/src/config/load.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { UserStore } from '../../edge/src/auth/users.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { SharedLink, TcpProxy } from '@cunbox/test-support/proxy';
import { waitFor } from '@cunbox/test-support/wait';
import { watchLive, type LiveWatch } from '@cunbox/test-support/live-phone';
import { startCloudProcess } from './cloud-process.ts';
import { percentile } from './proc-stats.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, kbps: { type: 'string', default: '1000' }, 'latency-ms': { type: 'string', default: '150' }, snapshots: { type: 'string', default: '12' }, clips: { type: 'string', default: '3' }, 'live-s': { type: 'string', default: '20' } } });
const LINK = { bytesPerSec: (Number(values.kbps) * 1000) / 8, latencyMs: Number(values['latency-ms']) };
/** The relay's share of the link: the rest stays for ops and pictures. */
const RELAY_KBPS = Math.round(Number(values.kbps) * 0.7);
const PASSWORD = 'Bench-Password-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n);

const link = new SharedLink();
let mqttProxy: TcpProxy | undefined;
const cloud = await startCloudProcess('cunbox-bench-relay-', 'warn', {
  mqttPublicUrl: async (mqttPort) => {
    mqttProxy = new TcpProxy({ host: '127.0.0.1', port: mqttPort }, link);
    await mqttProxy.start();
    return `mqtt://127.0.0.1:${mqttProxy.port}`;
  },
});
const cloudUrl = `http://127.0.0.1:${cloud.httpPort}`;
const httpProxy = new TcpProxy({ host: '127.0.0.1', port: cloud.httpPort }, link);
await httpProxy.start();
const sim = await startCamsim({ cameras: 1 });
let edge: Edge | undefined;
try {
  const operator = async (path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${cloudUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${cloud.token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const village = await waitFor('the cloud up', () => operator('/api/villages', { name: 'bench' }).catch(() => undefined), 60_000, 200);
  const { code } = await operator(`/api/villages/${village.id}/pair-codes`);
  const edgeDir = join(cloud.dir, 'edge');
  const pair = await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code]);
  if (pair.code !== 0) throw new Error(`pairing: ${pair.err}`);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const edgeId = (JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string }).edgeId;
  const cam = sim.cameras[0]!;
  const yaml = [
    `data_dir: ${edgeDir}`,
    'cloud:',
    `  url: http://127.0.0.1:${httpProxy.port}`,
    `  edge_id: ${JSON.stringify(edgeId)}`,
    `  credentials_file: ${credFile}`,
    `  relay_kbps: ${RELAY_KBPS}`,
    'http:',
    '  host: 127.0.0.1',
    '  port: 0',
    'recording:',
    '  segment_seconds: 4',
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 0',
    'cameras:',
    `  - name: ${cam.name}`,
    `    main: ${cam.urls.main}`,
    `    sub: ${cam.urls.sub}`,
    `    user: ${cam.user}`,
    `    password: ${cam.password}`,
    '',
  ].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  const users = new UserStore({ db: edge.db, clock: systemClock });
  for (const name of ['p1', 'p2', 'p3']) await users.create({ username: name, password: PASSWORD, role: 'admin' });
  // The link is slow from here on: the accounts reach the cloud over it, like everything else.
  for (const p of [mqttProxy!, httpProxy]) p.set('slow', LINK);
  const e = edge;
  await waitFor('the edge recording', () => e.cameraStatus().every((c) => c.state === 'recording') || undefined, 60_000, 200);
  const tokens: string[] = [];
  for (const name of ['p1', 'p2', 'p3']) {
    const token = await waitFor(`${name} signed in on the cloud`, async () => {
      const r = await fetch(`${cloudUrl}/api/v1/villages/${village.id}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, password: PASSWORD }) });
      return r.status === 200 ? ((await r.json()) as { token: string }).token : undefined;
    }, 120_000, 500);
    tokens.push(token);
  }
  const camUrl = (what: string) => `${cloudUrl}/api/v1/villages/${village.id}/cameras/1/${what}`;
  const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

  // Op acks, as media-acks measures them: commit on the edge, the cloud's ack back in sync_peers.
  const store = e.governance!.store;
  const acked = (): number => (e.db.prepare("SELECT ops_acked FROM sync_peers WHERE peer = 'cloud'").get() as { ops_acked: number } | undefined)?.ops_acked ?? 0;
  let n = 0;
  const opAcks = async (forMs: number): Promise<number[]> => {
    const committed = new Map<number, number>();
    const latency: number[] = [];
    const watcher = setInterval(() => {
      const a = acked();
      for (const [seq, at] of committed) if (seq <= a) (latency.push(Date.now() - at), committed.delete(seq));
    }, 2);
    const until = Date.now() + forMs;
    while (Date.now() < until) {
      const payload = { category: 'road', categoryName: 'road', slaMinutes: 60, description: `bench ${++n}`, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'p1' };
      const [op] = store.commit('p1', [{ entityKind: 'ticket', entityId: `01JF${String(n).padStart(22, '0')}`, type: 'ticket.created', payload }]);
      committed.set(op!.seq, Date.now());
      await sleep(100);
    }
    await waitFor('every op acked', () => committed.size === 0 || undefined, 60_000, 20);
    clearInterval(watcher);
    return latency;
  };

  // 1. ops alone.
  await opAcks(3000);
  const acksAlone = await opAcks(10_000);
  process.stderr.write(`[bench] ops alone: p95 ${percentile(acksAlone, 95)} ms\n`);

  // 2. snapshots: three users in turn, 1.2 s apart, so none is served from the cloud's 3-s cache.
  const snapshotMs: number[] = [];
  for (let i = 0; snapshotMs.length < Number(values.snapshots) && i < Number(values.snapshots) * 2; i++) {
    const t0 = performance.now();
    const r = await get(camUrl('snapshot'), tokens[i % 3]!);
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status === 200 && r.headers.get('x-relay-cached') === '0' && body[0] === 0xff) snapshotMs.push(performance.now() - t0);
    else process.stderr.write(`[bench] snapshot ${i}: ${r.status} cached=${r.headers.get('x-relay-cached')}\n`);
    await sleep(1200);
  }
  process.stderr.write(`[bench] snapshots: p95 ${percentile(snapshotMs, 95)} ms\n`);

  // 3. live: three phones; the ops keep going meanwhile.
  const opened = e.relayLive!.stats.opened;
  const watches: Array<{ w: LiveWatch; t0: number }> = [];
  const ackDuringLive = opAcks(Number(values['live-s']) * 1000);
  for (const token of tokens) {
    const t0 = Date.now();
    watches.push({ w: await watchLive(camUrl('live'), token), t0 });
    await sleep(2000);
  }
  const acksLive = await ackDuringLive;
  const upstreams = e.relayLive!.stats.opened - opened;
  const state = (await sim.control.state())[0]!.streams.sub;
  for (const { w } of watches) w.stop();
  const first = watches[0]!;
  if (first.w.status !== 200 || !first.w.init || first.w.fragments.length === 0) throw new Error(`live view failed: ${first.w.status} ${first.w.error}`);
  const firstFrameMs = first.w.fragments[0]!.at - first.t0;
  const delays = liveDelays(watches, state.loopEpochMs!, 2000);
  await waitFor('the live upload stops', () => e.relayLive!.active().length === 0 || undefined, 60_000, 100);

  // 4. clips of 10 s, each a range not asked before.
  const clipMs: number[] = [];
  const segs = e.db.prepare('SELECT start_ms AS startMs FROM segments WHERE camera_id = 1 ORDER BY start_ms').all() as Array<{ startMs: number }>;
  for (let i = 0; i < Number(values.clips); i++) {
    const from = segs[0]!.startMs + i * 1000;
    const t0 = performance.now();
    const r = await get(`${camUrl('clip')}?from=${from}&to=${from + 10_000}`, tokens[i % 3]!);
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status === 200 && body.subarray(4, 8).toString('latin1') === 'ftyp') clipMs.push(performance.now() - t0);
    else process.stderr.write(`[bench] clip ${i}: ${r.status} ${body.toString('utf8', 0, 200)}\n`);
  }

  const goals = { snapshot_p95_ms: 2000, live_first_frame_ms: 3000, live_delay_ms: 2000, edge_upstreams_for_3_viewers: 1 };
  const result = {
    link: { kbps: Number(values.kbps), latency_ms_each_way: LINK.latencyMs, shared_by: ['mqtt', 'http'], relay_kbps: RELAY_KBPS },
    snapshots: snapshotMs.length,
    snapshot_p50_ms: round(percentile(snapshotMs, 50)),
    snapshot_p95_ms: round(percentile(snapshotMs, 95)),
    snapshot_samples_ms: snapshotMs.map(round),
    // The first request finds no snapshot feed running: ffmpeg starts and waits for a key frame (2-s GOP) first.
    snapshot_cold_ms: round(snapshotMs[0] ?? NaN),
    snapshot_warm_p95_ms: round(percentile(snapshotMs.slice(1), 95)),
    clips: clipMs.length,
    clip_10s_p50_ms: round(percentile(clipMs, 50)),
    clip_10s_p95_ms: round(percentile(clipMs, 95)),
    clip_10s_samples_ms: clipMs.map(round),
    live_first_frame_ms: round(firstFrameMs),
    live_delay_ms: round(delays.p95),
    live_delay_p50_ms: round(delays.p50),
    live_delay_samples: delays.n,
    live_fragments_per_viewer: watches.map(({ w }) => w.fragments.length),
    live_fragments_skipped_at_edge: e.relayLive!.stats.fragmentsSkipped,
    edge_upstreams_for_3_viewers: upstreams,
    op_ack_p50_ms_without_video: round(percentile(acksAlone, 50)),
    op_ack_p95_ms_without_video: round(percentile(acksAlone, 95)),
    op_ack_p50_ms_during_live: round(percentile(acksLive, 50)),
    op_ack_p95_ms_during_live: round(percentile(acksLive, 95)),
    goals,
    goals_met: false,
  };
  result.goals_met = result.snapshot_p95_ms <= goals.snapshot_p95_ms && result.live_first_frame_ms <= goals.live_first_frame_ms && result.live_delay_ms <= goals.live_delay_ms && result.edge_upstreams_for_3_viewers === goals.edge_upstreams_for_3_viewers;
  printAndSave(result, values.json);
} finally {
  await edge?.stop();
  await sim.stop();
  await httpProxy.stop();
  await mqttProxy?.stop();
  cloud.child.kill('SIGTERM');
  await new Promise((r) => cloud.child.once('exit', r));
  rmSync(cloud.dir, { recursive: true, force: true });
}

/**
 * Camera → phone delay of each fragment. The camera sends its loop's key
 * frames at loopEpochMs + k × GOP; the first phone's first fragment is a key
 * frame the edge's ffmpeg received after that phone asked, so it was sent at
 * the latest such slot before it arrived. Every later fragment (of every
 * phone: one stream) is placed by its decode time relative to that one.
 */
function liveDelays(watches: Array<{ w: LiveWatch; t0: number }>, loopEpochMs: number, gopMs: number): { p50: number; p95: number; n: number } {
  const first = watches[0]!.w;
  const timescale = mdhdTimescale(first.init!);
  const f0 = first.fragments[0]!;
  const sent0 = loopEpochMs + Math.floor((f0.at - loopEpochMs) / gopMs) * gopMs;
  const t0 = decodeTime(f0);
  const delays: number[] = [];
  for (const { w } of watches) {
    const start = w.fragments[0]?.at ?? 0;
    for (const f of w.fragments) {
      if (f.at - start < 2000) continue;
      delays.push(f.at - (sent0 + ((decodeTime(f) - t0) * 1000) / timescale));
    }
  }
  return { p50: percentile(delays, 50), p95: percentile(delays, 95), n: delays.length };
}

/** The video track's timescale (mdhd, version 0 or 1). */
function mdhdTimescale(init: Buffer): number {
  const at = init.indexOf('mdhd', 0, 'latin1');
  const version = init[at + 4]!;
  return init.readUInt32BE(at + 8 + (version === 1 ? 16 : 8));
}

/** The fragment's baseMediaDecodeTime (tfdt). */
function decodeTime(f: Fragment): number {
  const at = f.data.indexOf('tfdt', 0, 'latin1');
  return f.data[at + 4] === 1 ? Number(f.data.readBigUInt64BE(at + 8)) : f.data.readUInt32BE(at + 8);
}
