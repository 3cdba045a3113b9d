// Office big screen benchmark: what one screen costs the edge. N simulated
// cameras recorded by an edge in its own process (edge-runner.ts); the edge's
// CPU (node + every ffmpeg child: recorders and snapshot feeds) is measured
// without a screen, with a screen client, and without one again (the baseline
// is the mean of the two windows around the screen window, as in recording.ts).
// The screen client is what the wall does: every --refresh seconds (default 5, the
// front end's) it asks for every camera's tile with If-None-Match, and it holds the
// SSE stream open.
//
//   npx tsx scripts/bench/screen.ts --cameras 64 --seconds 60 --json bench-results/screen.json
//
// JSON keys:
//   cameras, seconds, refresh_s         what was measured
//   baseline_cpu_pct                    edge (node + ffmpeg) without a screen, % of one core (mean of the windows around)
//   screen_cpu_pct                      the same while the screen runs
//   edge_cpu_added_pct                  screen_cpu_pct − baseline_cpu_pct    (target ≤ 25)
//   added_breakdown                     node / recorder ffmpegs / snapshot ffmpegs (the added CPU's parts)
//   tile_age_p50_s, tile_age_p95_s      age of the picture each tile answer carried (x-snapshot-age-ms)
//   tile_shown_age_p95_s                the oldest a tile looks: its picture's age when fetched + the time until
//                                       that tile's next answer (what the wall shows just before it refreshes)  (target p95 ≤ 10)
//   tile_requests, tile_304_share       tile answers in the window and the share that were 304 (no body)
//   tile_bytes_per_refresh              JPEG bytes per refresh of the whole wall
//   tile_errors                         tile answers other than 200/304 (e.g. 503: no picture yet)
//   sse_events                          SSE events (summary/delta) the screen received in the window
//   summary_ms_p50                      GET /api/screen/summary latency (cached: ≤ 2 s old)
//   first_paint_ms, js_kb_gz            from Chromium opening /screen, when edge/dist/web exists (npm run build); else null;
//                                       js_kb_gz: gzip -9 of the JS files /screen loads
//   machine                             cpus, node, load average (a shared box: read the numbers with it)
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { childrenOf, percentile, total } from './proc-stats.ts';
import { printAndSave } from './report.ts';
import { startScreenEdge } from './screen-edge.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    refresh: { type: 'string', default: '5' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    runner: { type: 'string', default: 'bundle' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const N = Number(values.cameras);
const T = Number(values.seconds);
const W = Number(values.warmup);
const R = Number(values.refresh);
for (const [k, v] of Object.entries({ cameras: N, seconds: T, warmup: W, refresh: R })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
}
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

/** A snapshot feed's ffmpeg reads with `-skip_frame nokey` and writes image2pipe; a recorder's does not. */
function isSnapshotFfmpeg(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('image2pipe');
  } catch {
    return false;
  }
}

interface Cpu {
  node: number;
  recorders: number;
  snapshots: number;
  total: number;
}

/** CPU of the edge process and its children over `seconds`, % of one core, split by kind. */
async function measureCpu(edgePid: number, seconds: number): Promise<Cpu> {
  const kids0 = childrenOf(edgePid);
  const a = { node: total([edgePid]), rec: total(kids0.filter((p) => !isSnapshotFfmpeg(p))), snap: total(kids0.filter(isSnapshotFfmpeg)) };
  const t0 = performance.now();
  await sleep(seconds);
  const kids1 = [...new Set([...kids0, ...childrenOf(edgePid)])];
  const wall = (performance.now() - t0) / 1000;
  const b = { node: total([edgePid]), rec: total(kids1.filter((p) => !isSnapshotFfmpeg(p))), snap: total(kids1.filter(isSnapshotFfmpeg)) };
  const pct = (x: number, y: number) => ((y - x) / wall) * 100;
  const node = pct(a.node.cpuSeconds, b.node.cpuSeconds);
  const recorders = pct(a.rec.cpuSeconds, b.rec.cpuSeconds);
  const snapshots = pct(a.snap.cpuSeconds, b.snap.cpuSeconds);
  return { node, recorders, snapshots, total: node + recorders + snapshots };
}

/** The wall as the front end runs it: all tiles every refresh (If-None-Match), the SSE stream held open. */
function screenClient(base: string, cookie: string, cameraIds: number[]) {
  const etags = new Map<number, string>();
  const stats = { requests: 0, notModified: 0, errors: 0, bytes: 0, refreshes: 0, ages: [] as number[], shownAges: [] as number[], sseEvents: 0, summaryMs: [] as number[] };
  /** Per tile: when its last answer came and how old its picture was then (s). */
  const lastAnswer = new Map<number, { at: number; age: number }>();
  let running = true;
  const ac = new AbortController();
  const sse = (async () => {
    const r = await fetch(`${base}/api/screen/stream`, { headers: { cookie, accept: 'text/event-stream' }, signal: ac.signal });
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stats.sseEvents += (dec.decode(value).match(/^event: /gm) ?? []).length;
    }
  })().catch(() => {});
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await Promise.all(
        cameraIds.map(async (id) => {
          const prev = etags.get(id);
          try {
            const r = await fetch(`${base}/api/cameras/${id}/snapshot.jpg`, { headers: { cookie, ...(prev ? { 'if-none-match': prev } : {}) }, signal: ac.signal });
            const body = await r.arrayBuffer();
            stats.requests++;
            if (r.status === 304) stats.notModified++;
            else if (r.status === 200) stats.bytes += body.byteLength;
            else return void stats.errors++;
            const etag = r.headers.get('etag');
            if (etag) etags.set(id, etag);
            const age = Number(r.headers.get('x-snapshot-age-ms')) / 1000;
            stats.ages.push(age);
            // A 304 keeps the picture shown: it keeps ageing from when it was taken.
            const at = performance.now() / 1000;
            const last = lastAnswer.get(id);
            if (last) stats.shownAges.push(last.age + (at - last.at));
            lastAnswer.set(id, { at, age });
          } catch {
            if (running) stats.errors++;
          }
        }),
      );
      stats.refreshes++;
      const s0 = performance.now();
      await fetch(`${base}/api/screen/summary`, { headers: { cookie }, signal: ac.signal }).then((r) => r.arrayBuffer()).catch(() => {});
      stats.summaryMs.push(performance.now() - s0);
      const left = R * 1000 - (performance.now() - started);
      if (left > 0) await sleep(left / 1000);
    }
  })();
  return {
    stats,
    reset() {
      Object.assign(stats, { requests: 0, notModified: 0, errors: 0, bytes: 0, refreshes: 0, ages: [], shownAges: [], sseEvents: 0, summaryMs: [] });
    },
    async stop() {
      running = false;
      ac.abort();
      await Promise.allSettled([loop, sse]);
    },
  };
}

/**
 * first_paint_ms and js_kb_gz when the web build exists (edge/dist/web, `npm run build`) and
 * the edge serves /screen; nulls otherwise. js_kb_gz: gzip -9 of the JavaScript files the
 * /screen page actually loads (the app's first load plus the screen's chunks), not of every page.
 */
async function frontEnd(base: string, token: string, webRoot: string | null): Promise<{ first_paint_ms: number | null; js_kb_gz: number | null; note: string }> {
  if (!webRoot) return { first_paint_ms: null, js_kb_gz: null, note: 'no web build (edge/dist/web)' };
  if ((await fetch(`${base}/screen`)).status !== 200) return { first_paint_ms: null, js_kb_gz: null, note: 'the edge does not serve /screen' };
  if (!existsSync(values.chromium!)) return { first_paint_ms: null, js_kb_gz: null, note: `no Chromium at ${values.chromium}` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const scripts = new Set<string>();
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/assets/') && /\.m?js$/.test(path)) scripts.add(path);
    });
    await page.goto(`${base}/screen#token=${token}`, { waitUntil: 'load' });
    await page.locator('[data-test=households]').waitFor({ timeout: 30_000 });
    const fcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const seen = performance.getEntriesByName('first-contentful-paint')[0];
          if (seen) return resolve(seen.startTime);
          new PerformanceObserver((l) => resolve(l.getEntries()[0]!.startTime)).observe({ type: 'paint' as never, buffered: true });
          setTimeout(() => resolve(NaN), 10_000);
        }),
    );
    const jsKbGz = [...scripts].reduce((sum, p) => sum + gzipSync(readFileSync(join(webRoot, p)), { level: 9 }).length, 0) / 1024;
    return { first_paint_ms: round(fcp), js_kb_gz: round(jsKbGz), note: `Chromium, 1920×1080, first-contentful-paint; ${scripts.size} JS files loaded by /screen` };
  } finally {
    await browser.close();
  }
}

const setup = await startScreenEdge({ cameras: N, runner: values.runner === 'tsx' ? 'tsx' : 'bundle', keep: values.keep!, log });
try {
  const { base, cookie, edge, webRoot, token } = setup;
  const ids = setup.cameraIds;
  const next = setup.nextLine;

  log(`warm-up ${W} s, then baseline ${T} s without a screen`);
  await sleep(W);
  const before = await measureCpu(edge.pid!, T);
  log(`screen: ${ids.length} tiles every ${R} s + SSE; warm-up ${W} s, then ${T} s`);
  const screen = screenClient(base, cookie, ids);
  await sleep(W);
  screen.reset();
  const during = await measureCpu(edge.pid!, T);
  const s = { ...screen.stats, ages: [...screen.stats.ages], shownAges: [...screen.stats.shownAges], summaryMs: [...screen.stats.summaryMs] };
  await screen.stop();
  log(`baseline again ${T} s (snapshot feeds stop ${60} s after the last tile request)`);
  await sleep(65);
  const after = await measureCpu(edge.pid!, T);
  const fe = await frontEnd(base, token, webRoot);

  const reportLine = next();
  edge.kill('SIGTERM');
  const report = JSON.parse(await reportLine) as { states: string[] };
  const baseCpu = (before.total + after.total) / 2;
  const mean = (k: keyof Cpu) => (before[k] + after[k]) / 2;
  const result = {
    cameras: N,
    seconds: T,
    refresh_s: R,
    baseline_cpu_pct: round(baseCpu),
    baseline_cpu_pct_around: [round(before.total), round(after.total)],
    screen_cpu_pct: round(during.total),
    edge_cpu_added_pct: round(during.total - baseCpu),
    added_breakdown: { node: round(during.node - mean('node')), recorder_ffmpegs: round(during.recorders - mean('recorders')), snapshot_ffmpegs: round(during.snapshots - mean('snapshots')) },
    tile_age_p50_s: round(percentile(s.ages, 50)),
    tile_age_p95_s: round(percentile(s.ages, 95)),
    tile_shown_age_p95_s: round(percentile(s.shownAges, 95)),
    tile_requests: s.requests,
    tile_304_share: round(s.notModified / Math.max(1, s.requests), 3),
    tile_bytes_per_refresh: Math.round(s.bytes / Math.max(1, s.refreshes)),
    tile_errors: s.errors,
    refreshes: s.refreshes,
    sse_events: s.sseEvents,
    summary_ms_p50: round(percentile(s.summaryMs, 50)),
    first_paint_ms: fe.first_paint_ms,
    js_kb_gz: fe.js_kb_gz,
    front_end: fe.note,
    cameras_recording_at_end: report.states.filter((x) => x === 'recording').length,
    runner: values.runner,
    machine: { cpus: cpus().length, node: process.version, loadavg: loadavg().map((x) => round(x, 1)) },
  };
  await new Promise((r) => edge.once('exit', r));
  printAndSave(result, values.json);
} finally {
  await setup.stop();
}
