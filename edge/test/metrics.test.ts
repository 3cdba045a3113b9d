// GET /metrics and /healthz on a real edge: real HTTP, real SQLite, a real
// segment file indexed through the recorder's sink, and the served text read
// by a Prometheus text-format parser (not prom-client reading its own registry).
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { silentLogger } from '../src/log.ts';
import type { DiskSpace } from '../src/storage/disk.ts';
import { fakeSegment } from './helpers/segments.ts';
import { openDatabase } from '../src/db/database.ts';
import { liveness } from '../src/metrics/sources.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { systemClock } from '../src/clock.ts';
import { UserStore } from '../src/auth/users.ts';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';

const GiB = 1024 ** 3;

async function startEdge(t: Test, disk: DiskSpace) {
  const dir = tmpDir(t, 'cunbox-metrics-');
  const yaml = [
    `data_dir: ${dir}`,
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 10',
    'http:',
    '  host: 127.0.0.1',
    '  port: 0',
    'cameras:',
    // Nothing listens on port 1: the recorder tries, fails and backs off, whatever the load.
    '  - name: 东口',
    '    main: rtsp://admin:secret@127.0.0.1:1/main',
    '',
  ].join('\n');
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), diskUsage: async () => ({ ...disk }) });
  await edge.start();
  t.teardown(() => edge.stop());
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  return { edge, base };
}

async function scrape(base: string): Promise<{ text: string; families: Map<string, PromFamily>; contentType: string | null }> {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  return { text, families: new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f])), contentType: res.headers.get('content-type') };
}

function value(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

t.test('GET /metrics: the served text parses, with every family the issue asks for and no secrets', async (t) => {
  const disk = { totalBytes: 100 * GiB, freeBytes: 40 * GiB, usedBytes: 60 * GiB };
  const { edge, base } = await startEdge(t, disk);
  const cam = edge.parts.registry.list()[0]!;

  // A segment as ffmpeg leaves it, indexed through the same call the recorder's sink makes.
  const incoming = edge.layout.incomingDir(cam.id);
  mkdirSync(incoming, { recursive: true });
  const file = join(incoming, '1_000001.ts');
  writeFileSync(file, Buffer.alloc(188 * 100, 0x47));
  const endMs = edge.clock.now();
  await edge.parts.index.indexClosed({ cameraId: cam.id, runId: 1, seq: 1, file, startMs: endMs - 60_000, endMs, announcedAt: endMs });
  // A type the recorder never writes: its own online/offline events race with the test.
  edge.parts.events.record(cam.id, 'test.marker', {});
  // Footage past its retention: one pass deletes it by age.
  fakeSegment(edge.layout, edge.parts.index, cam.id, endMs - 40 * 86_400_000, 60_000, 1000);
  await edge.retention.runOnce();
  await edge.storage.check();
  await fetch(`${base}/api/tickets/8812345`);
  await fetch(`${base}/api/health`);
  // Under /api: elsewhere an unknown path is a page of the browser app when it is built (200).
  await fetch(`${base}/api/no/such/page?token=abc`);

  const { text, families, contentType } = await scrape(base);
  t.match(contentType, /^text\/plain; version=0\.0\.4/, 'the Prometheus text content type');
  t.ok(families.size > 20, `${families.size} families parsed`);

  const camera = String(cam.id);
  t.equal(value(families, 'cunbox_segments_written_total', { camera }), 1, 'one segment written');
  t.equal(value(families, 'cunbox_segment_bytes_written_total', { camera }), 18_800, 'its bytes');
  const latency = families.get('cunbox_index_latency_seconds');
  t.equal(latency?.type, 'HISTOGRAM');
  t.equal(Number(latency?.metrics[0]?.count), 1, 'index latency observed once');
  t.equal(value(families, 'cunbox_retention_deleted_segments_total', { reason: 'age' }), 1, 'retention deletion counted by rule');
  t.equal(value(families, 'cunbox_retention_deleted_bytes_total'), 1000);
  t.equal(value(families, 'cunbox_events_total', { type: 'test.marker' }), 1, 'events by type');

  const cameras = families.get('cunbox_cameras')!;
  t.equal(cameras.type, 'GAUGE');
  t.equal(cameras.metrics.reduce((n, m) => n + Number(m.value), 0), 1, 'one camera, in one state');
  t.same(cameras.metrics.map((m) => m.labels?.state).sort(), ['auth-failed', 'connecting', 'idle', 'offline', 'recording', 'stalled', 'stopped'], 'every state, 0 where no camera is');

  t.equal(value(families, 'cunbox_disk_free_bytes'), 40 * GiB, 'disk free from the storage monitor');
  t.equal(value(families, 'cunbox_disk_total_bytes'), 100 * GiB);
  t.ok(Number.isFinite(value(families, 'cunbox_storage_days_left')), 'days left at the current bitrate');
  t.ok(Number.isNaN(value(families, 'cunbox_sync_outbox_events')), 'no cloud section: the outbox reads NaN, not 0');

  t.equal(value(families, 'cunbox_http_requests_total', { route: '/api/tickets/:id', status: '401' }), 1, 'the route pattern, not the id');
  t.equal(value(families, 'cunbox_http_requests_total', { route: '/api/health', status: '200' }), 1);
  t.equal(value(families, 'cunbox_http_requests_total', { route: 'unmatched', status: '404' }), 1, 'unknown paths share one label');
  t.ok(families.has('nodejs_eventloop_lag_p99_seconds'), 'event-loop delay');

  for (const secret of ['8812345', 'token', 'abc', '东口', 'secret', 'rtsp']) t.notOk(text.includes(secret), `no ${secret} in the page`);
});

t.test('GET /healthz: ok, then 503 naming the check when the disk is full; no login either way', async (t) => {
  const disk = { totalBytes: 100 * GiB, freeBytes: 40 * GiB, usedBytes: 60 * GiB };
  const { edge, base } = await startEdge(t, disk);
  const ok = await fetch(`${base}/healthz`);
  t.equal(ok.status, 200);
  t.same(await ok.json(), { status: 'ok' });

  // Less than half of the 10 GiB reserve free: retention cannot keep up.
  disk.freeBytes = 4 * GiB;
  disk.usedBytes = 96 * GiB;
  await edge.storage.check();
  const full = await fetch(`${base}/healthz`);
  t.equal(full.status, 503);
  t.same(await full.json(), { status: 'fail', failing: ['disk'] });
});

t.test('edge and cloud: outbox depth and ack lag on the edge; edges online, ops and events ingested, requests by route on the cloud', async (t) => {
  const dir = tmpDir(t, 'cunbox-metrics-sync-');
  const { cloud, url: cloudUrl, token, operator, villageWithCode } = await startTestCloud(t, dir);
  const { villageId, code } = await villageWithCode('东村');
  const edgeDir = join(dir, 'edge');
  t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code])).code, 0);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string };
  const yaml = `data_dir: ${edgeDir}\nhttp:\n  host: 127.0.0.1\n  port: 0\ncloud:\n  url: ${cloudUrl}\n  edge_id: ${JSON.stringify(cred.edgeId)}\n  credentials_file: ${credFile}\n`;
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  const base = `http://127.0.0.1:${edge.http!.address.port}`;

  // One ticket made in the village office (an op) and one event, both up to the cloud.
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin', password: 'Long-pass-word-42', role: 'admin' });
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'Long-pass-word-42' }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const made = await fetch(`${base}/api/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ category: 'garbage', description: '垃圾没清', place: '村委会' }) });
  t.equal(made.status, 201);
  edge.parts.events.record(null, 'test.marker', {});
  await waitFor('op and event acknowledged', async () => (await cloud.data.opCount(villageId)) === 1 && (await cloud.data.eventCount(cred.edgeId)) === 1 && edge.sync!.status().opsPending === 0 && edge.sync!.status().eventsPending === 0);

  const e = (await scrape(base)).families;
  t.equal(value(e, 'cunbox_sync_outbox_ops'), 0, 'edge: nothing waits');
  t.equal(value(e, 'cunbox_sync_outbox_events'), 0);
  t.equal(value(e, 'cunbox_sync_ack_lag_seconds'), 0);
  t.equal(value(e, 'cunbox_sync_connected'), 1);

  t.equal((await operator('GET', `/api/villages/${villageId}/tickets`)).status, 200);
  t.equal((await fetch(`${cloudUrl}/metrics`)).status, 401, 'the cloud faces the internet: its metrics need the operator token');
  const res = await fetch(`${cloudUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(res.status, 200);
  const text = await res.text();
  const c = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  t.equal(value(c, 'cunbox_cloud_edges_online'), 1, 'cloud: one edge online');
  t.equal(value(c, 'cunbox_cloud_ops_ingested_total', { result: 'applied' }), 1, 'the ticket op ingested');
  t.equal(value(c, 'cunbox_cloud_events_ingested_total'), 1, 'the event ingested');
  t.equal(value(c, 'cunbox_cloud_dead_letters_total'), 0);
  t.equal(value(c, 'cunbox_cloud_http_requests_total', { route: '/api/villages/:id/tickets', status: '200' }), 1, 'by route pattern');
  t.equal(value(c, 'cunbox_cloud_http_requests_total', { route: '/api/pair', status: '200' }), 1, 'the pairing');
  t.ok(c.has('nodejs_eventloop_lag_p99_seconds'), 'event-loop delay');
  t.notOk(text.includes(cred.edgeId) || text.includes(code), 'no edge ids or pairing codes in labels');
  t.same(await (await fetch(`${cloudUrl}/healthz`)).json(), { status: 'ok' });

  // The broker goes away: what the edge records now waits, and the wait shows.
  await cloud.broker!.stop();
  await waitFor('sync disconnected', () => edge.sync!.connected === false);
  const id = edge.parts.events.record(null, 'test.marker', {});
  edge.db.prepare('UPDATE events SET at_ms = at_ms - 90000 WHERE id = ?').run(id); // recorded 90 s ago
  const later = (await scrape(base)).families;
  t.equal(value(later, 'cunbox_sync_outbox_events'), 1, 'one event waits');
  t.ok(value(later, 'cunbox_sync_ack_lag_seconds')! >= 90, `ack lag ${value(later, 'cunbox_sync_ack_lag_seconds')} s`);
  t.equal(value(later, 'cunbox_sync_connected'), 0);
  await waitFor('the cloud notices', () => !cloud.sync.connected);
  const down = await fetch(`${cloudUrl}/healthz`);
  t.equal(down.status, 503);
  t.same(await down.json(), { status: 'fail', failing: ['broker'] });
});

t.test('liveness: a database that does not answer and a recorder supervisor that does not are named', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  const storage = { disk: { totalBytes: 100 * GiB, freeBytes: 40 * GiB, usedBytes: 60 * GiB }, reservedBytes: 10 * GiB } as never;
  const recorders = () => [];
  t.same(await liveness({ db: () => db, recorders, storage: () => storage }), []);
  db.close();
  t.same(await liveness({ db: () => db, recorders, storage: () => storage }), ['database'], 'a closed database');
  t.same(await liveness({ db: () => undefined, recorders: () => { throw new Error('edge not started'); }, storage: () => undefined }), ['database', 'recorders'], 'before start: nothing answers; no verdict yet is not a full disk');
});
