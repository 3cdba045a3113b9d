/**
 * Media never delays op acks. The real Cloud (embedded Aedes, SQLite, tus),
 * a real edge database with the real OpStore, SyncClient and MediaUploader:
 * a ticket with a 6 MiB photo goes up under a 3 MB/s cap while the edge
 * keeps committing ops, and every op's ack latency is measured.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { governanceModels, newId } from '@cunbox/shared';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { MediaQueue, collectTicketPhotos, readMediaStatus } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader } from '../../edge/src/sync/media-uploader.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { aedesRig, type BrokerRig } from './helpers/brokers.ts';
import { MB, fastUploader, openEdgeDb, waitFor, type Paired } from './helpers/media-rig.ts';
import { OPERATOR_TOKEN } from './helpers/brokers.ts';

const dir = t.testdir({ edge: { governance: { media: {} } } });
const dataDir = join(dir, 'edge');
let rig: BrokerRig;
t.before(async () => {
  rig = await aedesRig(dir);
});
t.teardown(async () => {
  await rig?.close();
});

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

let n = 0;
const ticket = (photos: string[]) => ({
  entityKind: 'ticket',
  entityId: `01JE${String(++n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `t${n}`, place: '东口', lat: null, lng: null, photos, anonymous: false, reporter: 'admin' },
});

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

t.test('op acks keep flowing while a ticket photo uploads under the cap', async (t) => {
  const v = await api('POST', '/api/villages', { name: '东村' });
  const code = await api('POST', `/api/villages/${v.id}/pair-codes`);
  const p = (await api('POST', '/api/pair', { code: code.code })) as Paired;

  const db = openEdgeDb(dir, 'edge');
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const sync = new SyncClient({ db, store, clock: systemClock, log: silentLogger(), credentials: p, options: { pollMs: 30, resendMs: 500, backoff: { baseMs: 50, maxMs: 400 } } });
  const queue = new MediaQueue({ db, clock: systemClock });
  const uploader = new MediaUploader({
    queue,
    clock: systemClock,
    log: silentLogger(),
    dataDir,
    cloudUrl: `http://127.0.0.1:${rig.cloud.httpPort}`,
    credentials: { edgeId: p.username, password: p.password },
    collect: () => collectTicketPhotos(db, systemClock.now()),
    options: { ...fastUploader, bytesPerSecond: 3_000_000 },
  });
  t.teardown(async () => {
    await uploader.stop();
    await sync.stop();
    db.close();
  });

  const acked = (): number => (db.prepare("SELECT ops_acked FROM sync_peers WHERE peer = 'cloud'").get() as { ops_acked: number } | undefined)?.ops_acked ?? 0;
  const committedAt = new Map<number, number>();
  const latency = new Map<number, number>();
  const watcher = setInterval(() => {
    const a = acked();
    for (const [seq, at] of committedAt) if (seq <= a && !latency.has(seq)) latency.set(seq, Date.now() - at);
  }, 2);
  const commit = (photos: string[] = []): void => {
    const [op] = store.commit('admin', [ticket(photos)]);
    committedAt.set(op!.seq, Date.now());
  };

  sync.start();
  // Baseline: acks with nothing else going on.
  for (let i = 0; i < 10; i++) {
    commit();
    await new Promise((r) => setTimeout(r, 50));
  }
  await waitFor('baseline acked', () => latency.size === 10);
  const baseline = [...latency.values()];

  // A 6 MiB photo as the media store keeps it (gov_media row, file under the data directory).
  const data = randomBytes(6 * MB);
  const mediaId = newId(Date.now());
  const rel = join('governance', 'media', `${mediaId}.jpg`);
  mkdirSync(join(dataDir, 'governance', 'media'), { recursive: true });
  writeFileSync(join(dataDir, rel), data);
  const sha256 = createHash('sha256').update(data).digest('hex');
  db.prepare('INSERT INTO gov_media (id, kind, mime, bytes, width, height, sha256, path, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(mediaId, 'image', 'image/jpeg', data.length, 10, 10, sha256, rel, 'admin', Date.now());
  commit([mediaId]);
  const photoSeq = Math.max(...committedAt.keys());

  const t0 = Date.now();
  uploader.start();
  const during: number[] = [];
  while (readMediaStatus(db).mediaDone === 0) {
    if (Date.now() - t0 > 30_000) throw new Error('upload did not finish');
    commit();
    during.push(Math.max(...committedAt.keys()));
    await new Promise((r) => setTimeout(r, 50));
  }
  const uploadS = (Date.now() - t0) / 1000;
  await waitFor('all acked', () => latency.size === committedAt.size);
  clearInterval(watcher);
  const lat = during.map((s) => latency.get(s)!);
  t.comment(`photo: 6 MiB in ${uploadS.toFixed(2)} s at a 3 MB/s cap; ${during.length} ops committed meanwhile`);
  t.comment(`ack latency (ms) baseline p50 ${pct(baseline, 50)} max ${Math.max(...baseline)}; during the upload p50 ${pct(lat, 50)} p95 ${pct(lat, 95)} max ${Math.max(...lat)}`);
  t.ok(uploadS >= 1.8, 'the upload took a while (the cap holds)');
  t.ok(during.length >= 20, 'ops kept being committed during it');
  t.ok(latency.get(photoSeq)! < 1000, `the ticket op naming the photo was acked in ${latency.get(photoSeq)} ms, without waiting for the photo`);
  t.ok(pct(lat, 95) < 400, 'p95 ack latency during the upload stays small');
  t.ok(Math.max(...lat) < 1000, 'no op ack waited for the upload');

  // The photo reached the cloud under the media id the ticket op names.
  const tickets = await api('GET', `/api/villages/${v.id}/tickets`);
  t.ok(tickets.tickets.some((x: { photos: string[] }) => x.photos.includes(mediaId)), 'the cloud ticket names the photo');
  const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/villages/${v.id}/media/${mediaId}`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'image/jpeg');
  t.ok(Buffer.from(await res.arrayBuffer()).equals(data), 'the phone API serves the photo by its media id');
  t.same(db.prepare('SELECT kind, ref, state FROM sync_media').all(), [{ kind: 'ticket-photo', ref: mediaId, state: 'done' }], 'queued from the op log, once');
});
