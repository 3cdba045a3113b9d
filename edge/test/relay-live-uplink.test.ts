// The edge's live upload on its own: the edge's live channel (real ffmpeg on
// the simulator's sub stream) posted to a plain HTTP server standing in for
// the cloud's upload route (the same protocol: one chunked POST with the
// edge's Basic credentials). Capped below the stream's bitrate, the upload
// never passes its cap and skips to key frames instead of falling behind;
// without renewals it ends by itself.
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { startCamsim } from '../../scripts/camsim/camsim.ts';
import { LiveService } from '../src/playback/live.ts';
import { LiveUplinks } from '../src/sync/relay-live.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { authenticatedUrl } from '../src/cameras/registry.ts';
import { Fmp4Splitter, type Fragment } from '@cunbox/shared/fmp4';
import { LIVE_UPLOAD_PATH } from '@cunbox/shared';
import { waitFor } from '@cunbox/test-support/wait';

t.test('a capped live upload stays under its cap, restarts at key frames, and ends without renewals', async (t) => {
  const sim = await startCamsim({ cameras: 1 });
  t.teardown(() => sim.stop());
  const cam = sim.cameras[0]!;
  const uploads: Array<{ url: string; auth: string | undefined; init?: Buffer; fragments: Fragment[]; bytes: number; ended: boolean }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    const u = { url: req.url ?? '', auth: req.headers.authorization, init: undefined as Buffer | undefined, fragments: [] as Fragment[], bytes: 0, ended: false };
    uploads.push(u);
    const splitter = new Fmp4Splitter((f) => u.fragments.push(f), (init) => (u.init = init));
    req.on('data', (c: Buffer) => {
      u.bytes += c.length;
      splitter.push(c);
    });
    req.on('close', () => {
      u.ended = true;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;

  const live = new LiveService({ spawner: nodeSpawner, clock: systemClock, log: silentLogger(), idleMs: 500 });
  t.teardown(() => live.stop());
  // 100 kbit/s against a 500 kbit/s stream: most fragments cannot go.
  const bytesPerSecond = 12_500;
  const burst = 4096;
  const uplinks = new LiveUplinks({
    clock: systemClock,
    log: silentLogger(),
    cloudUrl: `http://127.0.0.1:${port}`,
    credentials: { edgeId: '00000000000000e1', password: 'edge-secret' },
    watch: (source, viewer) => live.watch(source, viewer),
    options: { bytesPerSecond, maxUploads: 1, maxBacklogBytes: 32 * 1024, renewalTimeoutMs: 8_000 },
  });
  const id = 'ab'.repeat(16);
  const started = Date.now();
  t.ok(uplinks.open(id, { cameraId: 1, stream: 'sub', url: authenticatedUrl(cam.urls.sub, cam.user, cam.password) }));
  t.notOk(uplinks.open('cd'.repeat(16), { cameraId: 1, stream: 'sub', url: authenticatedUrl(cam.urls.sub, cam.user, cam.password) }), 'a second upload is over the bound');

  // Renewed as the cloud would while phones watch (a busy box may take longer than the renewal timeout to get through the checks below).
  const renewing = setInterval(() => uplinks.renew(id), 1000);
  t.teardown(() => clearInterval(renewing));
  const up = await waitFor('the upload arrived', () => uploads[0], 30_000, 50);
  t.equal(up.url, `${LIVE_UPLOAD_PATH}/${id}`);
  t.equal(up.auth, `Basic ${Buffer.from('00000000000000e1:edge-secret').toString('base64')}`, "the edge's credentials");
  await waitFor('fragments skipped at the cap', () => uplinks.stats.fragmentsSkipped > 0 || undefined, 60_000, 100);
  await waitFor('a few fragments through', () => up.fragments.length >= 3 || undefined, 60_000, 100);
  t.ok(up.init?.subarray(4, 8).toString('latin1') === 'ftyp', 'the init segment first');
  t.ok(up.fragments[0]!.keyframe, 'then a key frame');
  // After each skip the upload resumes at a key frame: the first fragment after a gap in the sequence numbers is one.
  const seq = (f: Fragment) => (f.data.toString('latin1', 12, 16) === 'mfhd' ? f.data.readUInt32BE(20) : NaN);
  const resumptions = () => up.fragments.filter((f, i) => i > 0 && seq(f) !== seq(up.fragments[i - 1]!) + 1);
  const resumed = await waitFor('the upload resumed after a skip', () => (resumptions().length > 0 ? resumptions() : undefined), 60_000, 100);
  t.ok(up.fragments.every((f) => Number.isFinite(seq(f))), 'every fragment numbered');
  t.ok(resumed.every((f) => f.keyframe), `${resumed.length} resumptions, each at a key frame`);
  const elapsed = (Date.now() - started) / 1000;
  t.ok(uplinks.stats.bytesSent <= burst + bytesPerSecond * elapsed + 64 * 1024, `${uplinks.stats.bytesSent} bytes in ${elapsed.toFixed(1)} s: within the cap`);
  t.ok(uplinks.renew(id), 'renewals keep it going');
  t.notOk(up.ended, 'still uploading');
  clearInterval(renewing);

  // No more renewals: the upload ends by itself, and so does the live channel it held.
  await waitFor('the upload ended without renewals', () => (up.ended && uplinks.active().length === 0) || undefined, 60_000, 100);
  await waitFor('the live channel closed', () => live.active().length === 0 || undefined, 30_000, 100);
  t.notOk(uplinks.renew(id), 'nothing left to renew');
});
