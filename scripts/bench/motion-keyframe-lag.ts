// How late the motion feed's key-frame-only (`still`) ffmpeg hands over the picture where motion
// starts, compared with a full decode of the same sub stream at the same time. One simulated
// camera plays the crossing clip (a box appears 8 s into each 20-s loop, on a key frame); both
// decoders watch for the box; the difference is what `-skip_frame nokey` adds before the
// detector can see anything.
//
//   npx tsx scripts/bench/motion-keyframe-lag.ts [--loops 3] [--json FILE]
//
// JSON keys: gop_ms (the simulator's), lag_ms (one per crossing: still feed − full decode),
// lag_median_ms, args_still (the feed's command, args.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startCamsim } from '../camsim/camsim.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import { motionCommand } from '../../edge/src/motion/args.ts';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';
import { boxWatcher, WATCH_HEIGHT, WATCH_WIDTH } from './motion-box-watch.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '3' }, json: { type: 'string' } } });
const LOOPS = Number(values.loops);
if (!Number.isInteger(LOOPS) || LOOPS <= 0) throw new Error('--loops must be a positive integer');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sim = await startCamsim({ cameras: 1, clips: [`file:${await motionClip('crossing')}`] });
const cam = sim.cameras[0]!;
const url = authenticatedUrl(cam.urls.sub, cam.user, cam.password);
const seen = { full: [] as number[], still: [] as number[] };
const procs: ChildProcess[] = [];
try {
  const full = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-threads', '1', '-rtsp_transport', 'tcp', '-i', url, '-fps_mode', 'passthrough', '-vf', `scale=${WATCH_WIDTH}:${WATCH_HEIGHT},format=gray`, '-f', 'rawvideo', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(full);
  full.stdout!.on('data', boxWatcher(() => seen.full.push(Date.now())));
  // The feed's own command; its analysis size is the watcher's.
  const still = motionCommand({ inputUrl: url, transport: 'tcp', socketTimeoutSeconds: 10, mode: 'still', activeFps: 5, width: WATCH_WIDTH, height: WATCH_HEIGHT, thumbnailWidth: 320 });
  const feed = spawn('ffmpeg', still.args, { stdio: ['pipe', 'pipe', 'ignore', 'pipe', 'pipe'] });
  procs.push(feed);
  feed.stdout!.on('data', boxWatcher(() => seen.still.push(Date.now())));
  (feed.stdio[3] as NodeJS.ReadableStream).resume();
  (feed.stdio[4] as NodeJS.WritableStream).end(still.inputScript);
  const deadline = Date.now() + (LOOPS + 1) * 20_000 + 10_000;
  while (seen.still.length < LOOPS && Date.now() < deadline) await sleep(100);
  // Pair each still-feed sighting with the full decode's latest one before it.
  const lag = seen.still.flatMap((t) => {
    const f = seen.full.filter((x) => x <= t).at(-1);
    return f === undefined ? [] : [t - f];
  });
  const sorted = [...lag].sort((a, b) => a - b);
  printAndSave(
    {
      gop_ms: 2000,
      lag_ms: lag,
      lag_median_ms: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
      args_still: motionCommand({ inputUrl: 'rtsp://cam/sub', transport: 'tcp', socketTimeoutSeconds: 10, mode: 'still', activeFps: 5, width: WATCH_WIDTH, height: WATCH_HEIGHT, thumbnailWidth: 320 }).args.join(' '),
    },
    values.json,
  );
} finally {
  for (const p of procs) p.kill('SIGKILL');
  await sim.stop();
}
