/**
 * The generated clips against real ffmpeg: the smallest set (one motion clip,
 * one distractor) rendered at the small size, or taken from the cache. Each
 * clip has the size, rate and length its truth declares, and the object is in
 * the picture where the truth says it is.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpDir } from '@cunbox/test-support/tmp';
import { loadGroundTruth, sceneByName, SIZES, SMOKE_SCENES, type GroundTruthClip } from './ground-truth.ts';
import { positionAt } from './path.ts';

const run = promisify(execFile);
const SIZE = SIZES.small;

async function probe(path: string) {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=codec_name,profile,width,height,r_frame_rate,nb_read_packets,has_b_frames:format=duration',
    '-of', 'json', path,
  ]);
  const j = JSON.parse(stdout) as { streams: Array<Record<string, string | number>>; format: { duration: string } };
  return { stream: j.streams[0]!, duration: Number(j.format.duration) };
}

/** Key frames' times, from the packets' flags. */
async function keyFrameTimes(path: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', path]);
  return stdout.trim().split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0]));
}

/** One decoded frame as grey pixels, taken by decoding from the start (exact frame). */
async function grayFrame(path: string, seconds: number): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-ss', seconds.toFixed(3), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { encoding: 'buffer', maxBuffer: 1 << 22 });
  return stdout;
}

function meanIn(frame: Buffer, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.max(0, Math.round(y0)); y < Math.min(SIZE.height, Math.round(y1)); y++) {
    for (let x = Math.max(0, Math.round(x0)); x < Math.min(SIZE.width, Math.round(x1)); x++) {
      sum += frame[y * SIZE.width + x]!;
      n++;
    }
  }
  return sum / n;
}

const cacheDir = tmpDir(t, 'cunbox-gt-');
let clips: GroundTruthClip[] = [];

t.before(async () => {
  // A private cache, so the test really renders; two 20..24-s clips at 320x180 take a few seconds.
  clips = await loadGroundTruth({ size: 'small', names: SMOKE_SCENES, cacheDir });
});

t.test('each clip has the size, frame rate, length and GOP it declares', async (t) => {
  t.same(clips.map((c) => c.name), [...SMOKE_SCENES]);
  for (const clip of clips) {
    const { stream: p, duration } = await probe(clip.path);
    const truth = clip.truth;
    t.equal(p['codec_name'], 'h264', `${clip.name}: H.264`);
    t.equal(p['profile'], 'Main', `${clip.name}: Main profile`);
    t.equal(p['has_b_frames'], 0, `${clip.name}: no B-frames`);
    t.same([p['width'], p['height'], p['r_frame_rate']], [SIZE.width, SIZE.height, `${SIZE.fps}/1`], `${clip.name}: ${SIZE.width}x${SIZE.height} at ${SIZE.fps} fps`);
    t.same([truth.width, truth.height, truth.fps], [SIZE.width, SIZE.height, SIZE.fps], `${clip.name}: the truth says so too`);
    t.equal(Number(p['nb_read_packets']), truth.frames, `${clip.name}: ${truth.frames} frames`);
    t.ok(Math.abs(duration - truth.seconds) < 0.1, `${clip.name}: ${duration} s ≈ ${truth.seconds} s`);
    t.same(await keyFrameTimes(clip.path), Array.from({ length: truth.seconds / 2 }, (_, i) => i * 2), `${clip.name}: a key frame every 2 s, from the first frame`);
  }
});

t.test('each truth file is consistent: intervals inside the clip and in known zones, polygons the config accepts', async (t) => {
  for (const { name, truth } of clips) {
    const scene = sceneByName(name);
    t.equal(truth.kind, scene.kind);
    t.same(truth.zones, scene.zones);
    const zoneNames = new Set(truth.zones.map((z) => z.name));
    for (const iv of [...truth.intervals, ...truth.objects]) {
      t.ok(zoneNames.has(iv.zone), `${name}: zone ${iv.zone} is declared`);
      t.ok(iv.start >= 0 && iv.start < iv.end && iv.end <= truth.seconds, `${name}/${iv.zone}: ${iv.start}..${iv.end} within ${truth.seconds} s`);
    }
    for (const area of [...truth.zones, ...truth.masks]) {
      t.ok(area.points.length >= 3 && area.points.length <= 64 && area.points.every((p) => p.length === 2 && p.every((v) => v >= 0 && v <= 1)), `${name}/${area.name}: valid polygon`);
    }
    if (truth.kind === 'distractor') t.same(truth.intervals, [], `${name}: no true motion`);
    else t.ok(truth.intervals.length > 0, `${name}: true motion`);
  }
});

t.test('the walker is in the picture where the truth puts it, and not there when it has gone', async (t) => {
  const clip = clips.find((c) => c.name === 'walk-zones')!;
  const walker = sceneByName('walk-zones').movers.find((m) => m.id === 'near-walker')!;
  const gate = clip.truth.intervals.find((iv) => iv.zone === 'gate')!;
  const during = (gate.start + gate.end) / 2;
  const p = positionAt(walker.path, during);
  // The middle of the ellipse: x and y within its central half.
  const box = [
    (p.x + walker.w / 4) * SIZE.width, (p.y + walker.h / 4) * SIZE.height,
    (p.x + (3 * walker.w) / 4) * SIZE.width, (p.y + (3 * walker.h) / 4) * SIZE.height,
  ] as const;
  const withWalker = meanIn(await grayFrame(clip.path, during), ...box);
  const without = meanIn(await grayFrame(clip.path, 1), ...box);
  // The walker is drawn at luma 55 on a background around 118.
  t.ok(withWalker < 75, `dark walker at ${during.toFixed(2)} s (mean ${withWalker.toFixed(0)})`);
  t.ok(without - withWalker > 30, `the same spot without the walker is brighter (${without.toFixed(0)})`);
});

t.test('the cache is reused: a second load renders nothing', async (t) => {
  const logs: string[] = [];
  const again = await loadGroundTruth({ size: 'small', names: SMOKE_SCENES, cacheDir, onLog: (l) => logs.push(l) });
  t.same(logs, []);
  t.same(again.map((c) => c.path), clips.map((c) => c.path));
});

t.test('a scene renders to the same bytes every time (the benches score the same clip wherever it was rendered)', async (t) => {
  const other = await loadGroundTruth({ size: 'small', names: ['walk-zones'], cacheDir: tmpDir(t, 'cunbox-gt-again-') });
  const first = clips.find((c) => c.name === 'walk-zones')!;
  t.not(other[0]!.path, first.path, 'rendered again, in another cache');
  t.ok(readFileSync(other[0]!.path).equals(readFileSync(first.path)), 'byte for byte the same video');
});

t.test('an unknown scene is a clear error', async (t) => {
  await t.rejects(loadGroundTruth({ names: ['fog'], cacheDir }), /unknown ground-truth scene "fog"; known: walk-zones/);
});
