// Motion latency through the real pipeline (scripts/bench/motion.ts measures CPU and, offline,
// quality on the ground truth): true start → `motion.start` row, plus the CPU of that run. N
// simulated cameras play a
// 20-s clip: `--clip crossing` (default) a box crossing for 6 s of every 20, `--clip still`
// nothing moving (what most village cameras see most of the time);
// the edge records them, alone and then with motion detection on every sub stream, in the
// same run and against the same simulator.
//
//   npx tsx scripts/bench/motion-latency.ts --cameras 16 --seconds 60 --warmup 15 --runs 2 --json bench-results/motion.json
//
// Windows alternate: recording, recording+motion, recording, …, recording; each motion run is
// compared with the mean of the two recording runs around it (CPU readings drift on a VM).
//
// JSON keys:
//   cameras, clip, seconds, runs  what was measured (each window after a warm-up)
//   recording_cpu_pct           edge process + its ffmpeg children, recording only, % of one core
//   motion_cpu_pct              the same with motion detection on
//   motion_extra_cpu_pct        the difference (median over runs)
//   motion_per_camera_pct       the difference per camera
//   cpu_ratio                   motion_cpu_pct / recording_cpu_pct
//   events                      motion events stored during the motion windows
//   latency_p50_ms, latency_p95_ms, latency_max_ms, latency_samples
//                               crossing clip: the box's first frame, decoded off the sub stream
//                               by a viewer → its `motion.start` row seen in the database
//                               (polled every 50 ms)
//   latencies_ms                every sample, sorted
//   load_avg                    /proc/loadavg (1, 5, 15 min) at the end: how busy the shared box was
//   per_run                     every run's numbers
//
// Latency needs to know when the box appears on each sub stream: camsim restarts a stream's clip
// when its last client leaves, and the detector's mode switch reconnects. So with the crossing
// clip a viewer stays on every sub stream from before the first window, as a real camera's
// stream goes on whoever watches, decodes every frame and notes when the box shows up.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Camsim } from '../camsim/camsim.ts';
import { printAndSave } from './report.ts';
import { boxWatcher, WATCH_HEIGHT, WATCH_WIDTH } from './motion-box-watch.ts';
import { alternateWindows, benchLog as log, measureEdgeWindow, median, round2 as round, windowNumbers, windowOptions } from './edge-window.ts';
import { parseSceneClip, startMotionScene } from './motion-scene.ts';
import { openDatabase, type Db } from '../../edge/src/db/database.ts';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';

const { values } = parseArgs({
  options: {
    ...windowOptions,
    // crossing: a box crosses for 6 s of every 20; still: nothing moves (the key-frame-only cost).
    clip: { type: 'string', default: 'crossing' },
  },
});
const CLIP = parseSceneClip(values.clip, ['crossing', 'still']);
const { cameras: N, seconds: T, warmup: W, runs: RUNS } = windowNumbers(values);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * Keeps each sub stream playing (camsim restarts a clip when its last client leaves) and decodes
 * every frame of it, small and gray: the wall time (Date.now) each crossing's first frame arrived,
 * per camera name. The reference is the box itself as it comes off the network, not the clip's
 * start plus 8 s: a viewer's first packet comes out of ffmpeg only after its probing, about a
 * second after the clip started, which hid that second from the latency.
 */
async function watchSubs(sim: Camsim): Promise<{ appeared: Map<string, number[]>; stop: () => void }> {
  const appeared = new Map<string, number[]>();
  const playing = new Set<string>();
  const children = sim.cameras.map((c) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-threads', '1', '-rtsp_transport', 'tcp', '-i', authenticatedUrl(c.urls.sub, c.user, c.password), '-fps_mode', 'passthrough', '-vf', `scale=${WATCH_WIDTH}:${WATCH_HEIGHT},format=gray`, '-f', 'rawvideo', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    appeared.set(c.name, []);
    const watch = boxWatcher(() => appeared.get(c.name)!.push(Date.now()));
    child.stdout!.on('data', (chunk: Buffer) => {
      playing.add(c.name);
      watch(chunk);
    });
    return child;
  });
  const deadline = Date.now() + 30_000;
  while (playing.size < sim.cameras.length && Date.now() < deadline) await sleep(0.05);
  if (playing.size < sim.cameras.length) throw new Error('not every sub stream started playing');
  return { appeared, stop: () => children.forEach((c) => c.kill('SIGKILL')) };
}

/** Polls the edge's database for new motion.start rows: when each was first seen, and its camera's name. */
function watchStarts(dbFile: string): { stop: () => Array<{ name: string; seenMs: number }> } {
  let db: Db | undefined;
  let after = 0;
  const seen: Array<{ name: string; seenMs: number }> = [];
  const timer = setInterval(() => {
    try {
      db ??= openDatabase(dbFile, { readonly: true });
      const rows = db.prepare("SELECT e.id, c.name FROM events e JOIN cameras c ON c.id = e.camera_id WHERE e.type = 'motion.start' AND e.id > ? ORDER BY e.id").all(after) as Array<{ id: number; name: string }>;
      const now = Date.now();
      for (const r of rows) {
        seen.push({ name: r.name, seenMs: now });
        after = r.id;
      }
    } catch {
      // Not created yet, or busy: the next poll reads it.
    }
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      db?.close();
      return seen;
    },
  };
}

/** Each start seen → how long after the box's latest appearance on that camera's sub stream. */
function latencies(seen: Array<{ name: string; seenMs: number }>, appeared: Map<string, number[]>): number[] {
  return seen.flatMap(({ name, seenMs }) => {
    const last = (appeared.get(name) ?? []).filter((t) => t <= seenMs).at(-1);
    if (last === undefined) return [];
    // Only starts within the crossing's 6 s (+ slack): anything later is not this crossing's start.
    return seenMs - last < 10_000 ? [seenMs - last] : [];
  });
}

const root = mkdtempSync(join(tmpdir(), 'cunbox-bench-motion-'));
const { sim } = await startMotionScene(CLIP, N);
const viewers = CLIP === 'crossing' ? await watchSubs(sim) : undefined;
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]! : null);
try {
  const runs = await alternateWindows(RUNS, async (name, motion) => {
    let starts: ReturnType<typeof watchStarts> | undefined;
    const w = await measureEdgeWindow({ sim, dir: join(root, name), motion, warmupSeconds: W, seconds: T, log, onStarted: (db) => (starts = motion ? watchStarts(db) : undefined) });
    return { ...w, starts: starts?.stop() ?? [] };
  });
  const lat = viewers ? runs.flatMap((r) => latencies(r.withMotion.starts, viewers.appeared)) : [];
  const perRun = runs.map((r) => ({
    recording_cpu_pct: round(r.recordingCpuPct),
    recording_cpu_pct_around: r.recordingAround.map(round),
    motion_cpu_pct: round(r.withMotion.cpuPct),
    motion_extra_cpu_pct: round(r.withMotion.cpuPct - r.recordingCpuPct),
    events: r.withMotion.events,
  }));
  const extra = median(perRun.map((p) => p.motion_extra_cpu_pct));
  const rec = median(perRun.map((p) => p.recording_cpu_pct));
  const mot = median(perRun.map((p) => p.motion_cpu_pct));
  printAndSave(
    {
      cameras: N,
      clip: CLIP,
      seconds: T,
      runs: RUNS,
      recording_cpu_pct: rec,
      motion_cpu_pct: mot,
      motion_extra_cpu_pct: extra,
      motion_per_camera_pct: round(extra / N),
      cpu_ratio: round(mot / rec),
      events: perRun.reduce((s, p) => s + p.events, 0),
      latency_p50_ms: pct(lat, 50),
      latency_p95_ms: pct(lat, 95),
      latency_max_ms: lat.length ? Math.max(...lat) : null,
      latency_samples: lat.length,
      latencies_ms: [...lat].sort((a, b) => a - b),
      load_avg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
      per_run: perRun,
    },
    values.json,
  );
} finally {
  viewers?.stop();
  await sim.stop();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
