/**
 * The media cap and resumption, measured at a TCP proxy between the edge's
 * uploader and the real Cloud: the rate stays under the cap, and after a
 * dropped link, an edge restart or a cloud restart the edge sends about the
 * remainder of the file, not the whole file again.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { CountingProxy, MB, MediaCloud, edgeMedia, openEdgeDb, randomFile } from '@cunbox/test-support/media-rig';
import type { Paired } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { readMediaStatus } from '../../edge/src/sync/media-queue.ts';

const dir = t.testdir({ files: {} });
const files = join(dir, 'files');
let rig: MediaCloud;
let proxy: CountingProxy;
let a: Paired;

t.before(async () => {
  rig = await MediaCloud.start(dir);
  proxy = new CountingProxy(() => rig.httpPort);
  await proxy.start();
  a = await rig.pair('东村');
});
t.teardown(async () => {
  await proxy?.stop();
  await rig?.cloud.stop();
});

t.test('the upload rate stays under the cap (measured at the proxy)', async (t) => {
  const cap = 1_000_000; // bytes per second (upload_kbps: 8000)
  const db = openEdgeDb(dir, 'edge-cap');
  const e = edgeMedia(db, proxy.url, a, { bytesPerSecond: cap });
  const f = randomFile(files, 'cap.bin', 2 * MB);
  e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'event-snapshot', ref: 'cap-1' });
  const base = proxy.upBytes;
  const samples: Array<{ at: number; bytes: number }> = [];
  const sampler = setInterval(() => samples.push({ at: Date.now(), bytes: proxy.upBytes - base }), 50);
  const t0 = Date.now();
  e.uploader.start();
  await waitFor('uploaded', () => readMediaStatus(db).mediaDone === 1);
  const elapsed = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  await e.uploader.stop();
  const sent = proxy.upBytes - base;
  const rate = sent / elapsed;
  // The worst one-second window, from the samples.
  let worst = 0;
  for (const s of samples) {
    const later = samples.filter((x) => x.at - s.at <= 1000).at(-1);
    if (later) worst = Math.max(worst, later.bytes - s.bytes);
  }
  t.comment(`2 MiB at a cap of 1,000,000 B/s: ${elapsed.toFixed(2)} s, ${sent} bytes on the wire, mean ${(rate / 1e6).toFixed(3)} MB/s, worst 1-s window ${(worst / 1e6).toFixed(3)} MB`);
  t.ok(elapsed >= 1.8, `took ${elapsed.toFixed(2)} s (≥ 1.8 s)`);
  // The bucket's promise: over T seconds at most cap × T + one burst (a tenth of a second here), plus HTTP headers.
  t.ok(sent <= cap * elapsed + cap / 10 + 8192, `${sent} bytes in ${elapsed.toFixed(2)} s ≤ cap × T + burst`);
  // The samples are taken by a timer in this process, and the proxy counts bytes when its reads
  // run: when a loaded box holds this process back for L ms, bytes that arrived over 1 s + L are
  // counted in one window. So the window is allowed the worst lateness the sampler saw.
  const lateMs = Math.max(0, ...samples.slice(1).map((s, i) => s.at - samples[i]!.at - 50));
  t.ok(worst <= cap * (1.1 + lateMs / 1000) + 8192, `no one-second window above cap + burst (${(worst / 1e6).toFixed(3)} MB; sampler up to ${lateMs} ms late)`);
  db.close();
});

/** Starts a 5 MiB upload at 2.5 MB/s, runs `interrupt` once ~2.5 MiB went out (in the middle of the third 1 MiB chunk), and measures what was sent before and after. */
async function interrupted(name: string, interrupt: (e: ReturnType<typeof edgeMedia>) => Promise<ReturnType<typeof edgeMedia>>) {
  const db = openEdgeDb(dir, name);
  let e = edgeMedia(db, proxy.url, a, { bytesPerSecond: 2_500_000 });
  const f = randomFile(files, `${name}.bin`, 5 * MB);
  e.queue.enqueue({ path: f.path, sha256: f.sha256, size: f.size, kind: 'event-snapshot', ref: name });
  const base = proxy.upBytes;
  e.uploader.start();
  await waitFor('2.5 MiB sent (mid-chunk)', () => proxy.upBytes - base >= 2.5 * MB);
  const before = proxy.upBytes - base;
  const urlBefore = (db.prepare('SELECT upload_url FROM sync_media').get() as { upload_url: string | null }).upload_url;
  e = await interrupt(e);
  const mark = proxy.upBytes;
  await waitFor('uploaded', () => readMediaStatus(db).mediaDone === 1, 60_000);
  await e.uploader.stop();
  const after = proxy.upBytes - mark;
  const stored = await rig.media(a.villageId, name);
  db.close();
  return { before, after, total: before + after, size: f.size, urlBefore, intact: stored.status === 200 && stored.body.equals(f.data) };
}

function checkResumed(t: Test, what: string, r: Awaited<ReturnType<typeof interrupted>>): void {
  t.comment(`${what}: ${r.before} bytes before, ${r.after} after (file ${r.size}; remainder ${r.size - r.before})`);
  t.ok(r.urlBefore, 'the upload URL was saved while uploading');
  t.ok(r.intact, 'the cloud holds the whole file, hash-verified');
  t.ok(r.after < r.size * 0.75, `after ${what} the edge sent ${r.after} bytes: about the remainder, not the whole ${r.size}`);
  t.ok(r.total < r.size * 1.2, `in all ${r.total} bytes for a ${r.size}-byte file`);
}

t.test('a dropped link resumes at the cloud offset', async (t) => {
  const r = await interrupted('drop', async (e) => {
    await proxy.drop(300);
    return e;
  });
  checkResumed(t, 'the drop', r);
});

t.test('an edge restart resumes at the cloud offset (the upload URL is in the queue row)', async (t) => {
  const r = await interrupted('edge-restart', async (e) => {
    await e.uploader.stop();
    const again = edgeMedia(e.db, proxy.url, a, { bytesPerSecond: 2_500_000 });
    again.uploader.start();
    return again;
  });
  checkResumed(t, 'the edge restart', r);
});

t.test('a cloud restart resumes at the cloud offset (tus keeps the partial file)', async (t) => {
  const r = await interrupted('cloud-restart', async (e) => {
    await rig.restart();
    return e;
  });
  checkResumed(t, 'the cloud restart', r);
});
