// Start-up benchmark: how long `cunbox` takes to answer `--help`, and how long
// `cunbox serve` takes from spawn to its first log line, to a camera recording,
// and to the first segment in the index, run from the built bundle and from
// the sources through tsx (what `cunbox` on PATH runs in each case).
//
//   npx tsx scripts/bench/startup.ts --runs 5 --json bench-results/startup.json
//
// JSON keys (medians over --runs, milliseconds of wall time; `cpu_ms` is user+system):
//   bare_node_ms                 `node -e 0`: what this machine's load costs any process
//   help.{bundle,sources}        `cunbox --help`: wall_ms, cpu_ms            (target < 500 for bundle)
//   serve.{bundle,sources}       spawn → first_log_ms, → recording_ms (ffmpeg has video),
//                                → first_segment_ms (first row in the index; segments of 2 s)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { startCamsim } from '../camsim/camsim.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { percentile } from './proc-stats.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' }, build: { type: 'boolean', default: true } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');
const root = join(import.meta.dirname, '../..');
const BIN = join(root, 'edge/bin/cunbox.js');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const median = (xs: number[]) => Math.round(percentile(xs, 50));

/** Runs node with `args` to its end: wall ms, and the child's CPU ms as /usr/bin/time reports it. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Through /usr/bin/time: Node reports no rusage for a child it spawned.
    const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      const m = /([\d.]+) ([\d.]+)\s*$/.exec(err.trim());
      if (code !== 0 || !m) return reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      resolve({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 });
    });
  });
}

async function help(runtime: 'bundle' | 'sources') {
  const env = { ...process.env, CUNBOX_RUN_SOURCES: runtime === 'sources' ? '1' : '' };
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timed([BIN, '--help'], env);
    wall.push(r.wallMs);
    cpu.push(r.cpuMs);
  }
  return { wall_ms: median(wall), cpu_ms: median(cpu), wall_ms_runs: wall.map(Math.round) };
}

async function serveOnce(runtime: 'bundle' | 'sources', camUrl: { main: string; user: string; password: string }, dir: string) {
  const data = join(dir, 'data');
  const cfg = join(dir, 'config.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(cfg, [`data_dir: ${data}`, 'log_level: info', 'recording:', '  segment_seconds: 2', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', '  - name: bench', `    main: ${camUrl.main}`, `    user: ${camUrl.user}`, `    password: ${camUrl.password}`, ''].join('\n'));
  const t0 = performance.now();
  const p = spawn(process.execPath, [BIN, 'serve', '--config', cfg], { env: { ...process.env, CUNBOX_RUN_SOURCES: runtime === 'sources' ? '1' : '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let firstLog = NaN;
  let recording = NaN;
  createInterface({ input: p.stdout }).on('line', (line) => {
    const at = performance.now() - t0;
    if (Number.isNaN(firstLog)) firstLog = at;
    if (Number.isNaN(recording) && line.includes('"camera state"') && line.includes('"to":"recording"')) recording = at;
  });
  const dbFile = join(data, 'cunbox.db');
  let firstSegment = NaN;
  const deadline = performance.now() + 60_000;
  while (Number.isNaN(firstSegment) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(dbFile)) continue;
    try {
      const db = openDatabase(dbFile, { readonly: true });
      const n = (db.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n;
      db.close();
      if (n > 0) firstSegment = performance.now() - t0;
    } catch {
      // the edge is still creating its schema
    }
  }
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
  return { firstLog, recording, firstSegment };
}

if (values.build) {
  log('building the bundle (npm run build)');
  await new Promise<void>((resolve, reject) => spawn('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' }).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`build exited ${c}`)))));
}
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) bare.push((await timed(['-e', '0'], process.env)).wallMs);
log('cunbox --help');
const helpResult = { bundle: await help('bundle'), sources: await help('sources') };
log('cunbox serve, 1 simulated camera');
const sim = await startCamsim({ cameras: 1 });
const work = mkdtempSync(join(tmpdir(), 'cunbox-startup-'));
const serve: Record<string, { first_log_ms: number; recording_ms: number; first_segment_ms: number }> = {};
try {
  const cam = sim.cameras[0]!;
  for (const runtime of ['bundle', 'sources'] as const) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await serveOnce(runtime, { main: cam.urls.main, user: cam.user, password: cam.password }, join(work, `${runtime}-${i}`)));
    serve[runtime] = {
      first_log_ms: median(runs.map((r) => r.firstLog)),
      recording_ms: median(runs.map((r) => r.recording)),
      first_segment_ms: median(runs.map((r) => r.firstSegment)),
    };
  }
} finally {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
}
const result = { runs: RUNS, bare_node_ms: median(bare), help: helpResult, serve, machine: { cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(1))), node: process.version } };
printAndSave(result, values.json);
