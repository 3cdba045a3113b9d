/**
 * The simulator serves a ground-truth clip as a camera (camsim `asis:`): main
 * and sub carry the clip unchanged, at its own size and rate, and the control
 * API says when the loop began so an evaluator can map wall time to clip time.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { tmpDir } from '@cunbox/test-support/tmp';
import { CamsimStartError, startCamsim } from '../camsim/camsim.ts';
import { clipTimeAt, loadGroundTruth, SIZES } from './ground-truth.ts';

const run = promisify(execFile);
const work = tmpDir(t, 'cunbox-gt-serve-');

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
  // The probes above may still hold the sub pipeline (a busy server tears it down
  // late) and a running pipeline keeps its older epoch: start from none running.
  for (let i = 0; i < 200 && (await sim.control.state())[0]!.streams.sub.active; i++) await sleep(100);
  t.notOk((await sim.control.state())[0]!.streams.sub.active, 'no sub pipeline runs before the reader starts');
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

/** Every frame of a video as small grey pictures: exact decodes, so the same frame compares equal. */
const THUMB = { w: 80, h: 45 };
function thumbs(raw: Buffer): Buffer[] {
  const size = THUMB.w * THUMB.h;
  return Array.from({ length: Math.floor(raw.length / size) }, (_, i) => raw.subarray(i * size, (i + 1) * size));
}
const mad = (a: Buffer, b: Buffer) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
};

t.test('the frames on the wire are the clip frames, at the clip time the epoch predicts', async (t) => {
  const scale = ['-vf', `scale=${THUMB.w}:${THUMB.h},format=gray`, '-f', 'rawvideo', 'pipe:1'];
  const clipFrames = thumbs((await run('ffmpeg', ['-v', 'error', '-i', clip!.path, ...scale], { encoding: 'buffer', maxBuffer: 1 << 24 })).stdout);
  t.equal(clipFrames.length, clip!.truth.frames);
  // Each packet stamped with the wall clock as it arrives (µs since 1970), kept through to showinfo.
  const reader = spawn('ffmpeg', [
    '-v', 'info', '-rtsp_transport', 'tcp', '-use_wallclock_as_timestamps', '1', '-i', cam.authUrl('sub'),
    '-frames:v', '45', '-copyts', '-fps_mode', 'passthrough', '-vf', `scale=${THUMB.w}:${THUMB.h},format=gray,showinfo`, '-f', 'rawvideo', 'pipe:1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let log = '';
  reader.stdout.on('data', (d: Buffer) => out.push(d));
  reader.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const closed = new Promise((resolve) => reader.once('close', resolve));
  const killer = setTimeout(() => reader.kill('SIGKILL'), 30_000);
  // The epoch belongs to the running pipeline: read it while this client keeps it running.
  let stream = (await sim.control.state())[0]!.streams.sub;
  while (stream.loopEpochMs === null && reader.exitCode === null) {
    await sleep(100);
    stream = (await sim.control.state())[0]!.streams.sub;
  }
  await closed;
  clearTimeout(killer);
  const epoch = stream.loopEpochMs;
  if (epoch === null) return t.fail('no loop epoch while reading the stream');
  const [, num, den] = /config in time_base: (\d+)\/(\d+)/.exec(log) ?? [];
  // showinfo's pts_time is rounded to 6 digits; pts in the time base is exact.
  const arrivals = [...log.matchAll(/Parsed_showinfo.* n:\s*\d+ pts:\s*(\d+)/g)].map((m) => (Number(m[1]) * Number(num) * 1000) / Number(den));
  const got = thumbs(Buffer.concat(out));
  t.equal(got.length, 45, 'frames read');
  // The filter may pass one frame more than -frames:v writes; showinfo lines come in frame order.
  t.ok(arrivals.length >= got.length, `each frame stamped (${arrivals.length} stamps)`);
  const n = clipFrames.length;
  const lags: number[] = [];
  got.forEach((frame, i) => {
    // The first packet of a stream carries no timestamp (a gst-rtsp-server quirk, see camsim's README).
    if (arrivals[i] === 0) return;
    const scores = clipFrames.map((c) => mad(frame, c));
    const best = scores.indexOf(Math.min(...scores));
    const predicted = Math.floor(clipTimeAt(arrivals[i]!, epoch, stream.loopMs) * clip!.truth.fps);
    lags.push((((best - predicted) % n) + n + n / 2) % n - n / 2);
    if (scores[best]! > 0.5) t.fail(`frame ${i} matches no clip frame (best ${scores[best]!.toFixed(2)})`);
  });
  // Arrival is after sending: the frame seen is the predicted one or slightly earlier in the clip.
  // The bound is loose (2 s) so a loaded machine's slow reader cannot break it; a wrong
  // epoch or period is off by far more, and drifts.
  const fps = clip!.truth.fps;
  t.ok(lags.every((l) => l <= 1 && l >= -2 * fps), `clip frame − predicted frame in [−${2 * fps}, 1]: ${[...new Set(lags)].join(', ')}`);
});

t.test('a file that is not H.264 is refused with a clear reason', async (t) => {
  const bogus = join(work, 'not-video.mp4');
  writeFileSync(bogus, 'not a video');
  const err = await startCamsim({ cameras: 1, clips: [`asis:${bogus}`], cacheDir: join(work, 'camsim-cache') }).catch((e: unknown) => e);
  t.ok(err instanceof CamsimStartError, 'camsim did not start');
  t.match((err as Error).message, /asis clip .*not-video\.mp4: no video stream ffprobe can read/);
});
