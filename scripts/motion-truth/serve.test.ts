/**
 * The simulator serves a ground-truth clip as a camera (camsim `asis:`): main
 * and sub carry the clip unchanged, at its own size and rate, and the control
 * API says when the loop began so an evaluator can map wall time to clip time.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CamsimStartError, startCamsim } from '../camsim/camsim.ts';
import { clipTimeAt, loadGroundTruth, SIZES } from './ground-truth.ts';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'cunbox-gt-serve-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// The shared cache (tests and benchmarks reuse the clip); rendering it takes a few seconds once.
const [clip] = await loadGroundTruth({ size: 'small', names: ['walk-zones'] });
const sim = await startCamsim({ cameras: 1, clips: [`asis:${clip!.path}`], cacheDir: join(work, 'camsim-cache') });
t.teardown(() => sim.stop());
const cam = sim.cameras[0]!;

async function probe(url: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url], { timeout: 20_000 });
  return (JSON.parse(stdout) as { streams: Array<Record<string, unknown>> }).streams[0];
}

t.test('main and sub both serve the clip at its own size and frame rate', async (t) => {
  for (const stream of ['main', 'sub'] as const) {
    t.same(await probe(cam.authUrl(stream)), { codec_name: 'h264', width: SIZES.small.width, height: SIZES.small.height, r_frame_rate: '15/1' }, stream);
  }
  t.equal(cam.loopMs, 24_000, 'the loop period is the clip\'s length');
  t.equal(cam.clip, `asis:${clip!.path}`);
});

t.test('while a client plays, the control API gives the loop epoch; clip time follows from it', async (t) => {
  const before = Date.now();
  const reader = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', cam.authUrl('sub'), '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => reader.once('close', resolve));
  t.teardown(async () => {
    reader.kill('SIGKILL');
    await exited;
  });
  let epoch: number | null = null;
  for (let i = 0; i < 100 && epoch === null; i++) {
    await sleep(100);
    epoch = (await sim.control.state())[0]!.streams.sub.loopEpochMs;
  }
  const after = Date.now();
  t.ok(epoch !== null && epoch >= before - 1000 && epoch <= after, `epoch ${epoch} within the reader's start (${before}..${after})`);
  const sub = (await sim.control.state())[0]!.streams.sub;
  t.equal(sub.loopMs, 24_000);
  t.equal(clipTimeAt(epoch! + 24_000 * 3 + 1500, epoch!, sub.loopMs), 1.5, 'three loops and 1.5 s later the clip is at 1.5 s');
  t.equal(clipTimeAt(epoch! - 500, epoch!, sub.loopMs), 23.5, 'before the epoch counts backwards from the loop end');
});

t.test('a file that is not H.264 is refused with a clear reason', async (t) => {
  const bogus = join(work, 'not-video.mp4');
  writeFileSync(bogus, 'not a video');
  const err = await startCamsim({ cameras: 1, clips: [`asis:${bogus}`], cacheDir: join(work, 'camsim-cache') }).catch((e: unknown) => e);
  t.ok(err instanceof CamsimStartError, 'camsim did not start');
  t.match((err as Error).message, /asis clip .*not-video\.mp4: no video stream ffprobe can read/);
});
