/**
 * Media beside the ops, end to end on loopback: the real Cloud (tus server,
 * hash check, content store, index), a real edge database with the real
 * queue and uploader, and a counting TCP proxy between them.
 */
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CountingProxy, MB, MediaCloud, captureLog, edgeMedia, openEdgeDb, randomFile } from '@cunbox/test-support/media-rig';
import type { Paired } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { readMediaStatus } from '../../edge/src/sync/media-queue.ts';

const dir = t.testdir({ files: {} });
const files = join(dir, 'files');
let rig: MediaCloud;
let proxy: CountingProxy;
let a: Paired;
let b: Paired;
const logs = captureLog();

t.before(async () => {
  rig = await MediaCloud.start(dir, { maxBytes: 8 * MB }, logs.log);
  proxy = new CountingProxy(() => rig.httpPort);
  await proxy.start();
  a = await rig.pair('东村');
  b = await rig.pair('西村');
});
t.teardown(async () => {
  await proxy?.stop();
  await rig?.cloud.stop();
});

t.test('a photo goes up, is verified by hash, stored by content, readable by its village only', async (t) => {
  const db = openEdgeDb(dir, 'edge-basic');
  const e = edgeMedia(db, proxy.url, a);
  const f = randomFile(files, 'photo.jpg', 1 * MB + 123);
  t.ok(e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'ticket-photo', ref: '01JDPHOTO0000000000000001', mime: 'image/jpeg' }));
  t.notOk(e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'ticket-photo', ref: '01JDPHOTO0000000000000001' }), 'the same (kind, ref) is queued once');
  t.same(readMediaStatus(db), { mediaPending: 1, mediaPendingBytes: f.size, mediaDone: 0, mediaFailed: 0 });
  e.uploader.start();
  await waitFor('uploaded', () => readMediaStatus(db).mediaDone === 1);
  await e.uploader.stop();
  t.equal(e.uploader.stats.uploaded, 1);
  t.ok(existsSync(join(dir, 'cloud', 'media', 'objects', f.sha256.slice(0, 2), f.sha256)), 'stored under its SHA-256');
  t.same(readdirSync(join(dir, 'cloud', 'media', 'incoming')), [], 'nothing left in incoming');
  const bySha = await rig.media(a.villageId, f.sha256);
  t.equal(bySha.status, 200);
  t.ok(bySha.body.equals(f.data), 'the bytes come back');
  t.equal(bySha.type, 'image/jpeg');
  const byRef = await rig.media(a.villageId, '01JDPHOTO0000000000000001');
  t.ok(byRef.body.equals(f.data), 'also by the edge ref (the media id in the ticket op)');
  t.equal((await rig.media(b.villageId, f.sha256)).status, 404, 'another village cannot read it');
  t.equal((await rig.media(a.villageId, f.sha256, 'wrong-token')).status, 401, 'reading needs the operator token or a phone session of the village');
  t.same(db.prepare('SELECT state, upload_url, last_error FROM sync_media').all(), [{ state: 'done', upload_url: null, last_error: null }], 'done only after the cloud confirmed');
  db.close();
});

t.test('the same bytes again finish at once: nothing is sent', async (t) => {
  const db = openEdgeDb(dir, 'edge-dup');
  const e = edgeMedia(db, proxy.url, a);
  const f = randomFile(files, 'dup.jpg', 512 * 1024);
  e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'ticket-photo', ref: 'dup-1' });
  e.uploader.start();
  await waitFor('first copy uploaded', () => readMediaStatus(db).mediaDone === 1);
  const sent = e.uploader.stats.bytesSent;
  const before = proxy.upBytes;
  e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'ticket-photo', ref: 'dup-2' });
  e.uploader.kick();
  await waitFor('second copy done', () => readMediaStatus(db).mediaDone === 2);
  await e.uploader.stop();
  t.equal(e.uploader.stats.claimed, 1, 'claimed, not uploaded');
  t.equal(e.uploader.stats.bytesSent, sent, 'no file bytes sent for the duplicate');
  t.ok(proxy.upBytes - before < 4096, `only the claim went over the wire (${proxy.upBytes - before} bytes)`);
  t.ok((await rig.media(a.villageId, 'dup-2')).body.equals(f.data), 'the new ref names the stored bytes');

  // Village B holds the same bytes only after proving it has them: its claim is refused, its upload accepted.
  const dbB = openEdgeDb(dir, 'edge-dup-b');
  const eB = edgeMedia(dbB, proxy.url, b);
  eB.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'ticket-photo', ref: 'b-1' });
  eB.uploader.start();
  await waitFor('B uploaded', () => readMediaStatus(dbB).mediaDone === 1);
  await eB.uploader.stop();
  t.equal(eB.uploader.stats.uploaded, 1, "knowing the hash of A's file is not enough for B: it uploads");
  t.ok((await rig.media(b.villageId, 'b-1')).body.equals(f.data));
  db.close();
  dbB.close();
});

t.test('bytes damaged on the way: the cloud rejects the hash, the edge starts the file over', async (t) => {
  const db = openEdgeDb(dir, 'edge-corrupt');
  const e = edgeMedia(db, proxy.url, a, {}, logs.log);
  const f = randomFile(files, 'corrupt.bin', 600 * 1024);
  e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'event-snapshot', ref: 'ev-1' });
  const mismatches = rig.cloud.media.stats.mismatches;
  proxy.corruptAt = 300 * 1024; // inside the PATCH body of the next connection
  e.uploader.start();
  await waitFor('uploaded after a restart', () => readMediaStatus(db).mediaDone === 1);
  await e.uploader.stop();
  t.equal(proxy.corrupted, 1, 'one byte was flipped');
  t.equal(rig.cloud.media.stats.mismatches, mismatches + 1, 'the cloud caught it');
  t.ok(e.uploader.stats.failedAttempts >= 1);
  t.equal((db.prepare('SELECT attempts FROM sync_media').get() as { attempts: number }).attempts, 2, 'the second attempt went through');
  t.ok((await rig.media(a.villageId, 'ev-1')).body.equals(f.data), 'what is stored is the true file');
  db.close();
});

t.test('bad input gets clear HTTP errors and breaks nothing', async (t) => {
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const meta = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
  const sha = 'a'.repeat(64);
  const create = (auth: string | null, length: number, m: Record<string, string>) =>
    fetch(`${rig.url}/api/media/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': meta(m), ...(auth ? { authorization: auth } : {}) } });
  const good = { sha256: sha, kind: 'ticket-photo', ref: 'x-1' };

  let r = await create(null, 10, good);
  t.equal(r.status, 401, 'no credentials');
  t.match(await r.text(), /UNAUTHENTICATED/);
  r = await create(basic(a.edgeId, 'wrong-password'), 10, good);
  t.equal(r.status, 401, 'wrong password');
  r = await create(basic('ffffffffffffffff', a.password), 10, good);
  t.equal(r.status, 401, 'unknown edge');
  r = await create(basic(a.edgeId, a.password), 9 * MB, good);
  t.equal(r.status, 413, 'larger than the cap (8 MB here)');
  r = await create(basic(a.edgeId, a.password), 10, { kind: 'ticket-photo', ref: 'x-1' });
  t.equal(r.status, 400, 'no sha256');
  t.match(await r.text(), /sha256/);
  r = await create(basic(a.edgeId, a.password), 10, { ...good, kind: 'Bad Kind' });
  t.equal(r.status, 400, 'bad kind');
  r = await create(basic(a.edgeId, a.password), 0, good);
  t.equal(r.status, 400, 'empty file');

  r = await create(basic(a.edgeId, a.password), 10, good);
  t.equal(r.status, 201, 'a good create');
  const location = r.headers.get('location')!;
  const url = new URL(location, `${rig.url}/api/media/uploads`).href;
  const patch = (auth: string, body: Buffer, offset = 0) =>
    fetch(url, { method: 'PATCH', headers: { 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', authorization: auth }, body });
  r = await patch(basic(b.edgeId, b.password), Buffer.alloc(10));
  t.equal(r.status, 404, "another edge cannot touch this edge's upload");
  r = await fetch(url, { headers: { 'tus-resumable': '1.0.0', authorization: basic(a.edgeId, a.password) } });
  t.equal(r.status, 404, 'an upload in progress is not served back');
  r = await patch(basic(a.edgeId, a.password), Buffer.alloc(10, 1));
  t.equal(r.status, 422, 'the bytes do not hash to the announced sha256');
  t.match(await r.text(), /SHA256_MISMATCH/);
  r = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: basic(a.edgeId, a.password) } });
  t.equal(r.status, 404, 'the rejected upload is gone: the edge must start over');

  const claim = (auth: string, body: unknown) => fetch(`${rig.url}/api/media/claims`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.equal((await claim(basic(a.edgeId, 'nope'), { sha256: sha, size: 10, kind: 'k', ref: 'r' })).status, 401);
  t.equal((await claim(basic(a.edgeId, a.password), { sha256: 'xyz', size: 10, kind: 'k', ref: 'r' })).status, 400);
  t.equal((await claim(basic(a.edgeId, a.password), { sha256: sha, size: 100 * MB, kind: 'k', ref: 'r' })).status, 413);
  t.same(await (await claim(basic(a.edgeId, a.password), { sha256: sha, size: 10, kind: 'k', ref: 'r' })).json(), { stored: false });
  t.equal((await rig.media(a.villageId, 'not/a-key')).status, 404);
  t.equal((await rig.api('GET', `/api/villages/${a.villageId}/tickets`)).status, 200, 'the rest of the API still answers');
});

t.test('the edge password is never logged, on either side', async (t) => {
  const all = logs.lines.join('');
  t.ok(/media stored/.test(all) && /SHA-256 mismatch/.test(all) && /will retry/.test(all), `the logs were captured (${logs.lines.length} lines)`);
  for (const p of [a, b]) {
    t.notOk(all.includes(p.password), 'no password');
    t.notOk(all.includes(Buffer.from(`${p.edgeId}:${p.password}`).toString('base64')), 'no Basic credentials');
  }
});
