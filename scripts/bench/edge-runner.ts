// Runs the edge in its own process for the recording benchmark, as `cunbox serve`
// would, and reports what only the process itself can see: index latency per
// segment, event-loop delay, its own CPU and RSS. Prints one JSON line on SIGTERM.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Edge } from '../../edge/src/edge.ts';
import { loadConfigFile } from '../../edge/src/config/load.ts';
import { createLogger } from '../../edge/src/log.ts';

const config = loadConfigFile(process.argv[2]!);
/** Optional: the browser app's build, for benches that open a page (the bundled runner cannot find it by itself). */
const webRoot = process.argv[3];
const latencies: number[] = [];
const edge = new Edge({
  config,
  log: createLogger({ level: 'warn', destination: process.stderr as never }),
  onSegmentIndexed: (_row, latencyMs) => latencies.push(latencyMs),
  ...(webRoot ? { webRoot } : {}),
});
const loop = monitorEventLoopDelay({ resolution: 10 });
await edge.start();
process.stdout.write(`${JSON.stringify({ started: true })}\n`);

let cpuAtMark = process.cpuUsage();
let markAt = performance.now();
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);

// With CUNBOX_BENCH_PROFILE=FILE, a V8 CPU profile of the measured window only (not start-up).
const profileFile = process.env.CUNBOX_BENCH_PROFILE;
const profiler = profileFile ? new Session() : undefined;

// "mark" on stdin starts the measured window (after warm-up).
process.stdin.on('data', (d) => {
  if (String(d).includes('mark')) {
    if (profiler) {
      profiler.connect();
      void profiler.post('Profiler.enable').then(() => profiler.post('Profiler.start'));
    }
    cpuAtMark = process.cpuUsage();
    markAt = performance.now();
    latencies.length = 0;
    loop.reset();
    loop.enable();
    peakRss = process.memoryUsage().rss;
  }
});

process.once('SIGTERM', async () => {
  const cpu = process.cpuUsage(cpuAtMark);
  if (profiler && profileFile) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
  }
  const wallS = (performance.now() - markAt) / 1000;
  loop.disable();
  clearInterval(rssTimer);
  const report = {
    node_cpu_pct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    node_rss_mb: peakRss / 1024 / 1024,
    event_loop_p99_ms: loop.percentile(99) / 1e6,
    event_loop_max_ms: loop.max / 1e6,
    index_latencies_ms: latencies,
    states: edge.cameraStatus().map((s) => s.state),
  };
  await edge.stop();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
});
