// How long the active decoder (going active on the still feed's copied stream) takes to give
// its first picture, and why. A clip encoded like camsim's sub streams (640×360, 15 fps, closed
// 2-s GOP, an access unit delimiter before each picture) is split into access units; at a
// chosen picture of the second GOP this script starts a decoder, writes it that GOP from its
// key picture up to that picture at once (what the feed keeps), then one picture every 1/15 s,
// as the camera sends them, each followed by a delimiter (as camera-motion.ts does), and notes
// when its first gray frame comes out. Variants differ only in the decoder's options:
//   nobuffer_fps   the command as first tried (`-fflags nobuffer`, `fps` filter)
//   fps            without `-fflags nobuffer`
//   select         without `-fflags nobuffer`, `select` by time instead of `fps`, from the newest kept
//                  picture on (what runs now analyses that one, and one 200 ms before it if kept)
// `-fflags nobuffer` makes the demuxer drop the packets it read while probing the input: the
// key picture, so the decoder has no reference and drops pictures until the next key picture
// (the first frame then comes when the next GOP starts, 0..2 s: the 0.6–2.4 s seen).
//
//   npx tsx scripts/bench/motion-decoder-start.ts [--repeats 2] [--json FILE]
//
// JSON keys: first_frame_ms[variant][at] (one per repeat; `at` = pictures of the GOP already
// sent when the decoder starts), next_key_ms[at] (when the next key picture would have come),
// gop_ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { activeDecoderCommand } from '../../edge/src/motion/args.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '2' }, json: { type: 'string' } } });
const REPEATS = Number(values.repeats);
if (!Number.isInteger(REPEATS) || REPEATS <= 0) throw new Error('--repeats must be a positive integer');

const FPS = 15;
const GOP = 2 * FPS;
const AUD = Buffer.from([0, 0, 0, 1, 9]);
const END_OF_PICTURE = Buffer.from([0, 0, 0, 1, 9, 0xf0]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'decoder-start-'));
const clipPath = join(dir, 'clip.h264');
await new Promise<void>((resolve, reject) => {
  const enc = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}`, '-t', '8', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0', '-bf', '0', '-x264-params', 'open-gop=0', '-bsf:v', 'h264_metadata=aud=insert', '-f', 'h264', '-y', clipPath], { stdio: 'ignore' });
  enc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`encoding the clip failed (${code})`))));
});
const data = readFileSync(clipPath);
const units: Buffer[] = [];
for (let s = 0, i = data.indexOf(AUD, 1); s < data.length; s = i, i = data.indexOf(AUD, i + 1)) {
  if (i < 0) i = data.length;
  units.push(data.subarray(s, i));
}

function variant(name: string, at: number): string[] {
  let args = activeDecoderCommand({ codec: 'h264', activeFps: 5, width: 160, height: 90, thumbnailWidth: 320, analyseKept: [at] });
  if (name === 'nobuffer_fps' && !args.includes('nobuffer')) args.splice(args.indexOf('-i') - 2, 0, '-fflags', 'nobuffer');
  if (name !== 'nobuffer_fps') {
    const at = args.indexOf('nobuffer');
    if (at > 0) args.splice(at - 1, 2);
  }
  if (name !== 'select') args = args.map((a) => a.replace(/^select='[^']*',/, 'fps=5,'));
  return args;
}

async function firstFrameMs(args: string[], at: number): Promise<number | null> {
  // fd 3: JPEGs (ignored), fd 4: the stream.
  const d = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'ignore', 'pipe', 'pipe'] });
  const feed = d.stdio[4] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
  feed.on('error', () => {});
  (d.stdio[3] as NodeJS.ReadableStream).resume();
  const t0 = Date.now();
  let first: number | null = null;
  d.stdout!.once('data', () => (first = Date.now() - t0));
  for (let j = GOP; j <= GOP + at; j++) feed.write(Buffer.concat([units[j]!, END_OF_PICTURE]));
  for (let j = GOP + at + 1; j < units.length && first === null; j++) {
    await sleep(1000 / FPS);
    feed.write(Buffer.concat([units[j]!, END_OF_PICTURE]));
  }
  await sleep(100);
  d.kill('SIGKILL');
  return first;
}

const names = ['nobuffer_fps', 'fps', 'select'] as const;
const ats = [0, 10, 20, 29];
const first: Record<string, Record<number, Array<number | null>>> = {};
try {
  for (const n of names) first[n] = Object.fromEntries(ats.map((a) => [a, [] as Array<number | null>]));
  for (let r = 0; r < REPEATS; r++) for (const n of names) for (const a of ats) first[n]![a]!.push(await firstFrameMs(variant(n, a), a));
  const nextKey = Object.fromEntries(ats.map((a) => [a, Math.round(((GOP - a) * 1000) / FPS)]));
  printAndSave({ gop_ms: (GOP * 1000) / FPS, commands: Object.fromEntries(names.map((n) => [n, variant(n, 0).join(' ')])), next_key_ms: nextKey, first_frame_ms: first }, values.json);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
