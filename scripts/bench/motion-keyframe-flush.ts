// Where a key-frame-only decode loses a GOP, tried by changing only what the decoder is
// given. One simulated camera plays the crossing clip (a box appears on a key frame); one ffmpeg
// receives its sub stream without decoding (`-c copy`, H.264 Annex B with an access unit
// delimiter before each picture) and this script splits that into pictures and feeds the SAME
// pictures to four decoders, so their only difference is what they are given:
//   full       every picture (the reference: when the box truly came off the network)
//   skip       every picture, the decoder told `-skip_frame nokey` (what the motion feed does)
//   key        key pictures only (dropped before the decoder)
//   key_next   each key picture and the one picture after it; `select` keeps the key pictures
// Measured (docs/design/motion.md): `skip` and `key_next` show the box one GOP after `full`,
// `key` two GOPs after; so giving the decoder the picture after each key picture does not
// hand the key picture over sooner, and dropping pictures before the decoder is no cure.
//
//   npx tsx scripts/bench/motion-keyframe-flush.ts [--loops 2] [--json FILE]
//
// JSON keys: lag_ms (per decoder, one per crossing: its sighting − full's), gop_ms.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startCamsim } from '../camsim/camsim.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';
import { boxWatcher, WATCH_HEIGHT, WATCH_WIDTH } from './motion-box-watch.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '2' }, json: { type: 'string' } } });
const LOOPS = Number(values.loops);
if (!Number.isInteger(LOOPS) || LOOPS <= 0) throw new Error('--loops must be a positive integer');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const AUD = Buffer.from([0, 0, 0, 1, 9]);
const START = Buffer.from([0, 0, 1]);
const IDR = 5;
/** An access unit delimiter on its own: tells the parser the picture before it is complete. */
const END_OF_PICTURE = Buffer.from([0, 0, 0, 1, 9, 0xf0]);

/** Whether an Annex B access unit holds an IDR slice. */
function isKey(au: Buffer): boolean {
  for (let i = au.indexOf(START); i >= 0 && i + 3 < au.length; i = au.indexOf(START, i + 3)) if ((au[i + 3]! & 0x1f) === IDR) return true;
  return false;
}

const sim = await startCamsim({ cameras: 1, clips: [`file:${await motionClip('crossing')}`] });
const cam = sim.cameras[0]!;
const url = authenticatedUrl(cam.urls.sub, cam.user, cam.password);
const names = ['full', 'skip', 'key', 'key_next'] as const;
const seen = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
const decoders = new Map<(typeof names)[number], ChildProcessWithoutNullStreams>();
const receiver = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-map', '0:v:0', '-c', 'copy', '-bsf:v', 'dump_extra=freq=keyframe,h264_metadata=aud=insert', '-f', 'h264', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
try {
  for (const name of names) {
    const input = name === 'skip' ? ['-skip_frame', 'nokey'] : [];
    const select = name === 'key_next' ? "select='eq(pict_type,I)'," : '';
    const d = spawn('ffmpeg', ['-v', 'error', '-threads', '1', ...input, '-probesize', '32', '-analyzeduration', '0', '-f', 'h264', '-i', 'pipe:0', '-fps_mode', 'passthrough', '-vf', `${select}scale=${WATCH_WIDTH}:${WATCH_HEIGHT},format=gray`, '-f', 'rawvideo', 'pipe:1']);
    d.stdout.on('data', boxWatcher(() => seen[name].push(Date.now())));
    d.stderr.resume();
    d.stdin.on('error', () => {});
    decoders.set(name, d);
  }
  let pending: Buffer = Buffer.alloc(0);
  let sinceKey = Infinity;
  receiver.stdout!.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let next = pending.indexOf(AUD, 1); next > 0; next = pending.indexOf(AUD, 1)) {
      const au = pending.subarray(0, next);
      pending = pending.subarray(next);
      sinceKey = isKey(au) ? 0 : sinceKey + 1;
      decoders.get('full')!.stdin.write(au);
      decoders.get('skip')!.stdin.write(au);
      if (sinceKey === 0) decoders.get('key')!.stdin.write(au);
      if (sinceKey <= 1) decoders.get('key_next')!.stdin.write(au);
      // The demuxer's parser ends a picture only at the next one's delimiter.
      if (sinceKey === 1) decoders.get('key_next')!.stdin.write(END_OF_PICTURE);
    }
  });
  const deadline = Date.now() + (LOOPS + 1) * 20_000 + 10_000;
  while (names.some((n) => seen[n].length < LOOPS) && Date.now() < deadline) await sleep(100);
  // Each sighting against the full decode's latest one before it.
  const lag = (n: (typeof names)[number]) => seen[n].flatMap((t) => {
    const f = seen.full.filter((x) => x <= t).at(-1);
    return f === undefined ? [] : [t - f];
  });
  printAndSave({ gop_ms: 2000, lag_ms: { skip: lag('skip'), key: lag('key'), key_next: lag('key_next') } }, values.json);
} finally {
  receiver.kill('SIGKILL');
  for (const d of decoders.values()) d.kill('SIGKILL');
  await sim.stop();
}
