// Recording benchmark: N simulated cameras recorded by cunbox and, in the same
// run and against the same simulator, by N bare `ffmpeg -c copy -f segment`
// processes (the baseline: what any NVR must at least spend).
//
//   npx tsx scripts/bench/recording.ts --cameras 64 --seconds 60 --json bench-results/recording.json
//
// JSON keys:
//   cameras, seconds            what was measured (after a warm-up)
//   baseline_cpu_pct            CPU of the N bare ffmpeg, % of one core (mean of a window
//                               before and one after cunbox's; both in baseline_cpu_pct_runs)
//   cunbox_cpu_pct              CPU of the edge process + its ffmpeg children, % of one core
//   cpu_ratio                   cunbox_cpu_pct / baseline_cpu_pct          (target ≤ 1.2)
//   node_cpu_pct                CPU of the edge's node process alone       (target < 3)
//   node_rss_mb                 peak RSS of the edge's node process        (target < 200)
//   bytes_sent                  TCP payload the simulator sent during the cunbox window
//   bytes_written               bytes the edge + its ffmpeg wrote to storage (/proc/*/io write_bytes)
//   baseline_bytes_written      the same for the baseline windows (mean)
//   write_ratio                 bytes_written / baseline_bytes_written     (target ≤ 1.01)
//   written_per_sent            bytes_written / bytes_sent (container framing: MPEG-TS vs RTP)
//   index_latency_p99_ms        segment closed by ffmpeg → row in the index (target < 2000)
//   event_loop_p99_ms           edge event-loop delay p99                   (target < 20)
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
  },
});
const N = Number(values.cameras);
const T = Number(values.seconds);
const S = Number(values['segment-seconds']);
const W = Number(values.warmup);
for (const [k, v] of Object.entries({ cameras: N, seconds: T, 'segment-seconds': S, warmup: W })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
}
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

interface Window {
  cpuPct: number;
  bytesWritten: number;
  bytesSent: number;
}

/** Measures a set of processes over T seconds after warm-up. */
async function measure(sim: Camsim, pids: () => number[], onMark?: () => void): Promise<Window> {
  const ports = sim.cameras.map((c) => c.rtspPort);
  const [lo, hi] = [Math.min(...ports), Math.max(...ports)];
  await sleep(W);
  onMark?.();
  const p0 = pids();
  const a = total(p0);
  const sent0 = tcpBytesSent(lo, hi);
  const t0 = performance.now();
  await sleep(T);
  const p1 = [...new Set([...p0, ...pids()])];
  const b = total(p1);
  const sent1 = tcpBytesSent(lo, hi);
  const wall = (performance.now() - t0) / 1000;
  return { cpuPct: ((b.cpuSeconds - a.cpuSeconds) / wall) * 100, bytesWritten: b.writeBytes - a.writeBytes, bytesSent: sent1 - sent0 };
}

async function baseline(sim: Camsim, dir: string): Promise<Window> {
  log(`baseline: ${N} bare ffmpeg -c copy -f segment`);
  const procs: ChildProcess[] = sim.cameras.map((c, i) => {
    const out = join(dir, String(i));
    mkdirSync(out, { recursive: true });
    return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', c.authUrl('main'), '-map', '0:v:0', '-c', 'copy',
      '-f', 'segment', '-segment_time', String(S), '-segment_format', 'mpegts', join(out, '%06d.ts')], { stdio: ['pipe', 'ignore', 'ignore'] });
  });
  const w = await measure(sim, () => procs.map((p) => p.pid!).filter(Boolean));
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
  const edge = spawn(process.execPath, [...runnerArgs, cfg], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: edge.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const started = await next();
  if (!started.includes('started')) throw new Error(`edge runner: ${started}`);
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(edge.pid!))), 1000);
  const w = await measure(sim, () => [edge.pid!, ...childrenOf(edge.pid!)], () => edge.stdin!.write('mark\n'));
  clearInterval(rssTimer);
  const reportLine = next();
  edge.kill('SIGTERM');
  const report = JSON.parse(await reportLine) as { node_cpu_pct: number; node_rss_mb: number; event_loop_p99_ms: number; event_loop_max_ms: number; index_latencies_ms: number[]; states: string[] };
  await new Promise((r) => edge.once('exit', r));
  return { w, report, rssPeak };
}

const work = mkdtempSync(join(tmpdir(), 'cunbox-bench-'));
log(`starting simulator with ${N} cameras (work dir ${work})`);
const sim = await startCamsim({ cameras: N });
try {
  // Baseline before and after cunbox: this VM's CPU readings drift by ~10 % over minutes,
  // so the ratio uses the mean of the two baseline windows around the measured one.
  const before = await baseline(sim, join(work, 'baseline-1'));
  const cb = await cunbox(sim, join(work, 'cunbox'));
  const after = await baseline(sim, join(work, 'baseline-2'));
  const base = { cpuPct: (before.cpuPct + after.cpuPct) / 2, bytesWritten: (before.bytesWritten + after.bytesWritten) / 2, bytesSent: (before.bytesSent + after.bytesSent) / 2 };
  const recording = cb.report.states.filter((s) => s === 'recording').length;
  const result = {
    cameras: N,
    seconds: T,
    segment_seconds: S,
    baseline_cpu_pct: round(base.cpuPct),
    baseline_cpu_pct_runs: [round(before.cpuPct), round(after.cpuPct)],
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
    index_latency_p50_ms: round(percentile(cb.report.index_latencies_ms, 50)),
    index_latency_p99_ms: round(percentile(cb.report.index_latencies_ms, 99)),
    segments_indexed: cb.report.index_latencies_ms.length,
    event_loop_p99_ms: round(cb.report.event_loop_p99_ms),
    event_loop_max_ms: round(cb.report.event_loop_max_ms),
    cameras_recording_at_end: recording,
    runner: values.runner,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  printAndSave(result, values.json);
} finally {
  await sim.stop();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}

function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}
