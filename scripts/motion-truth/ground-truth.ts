/**
 * The motion ground-truth set: renders each scene once with ffmpeg (cached by
 * a hash of everything that shapes the clip), writes its truth next to it, and
 * hands both to benchmarks and tests. See docs/design/motion-ground-truth.md.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeArgs, filterGraph, type RenderSize } from './graph.ts';
import { SCENES, type Area, type Scene } from './scenes.ts';
import type { CameraTruth } from './score.ts';
import { MIN_SHARE, objectIntervals, zoneIntervals, type ObjectInterval, type ZoneInterval } from './truth.ts';

/** Bump when a change alters clips in a way the cache key does not see (ffmpeg's own upgrades, say). */
export const GENERATOR_VERSION = 1;
export const DEFAULT_CACHE_DIR = join(import.meta.dirname, '.cache');

/**
 * `full` is what benchmarks use; `small` renders the same scenes (same truth) at a quarter of
 * the pixels, for tests; `full-5fps` the full size at 5 frames a second (a camera whose sub
 * stream is set to 5 fps, still a 2-s GOP and the same bitrate).
 */
export const SIZES = {
  full: { width: 640, height: 360, fps: 15 },
  small: { width: 320, height: 180, fps: 15 },
  'full-5fps': { width: 640, height: 360, fps: 5 },
} as const satisfies Record<string, RenderSize>;
export type SizeName = keyof typeof SIZES;

/** A size named on a bench's command line (`flag` names the option in the error). */
export function parseSizeName(value: string, flag: string): SizeName {
  if (!Object.hasOwn(SIZES, value)) throw new Error(`${flag} must be one of ${Object.keys(SIZES).join(', ')}`);
  return value as SizeName;
}

/** The truth file written next to each clip (`<clip>.json`). Times are seconds from the clip's first frame. */
export interface TruthFile {
  version: 1;
  name: string;
  kind: 'motion' | 'distractor';
  description: string;
  seconds: number;
  fps: number;
  width: number;
  height: number;
  frames: number;
  /** Exactly the shape of a camera's `motion.zones` / `motion.masks` config. */
  zones: Area[];
  masks: Area[];
  /** Per zone, when something truly moved there (objects' intervals joined). */
  intervals: ZoneInterval[];
  /** The same per object, before joining. */
  objects: ObjectInterval[];
  /** Share of an object's area that must be in a zone (and outside masks) for its motion to count there. */
  minShare: number;
  /** What else is in the picture: the distractors, for people reading the file. */
  scene: Pick<Scene, 'movers' | 'light' | 'night' | 'rain' | 'shake'>;
  /** Cache key of the clip (a hash of the scene, size, filtergraph and encoder settings). */
  key: string;
}

export interface GroundTruthClip {
  name: string;
  kind: 'motion' | 'distractor';
  /** The H.264 MP4, ready for camsim's `asis:` clips. */
  path: string;
  truthPath: string;
  truth: TruthFile;
}

export interface LoadOptions {
  size?: SizeName;
  /** Only these scenes (default: all). */
  names?: readonly string[];
  cacheDir?: string;
  /** Progress lines ("rendered walk-zones in 2.1 s"). */
  onLog?: (line: string) => void;
}

export function sceneByName(name: string): Scene {
  const scene = SCENES.find((s) => s.name === name);
  if (!scene) throw new Error(`unknown ground-truth scene ${JSON.stringify(name)}; known: ${SCENES.map((s) => s.name).join(', ')}`);
  return scene;
}

export function truthFor(scene: Scene, size: RenderSize, key: string): TruthFile {
  return {
    version: 1,
    name: scene.name,
    kind: scene.kind,
    description: scene.description,
    seconds: scene.seconds,
    fps: size.fps,
    width: size.width,
    height: size.height,
    frames: Math.round(scene.seconds * size.fps),
    zones: scene.zones,
    masks: scene.masks,
    intervals: zoneIntervals(scene, size.fps),
    objects: objectIntervals(scene, size.fps),
    minShare: MIN_SHARE,
    scene: { movers: scene.movers, light: scene.light, night: scene.night, rain: scene.rain, shake: scene.shake },
    key,
  };
}

/** The ffmpeg command line (without the output file) and its cache key. */
export function renderPlan(scene: Scene, size: RenderSize): { args: string[]; key: string } {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-filter_complex', filterGraph(scene, size), '-map', '[out]', ...encodeArgs(scene, size)];
  const key = createHash('sha256').update(JSON.stringify([GENERATOR_VERSION, scene, size, args, MIN_SHARE])).digest('hex').slice(0, 12);
  return { args, key };
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`ffmpeg failed: ${String(stderr).trim().slice(-800) || err.message}`));
      else resolve();
    });
  });
}

/** Renders one scene unless the cache has it; returns the clip and its truth. */
export async function ensureClip(scene: Scene, sizeName: SizeName = 'full', cacheDir = DEFAULT_CACHE_DIR, onLog?: (line: string) => void): Promise<GroundTruthClip> {
  const size = SIZES[sizeName];
  const { args, key } = renderPlan(scene, size);
  const base = join(cacheDir, `${scene.name}-${size.width}x${size.height}-${key}`);
  const path = `${base}.mp4`;
  const truthPath = `${base}.json`;
  if (!existsSync(path) || !existsSync(truthPath)) {
    mkdirSync(cacheDir, { recursive: true });
    // Written under temporary names and renamed: parallel runs may render the
    // same clip, and neither ever sees the other's half-written file.
    const tmp = `${base}.tmp${process.pid}`;
    const started = performance.now();
    try {
      await ffmpeg([...args, '-f', 'mp4', `${tmp}.mp4`]);
      writeFileSync(`${tmp}.json`, `${JSON.stringify(truthFor(scene, size, key), null, 2)}\n`);
      renameSync(`${tmp}.json`, truthPath);
      renameSync(`${tmp}.mp4`, path);
    } finally {
      rmSync(`${tmp}.mp4`, { force: true });
      rmSync(`${tmp}.json`, { force: true });
    }
    onLog?.(`rendered ${scene.name} (${size.width}x${size.height}, ${scene.seconds} s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as TruthFile;
  return { name: scene.name, kind: scene.kind, path, truthPath, truth };
}

/** Every scene (or the named ones), rendered where the cache lacks them, one at a time (ffmpeg is CPU-bound). */
export async function loadGroundTruth(opts: LoadOptions = {}): Promise<GroundTruthClip[]> {
  const scenes = opts.names ? opts.names.map(sceneByName) : SCENES;
  const out: GroundTruthClip[] = [];
  for (const scene of scenes) out.push(await ensureClip(scene, opts.size ?? 'full', opts.cacheDir ?? DEFAULT_CACHE_DIR, opts.onLog));
  return out;
}

/**
 * What `score()` needs for one camera that played `clip` in a loop from
 * `epochMs` (wall time of the clip's first frame on the analysed stream, as
 * camsim reports it) and was watched from `windowStartMs` to `windowEndMs`.
 */
export function cameraTruth(camera: string, clip: GroundTruthClip, epochMs: number, windowStartMs: number, windowEndMs: number): CameraTruth {
  return {
    camera,
    scenario: clip.name,
    kind: clip.kind,
    periodMs: Math.round((clip.truth.frames / clip.truth.fps) * 1000),
    intervals: clip.truth.intervals.map((iv) => ({ zone: iv.zone, startMs: Math.round(iv.start * 1000), endMs: Math.round(iv.end * 1000) })),
    epochMs,
    windowStartMs,
    windowEndMs,
  };
}

/** Clip time (seconds from the clip's first frame) of a wall time on a looping camera. */
export function clipTimeAt(wallMs: number, epochMs: number, periodMs: number): number {
  const into = (wallMs - epochMs) % periodMs;
  return (into < 0 ? into + periodMs : into) / 1000;
}

export { score, unrollTruth, type CameraTruth, type Detection, type Score } from './score.ts';
export { SCENES, SMOKE_SCENES } from './scenes.ts';
