// Motion benchmark: the CPU motion detection adds to recording. N simulated cameras play a
// 20-s clip: `--clip crossing` (default) a box crossing for 6 s of every 20, `--clip still`
// nothing moving (what most village cameras see most of the time);
// the edge records them, alone and then with motion detection on every sub stream, in the
// same run and against the same simulator.
//
//   npx tsx scripts/bench/motion.ts --cameras 16 --seconds 60 --warmup 15 --runs 2 --json bench-results/motion.json
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
//   per_run                     every run's numbers
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { startCamsim, type Camsim } from '../camsim/camsim.ts';
import { childrenOf, total } from './proc-stats.ts';
import { printAndSave } from './report.ts';
import { motionClip } from '../../edge/test/helpers/motion-clips.ts';
import { openDatabase } from '../../edge/src/db/database.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    runs: { type: 'string', default: '1' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // crossing: a box crosses for 6 s of every 20; still: nothing moves (the key-frame-only cost).
    clip: { type: 'string', default: 'crossing' },
  },
});
if (values.clip !== 'crossing' && values.clip !== 'still') throw new Error('--clip must be crossing or still');
const N = Number(values.cameras);
const T = Number(values.seconds);
const W = Number(values.warmup);
const RUNS = Number(values.runs);
for (const [k, v] of Object.entries({ cameras: N, seconds: T, warmup: W, runs: RUNS })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
}
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const round = (v: number) => Math.round(v * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs the edge (recording, and motion when asked) and returns its CPU over T seconds after warm-up. */
async function window(sim: Camsim, dir: string, motion: boolean): Promise<{ cpuPct: number; events: number }> {
  log(`${motion ? 'recording + motion' : 'recording'}: ${N} cameras`);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'config.yaml');
  const cams = sim.cameras.flatMap((c) => [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  writeFileSync(cfg, [`data_dir: ${join(dir, 'data')}`, 'recording:', '  segment_seconds: 10', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', ...(motion ? ['motion: {}'] : []), 'cameras:', ...cams, ''].join('\n'));
  const edge = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'edge-runner.ts'), cfg], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: edge.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  if (!(await next()).includes('started')) throw new Error('edge runner did not start');
  await sleep(W);
  edge.stdin!.write('mark\n');
  const pids = () => [edge.pid!, ...childrenOf(edge.pid!)];
  // Children reaped during the window fold into the edge's own counters (cutime), so the
  // union of the pids at both ends counts a restarted ffmpeg once.
  const p0 = pids();
  const a = total(p0);
  const t0 = performance.now();
  await sleep(T);
  const b = total([...new Set([...p0, ...pids()])]);
  const cpuPct = ((b.cpuSeconds - a.cpuSeconds) / ((performance.now() - t0) / 1000)) * 100;
  const report = next();
  edge.kill('SIGTERM');
  await report;
  await new Promise((r) => edge.once('exit', r));
  const db = openDatabase(join(dir, 'data', 'cunbox.db'));
  const events = (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'motion'").get() as { n: number }).n;
  db.close();
  return { cpuPct, events };
}

const root = mkdtempSync(join(tmpdir(), 'cunbox-bench-motion-'));
const clip = await motionClip(values.clip);
const sim = await startCamsim({ cameras: N, clips: [`file:${clip}`] });
try {
  const perRun = [];
  let before = await window(sim, join(root, 'rec-0'), false);
  for (let r = 1; r <= RUNS; r++) {
    const withMotion = await window(sim, join(root, `motion-${r}`), true);
    const after = await window(sim, join(root, `rec-${r}`), false);
    const recording = (before.cpuPct + after.cpuPct) / 2;
    perRun.push({ recording_cpu_pct: round(recording), recording_cpu_pct_around: [round(before.cpuPct), round(after.cpuPct)], motion_cpu_pct: round(withMotion.cpuPct), motion_extra_cpu_pct: round(withMotion.cpuPct - recording), events: withMotion.events });
    before = after;
  }
  const extra = median(perRun.map((p) => p.motion_extra_cpu_pct));
  const rec = median(perRun.map((p) => p.recording_cpu_pct));
  const mot = median(perRun.map((p) => p.motion_cpu_pct));
  printAndSave(
    {
      cameras: N,
      clip: values.clip,
      seconds: T,
      runs: RUNS,
      recording_cpu_pct: rec,
      motion_cpu_pct: mot,
      motion_extra_cpu_pct: extra,
      motion_per_camera_pct: round(extra / N),
      cpu_ratio: round(mot / rec),
      events: perRun.reduce((s, p) => s + p.events, 0),
      per_run: perRun,
    },
    values.json,
  );
} finally {
  await sim.stop();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
