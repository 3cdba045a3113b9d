// The motion benches' measured window, in one place: the edge (edge-runner.ts, its own
// process) records the simulated cameras, with or without motion detection, and its CPU
// (the process and its ffmpeg children) is read from /proc over a fixed window after a
// warm-up. Windows alternate recording, recording + motion, recording, …, recording, and
// each motion window is compared with the mean of the recording windows around it: CPU
// readings drift on a shared VM, so a baseline measured once at the start would not do.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Camsim } from '../camsim/camsim.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { childrenOf, total } from './proc-stats.ts';
import { ChildCpuSampler } from './child-cpu.ts';

/** What an edge's ffmpeg child is, from its command line (edge/src/recorder/args.ts, edge/src/motion/args.ts). */
function ffmpegRole(commandLine: string): 'recording' | 'motion' | 'other' {
  if (/ -f segment /.test(commandLine)) return 'recording';
  if (/ -skip_loop_filter all /.test(commandLine)) return 'motion';
  return 'other';
}

export interface EdgeWindowOptions {
  sim: Camsim;
  /** A fresh folder for this window's config and data. */
  dir: string;
  motion: boolean;
  warmupSeconds: number;
  seconds: number;
  /** More YAML lines for camera i (its motion zones and masks), indented as camera fields. */
  cameraLines?: (i: number) => string[];
  /** Told the database file once the edge has started, before the warm-up (to watch its rows). */
  onStarted?: (dbFile: string) => void;
  log: (message: string) => void;
}

export interface EdgeWindow {
  /** Edge process + its ffmpeg children over the window, % of one core. */
  cpuPct: number;
  /** The edge's Node process alone (detector, pipes, database), from its own report; the rest of cpuPct is ffmpeg. */
  nodeCpuPct: number;
  /**
   * The ffmpeg children's own CPU by role over the window, % of one core: each sampled every
   * 200 ms (child-cpu.ts), so a motion feed restarted mid-window counts up to its last sample.
   */
  ffmpegCpuPct: { recording: number; motion: number; other: number };
  /** cpuPct − nodeCpuPct − the roles: children's CPU after their last sample (≥ 0 up to rounding). */
  unsampledCpuPct: number;
  /** Motion episodes stored (summaries) during the whole run of the edge. */
  events: number;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Runs the edge (recording, and motion when asked) and returns its CPU over `seconds` after the warm-up. */
export async function measureEdgeWindow(o: EdgeWindowOptions): Promise<EdgeWindow> {
  o.log(`${o.motion ? 'recording + motion' : 'recording'}: ${o.sim.cameras.length} cameras`);
  mkdirSync(o.dir, { recursive: true });
  const cfg = join(o.dir, 'config.yaml');
  const cams = o.sim.cameras.flatMap((c, i) => [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`, ...(o.cameraLines?.(i) ?? [])]);
  writeFileSync(cfg, [`data_dir: ${join(o.dir, 'data')}`, 'recording:', '  segment_seconds: 10', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', ...(o.motion ? ['motion: {}'] : []), 'cameras:', ...cams, ''].join('\n'));
  const edge = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'edge-runner.ts'), cfg], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: edge.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  if (!(await next()).includes('started')) throw new Error('edge runner did not start');
  const dbFile = join(o.dir, 'data', 'cunbox.db');
  o.onStarted?.(dbFile);
  await sleep(o.warmupSeconds);
  edge.stdin!.write('mark\n');
  const pids = () => [edge.pid!, ...childrenOf(edge.pid!)];
  // Children reaped during the window fold into the edge's own counters (cutime), so the
  // union of the pids at both ends counts a restarted ffmpeg once.
  const p0 = pids();
  const byRole = new ChildCpuSampler(edge.pid!, ffmpegRole);
  const a = total(p0);
  byRole.start();
  const t0 = performance.now();
  await sleep(o.seconds);
  const b = total([...new Set([...p0, ...pids()])]);
  const roles = byRole.stop();
  const wallS = (performance.now() - t0) / 1000;
  const pct = (cpuSeconds: number) => (cpuSeconds / wallS) * 100;
  const cpuPct = pct(b.cpuSeconds - a.cpuSeconds);
  const ffmpegCpuPct = { recording: pct(roles.recording?.cpuSeconds ?? 0), motion: pct(roles.motion?.cpuSeconds ?? 0), other: pct(roles.other?.cpuSeconds ?? 0) };
  if (o.motion) o.log(`motion feeds seen in the window: ${roles.motion?.processes ?? 0} ffmpeg processes`);
  const report = next();
  edge.kill('SIGTERM');
  const nodeCpuPct = (JSON.parse(await report) as { node_cpu_pct: number }).node_cpu_pct;
  await new Promise((r) => edge.once('exit', r));
  const db = openDatabase(dbFile);
  const events = (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'motion'").get() as { n: number }).n;
  db.close();
  const unsampledCpuPct = cpuPct - nodeCpuPct - ffmpegCpuPct.recording - ffmpegCpuPct.motion - ffmpegCpuPct.other;
  return { cpuPct, nodeCpuPct, ffmpegCpuPct, unsampledCpuPct, events };
}

export interface AlternatedRun<W extends EdgeWindow> {
  /** Mean of the two recording windows around the motion window. */
  recordingCpuPct: number;
  recordingAround: [number, number];
  /** The same for the Node process alone. */
  recordingNodeCpuPct: number;
  /** The same for the recorder's ffmpeg children alone. */
  recordingFfmpegCpuPct: number;
  withMotion: W;
}

/**
 * recording, motion, recording, …: `runs` motion windows, each with the recording windows
 * before and after it (shared between neighbours). `measure(name, motion)` runs one window.
 */
export async function alternateWindows<W extends EdgeWindow>(runs: number, measure: (name: string, motion: boolean) => Promise<W>): Promise<Array<AlternatedRun<W>>> {
  const out: Array<AlternatedRun<W>> = [];
  let before = await measure('rec-0', false);
  for (let r = 1; r <= runs; r++) {
    const withMotion = await measure(`motion-${r}`, true);
    const after = await measure(`rec-${r}`, false);
    out.push({ recordingCpuPct: (before.cpuPct + after.cpuPct) / 2, recordingAround: [before.cpuPct, after.cpuPct], recordingNodeCpuPct: (before.nodeCpuPct + after.nodeCpuPct) / 2, recordingFfmpegCpuPct: (before.ffmpegCpuPct.recording + after.ffmpegCpuPct.recording) / 2, withMotion });
    before = after;
  }
  return out;
}

/** The command-line options of a bench built on these windows (node:util parseArgs shape). */
export const windowOptions = {
  cameras: { type: 'string', default: '16' },
  seconds: { type: 'string', default: '60' },
  warmup: { type: 'string', default: '15' },
  runs: { type: 'string', default: '1' },
  json: { type: 'string' },
  keep: { type: 'boolean', default: false },
} as const;

/** The window options as numbers, each checked to be positive. */
export function windowNumbers(v: { cameras: string; seconds: string; warmup: string; runs: string }): { cameras: number; seconds: number; warmup: number; runs: number } {
  const n = { cameras: Number(v.cameras), seconds: Number(v.seconds), warmup: Number(v.warmup), runs: Number(v.runs) };
  for (const [k, x] of Object.entries(n)) if (!Number.isFinite(x) || x <= 0) throw new Error(`--${k} must be a positive number`);
  return n;
}

export const benchLog = (m: string) => process.stderr.write(`[bench] ${m}\n`);
export const round2 = (v: number) => Math.round(v * 100) / 100;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
