// Recording benchmark: N simulated cameras recorded by cunbox and, in the same
// run and against the same simulator, by N bare `ffmpeg -c copy -f segment`
// processes (the baseline: what any NVR must at least spend).
//
//   npx tsx scripts/bench/recording.ts --cameras 64 --seconds 60 --warmup 15 --runs 3 --json bench-results/recording.json
//
// Windows alternate: baseline, cunbox, baseline, cunbox, …, baseline; each cunbox run is
// compared with the mean of the two baselines around it (this VM's CPU readings drift ~10 %
// over minutes). With --runs > 1 the top-level numbers are medians over the runs.
//
// JSON keys:
//   cameras, seconds, runs      what was measured (each window after a warm-up)
//   baseline_cpu_pct            CPU of the N bare ffmpeg, % of one core
//   cunbox_cpu_pct              CPU of the edge process + its ffmpeg children, % of one core
//   cpu_ratio                   cunbox_cpu_pct / baseline_cpu_pct          (target ≤ 1.2)
//   node_cpu_pct                CPU of the edge's node process alone       (target < 3)
//   node_rss_mb                 peak RSS of the edge's node process        (target < 200)
//   bytes_sent                  TCP payload the simulator sent during the cunbox window
//   bytes_written               bytes the edge + its ffmpeg wrote to storage (/proc/*/io write_bytes)
//   baseline_bytes_written      the same for the baseline windows
//   write_ratio                 bytes_written / baseline_bytes_written     (target ≤ 1.01)
//   written_per_sent            bytes_written / bytes_sent (container framing: MPEG-TS vs RTP)
//   breakdown                   where cunbox's CPU and bytes go: node (its own writes are the
//                               index: SQLite WAL and checkpoints; a child reaped during the
//                               window is folded into node's counters by the kernel), the
//                               recorder ffmpegs, index bytes per indexed segment, and the
//                               recorder ffmpegs' bytes against the baseline's (the container)
//   spread                      [min, median, max] over the runs of the ratios and node CPU
//   per_run                     every run's numbers
//   index_latency_p99_ms        segment closed by ffmpeg → row in the index (target < 2000)
//   event_loop_p99_ms           edge event-loop delay p99                   (target < 20)
//
// --profile FILE writes a V8 CPU profile of the edge process over the measured window
// (the last run's) to FILE (open it in Chrome DevTools).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { startCamsim, type Camsim } from '../camsim/camsim.ts';
import { childrenOf, percentile, rssMb, tcpBytesSent, total } from './proc-stats.ts';
import { buildEntry } from '../build.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '60' },
    'segment-seconds': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // bundle: what production runs (esbuild output, plain node); tsx: the sources through tsx.
    runner: { type: 'string', default: 'bundle' },
    runs: { type: 'string', default: '1' },
    profile: { type: 'string' },
  },
});
const N = Number(values.cameras);
const T = Number(values.seconds);
const S = Number(values['segment-seconds']);
const W = Number(values.warmup);
const RUNS = Number(values.runs);
for (const [k, v] of Object.entries({ cameras: N, seconds: T, 'segment-seconds': S, warmup: W, runs: RUNS })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
}
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

interface Usage {
  cpuPct: number;
  bytesWritten: number;
}

interface Window {
  /** Per group of processes (baseline: ffmpeg; cunbox: node and ffmpeg). */
  groups: Record<string, Usage>;
  cpuPct: number;
  bytesWritten: number;
  bytesSent: number;
}

/** Measures groups of processes over T seconds after warm-up. */
async function measure(sim: Camsim, groups: Record<string, () => number[]>, onMark?: () => void): Promise<Window> {
  const ports = sim.cameras.map((c) => c.rtspPort);
  const [lo, hi] = [Math.min(...ports), Math.max(...ports)];
  await sleep(W);
  onMark?.();
  const p0 = Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, pids()]));
  const a = Object.fromEntries(Object.entries(p0).map(([g, pids]) => [g, total(pids)]));
  const sent0 = tcpBytesSent(lo, hi);
  const t0 = performance.now();
  await sleep(T);
  const out: Record<string, Usage> = {};
  const wall = (performance.now() - t0) / 1000;
  for (const [g, pids] of Object.entries(groups)) {
    const b = total([...new Set([...p0[g]!, ...pids()])]);
    out[g] = { cpuPct: ((b.cpuSeconds - a[g]!.cpuSeconds) / wall) * 100, bytesWritten: b.writeBytes - a[g]!.writeBytes };
  }
  const sent1 = tcpBytesSent(lo, hi);
  const sum = (k: keyof Usage) => Object.values(out).reduce((acc, u) => acc + u[k], 0);
  return { groups: out, cpuPct: sum('cpuPct'), bytesWritten: sum('bytesWritten'), bytesSent: sent1 - sent0 };
}

async function baseline(sim: Camsim, dir: string): Promise<Window> {
  log(`baseline: ${N} bare ffmpeg -c copy -f segment`);
  const procs: ChildProcess[] = sim.cameras.map((c, i) => {
    const out = join(dir, String(i));
    mkdirSync(out, { recursive: true });
    return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', c.authUrl('main'), '-map', '0:v:0', '-c', 'copy',
      '-f', 'segment', '-segment_time', String(S), '-segment_format', 'mpegts', join(out, '%06d.ts')], { stdio: ['pipe', 'ignore', 'ignore'] });
  });
  const w = await measure(sim, { ffmpeg: () => procs.map((p) => p.pid!).filter(Boolean) });
  await Promise.all(procs.map((p) => new Promise((r) => { p.once('exit', r); p.stdin!.end('q'); setTimeout(() => p.kill('SIGKILL'), 5000).unref(); })));
  return w;
}

async function cunbox(sim: Camsim, dir: string) {
  log(`cunbox: edge recording ${N} cameras`);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'config.yaml');
  const cams = sim.cameras.flatMap((c) => [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  writeFileSync(cfg, [`data_dir: ${join(dir, 'data')}`, 'recording:', `  segment_seconds: ${S}`, 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', ...cams, ''].join('\n'));
  let runnerArgs = ['--import', 'tsx', join(import.meta.dirname, 'edge-runner.ts')];
  if (values.runner === 'bundle') {
    // Inside the repository, so the bundle's external imports resolve from node_modules.
    const bundled = join(import.meta.dirname, '.build', 'edge-runner.mjs');
    await buildEntry(join(import.meta.dirname, 'edge-runner.ts'), bundled);
    runnerArgs = [bundled];
  }
  const env = values.profile ? { ...process.env, CUNBOX_BENCH_PROFILE: values.profile } : process.env;
  const edge = spawn(process.execPath, [...runnerArgs, cfg], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: edge.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const started = await next();
  if (!started.includes('started')) throw new Error(`edge runner: ${started}`);
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(edge.pid!))), 1000);
  const w = await measure(sim, { node: () => [edge.pid!], ffmpeg: () => childrenOf(edge.pid!) }, () => edge.stdin!.write('mark\n'));
  clearInterval(rssTimer);
  const reportLine = next();
  edge.kill('SIGTERM');
  const report = JSON.parse(await reportLine) as { node_cpu_pct: number; node_rss_mb: number; event_loop_p99_ms: number; event_loop_max_ms: number; index_latencies_ms: number[]; states: string[] };
  await new Promise((r) => edge.once('exit', r));
  return { w, report, rssPeak };
}

type CunboxRun = Awaited<ReturnType<typeof cunbox>>;

/** One cunbox run against the mean of the baselines before and after it. */
function summarise(cb: CunboxRun, before: Window, after: Window) {
  const base = { cpuPct: (before.cpuPct + after.cpuPct) / 2, bytesWritten: (before.bytesWritten + after.bytesWritten) / 2, bytesSent: (before.bytesSent + after.bytesSent) / 2 };
  const node = cb.w.groups.node!;
  const ffmpeg = cb.w.groups.ffmpeg!;
  const segments = cb.report.index_latencies_ms.length;
  return {
    baseline_cpu_pct: round(base.cpuPct),
    baseline_cpu_pct_around: [round(before.cpuPct), round(after.cpuPct)],
    cunbox_cpu_pct: round(cb.w.cpuPct),
    cpu_ratio: round(cb.w.cpuPct / base.cpuPct, 3),
    node_cpu_pct: round(cb.report.node_cpu_pct),
    node_rss_mb: round(Math.max(cb.report.node_rss_mb, cb.rssPeak)),
    bytes_sent: Math.round(cb.w.bytesSent),
    bytes_written: cb.w.bytesWritten,
    baseline_bytes_written: Math.round(base.bytesWritten),
    baseline_bytes_sent: Math.round(base.bytesSent),
    write_ratio: round(cb.w.bytesWritten / base.bytesWritten, 4),
    written_per_sent: round(cb.w.bytesWritten / cb.w.bytesSent, 4),
    breakdown: {
      node: { cpu_pct: round(node.cpuPct), bytes_written: node.bytesWritten },
      recorder_ffmpegs: { cpu_pct: round(ffmpeg.cpuPct), bytes_written: ffmpeg.bytesWritten },
      index_bytes_per_segment: segments > 0 ? Math.round(node.bytesWritten / segments) : null,
      index_share_of_written: round(node.bytesWritten / cb.w.bytesWritten, 4),
      ffmpeg_write_ratio: round(ffmpeg.bytesWritten / base.bytesWritten, 4),
      ffmpeg_cpu_ratio: round(ffmpeg.cpuPct / base.cpuPct, 3),
    },
    index_latency_p50_ms: round(percentile(cb.report.index_latencies_ms, 50)),
    index_latency_p99_ms: round(percentile(cb.report.index_latencies_ms, 99)),
    segments_indexed: segments,
    event_loop_p99_ms: round(cb.report.event_loop_p99_ms),
    event_loop_max_ms: round(cb.report.event_loop_max_ms),
    cameras_recording_at_end: cb.report.states.filter((s) => s === 'recording').length,
  };
}

const work = mkdtempSync(join(tmpdir(), 'cunbox-bench-'));
log(`starting simulator with ${N} cameras (work dir ${work})`);
const sim = await startCamsim({ cameras: N });
try {
  const perRun: Array<ReturnType<typeof summarise>> = [];
  let before = await baseline(sim, join(work, 'baseline-0'));
  for (let r = 1; r <= RUNS; r++) {
    log(`run ${r} of ${RUNS}`);
    const cb = await cunbox(sim, join(work, `cunbox-${r}`));
    const after = await baseline(sim, join(work, `baseline-${r}`));
    perRun.push(summarise(cb, before, after));
    before = after;
  }
  const median = (f: (x: (typeof perRun)[number]) => number) => percentile(perRun.map(f), 50);
  const spread = (f: (x: (typeof perRun)[number]) => number) => {
    const xs = perRun.map(f).sort((a, b) => a - b);
    return [xs[0]!, median(f), xs[xs.length - 1]!];
  };
  // Top level: the run whose cpu_ratio is the median (its keys belong together), ratios as medians.
  const mid = [...perRun].sort((a, b) => a.cpu_ratio - b.cpu_ratio)[Math.floor((perRun.length - 1) / 2)]!;
  const result = {
    cameras: N,
    seconds: T,
    segment_seconds: S,
    runs: RUNS,
    ...mid,
    cpu_ratio: median((x) => x.cpu_ratio),
    node_cpu_pct: median((x) => x.node_cpu_pct),
    write_ratio: median((x) => x.write_ratio),
    spread: {
      cpu_ratio: spread((x) => x.cpu_ratio),
      node_cpu_pct: spread((x) => x.node_cpu_pct),
      write_ratio: spread((x) => x.write_ratio),
      index_bytes_per_segment: spread((x) => x.breakdown.index_bytes_per_segment ?? NaN),
    },
    per_run: perRun,
    runner: values.runner,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, loadavg: (await import('node:os')).loadavg().map((x) => round(x, 1)) },
  };
  printAndSave(result, values.json);
} finally {
  await sim.stop();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}

function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}
