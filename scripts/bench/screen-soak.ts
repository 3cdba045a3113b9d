// Office big screen soak: does the page hold more memory the longer it runs? N simulated
// cameras recorded by an edge in its own process (screen-edge.ts); Chromium opens /screen
// with a kiosk token at 1920×1080, as the office TV does, and runs for --minutes. Every
// --sample-s seconds the page's heap is read through the DevTools protocol after a forced
// garbage collection (browser-heap.ts). The first --warmup-s are not counted: the first
// pictures, charts and caches fill the heap once.
//
//   npm run build && npx tsx scripts/bench/screen-soak.ts --cameras 64 --minutes 10 --json bench-results/screen-soak.json
//
// JSON keys:
//   cameras, minutes, per_page           what ran (per_page: the wall's page size; 16 turns pages every 20 s)
//   heap_used_mb_start, _end, _max      V8 heap in use after GC, first and last sample after warm-up, the most
//   heap_slope_kb_per_min               least-squares slope over the samples after warm-up (≈0: no growth)
//   nodes_start, nodes_end              DOM nodes alive at those samples; listeners_start/_end the same for listeners
//   blob_urls_live_end                  tile pictures (blob URLs) not revoked at the end: one per shown tile
//   tile_responses                      snapshot answers the page received (200 and 304)
//   page_errors                         console errors and page errors (should be 0)
//   samples                             [{ t_s, used_mb, nodes, listeners }]
//   heap_growth_by_kind                 the kinds of object that grew most from the first counted
//                                       sample to the last (heap snapshots: count and bytes)
//   heap_growth_page_kb_per_min         the same snapshots' net growth of the page's own objects (the
//                                       leak number), apart from what the watching DevTools keeps
//                                       (_devtools_: a record per response; absent on the office TV)
//                                       and compiled code (_code_: the JIT warming up)
//   machine                             cpus, node, load average
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { printAndSave } from './report.ts';
import { startScreenEdge } from './screen-edge.ts';
import { censusGrowth, censusSplit, HeapSampler, heapSlopePerMinute, type HeapCensus, type HeapSample } from './browser-heap.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '64' },
    minutes: { type: 'string', default: '10' },
    'sample-s': { type: 'string', default: '30' },
    'warmup-s': { type: 'string', default: '60' },
    'per-page': { type: 'string', default: '16' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    runner: { type: 'string', default: 'bundle' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const N = Number(values.cameras);
const minutes = Number(values.minutes);
const every = Number(values['sample-s']);
const warmup = Number(values['warmup-s']);
const perPage = Number(values['per-page']);
for (const [k, v] of Object.entries({ cameras: N, minutes, 'sample-s': every, 'warmup-s': warmup })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
}
if (![16, 36, 64].includes(perPage)) throw new Error('--per-page must be 16, 36 or 64 (the wall\'s page sizes)');
if (!existsSync(values.chromium!)) throw new Error(`no Chromium at ${values.chromium}`);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);
const mb = (b: number) => Number((b / 2 ** 20).toFixed(2));

const setup = await startScreenEdge({ cameras: N, runner: values.runner === 'tsx' ? 'tsx' : 'bundle', keep: values.keep!, log });
try {
  if (!setup.webRoot) throw new Error('no web build (edge/dist/web): run `npm run build` first');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    let tileResponses = 0;
    page.on('response', (r) => void (/\/snapshot\.jpg$/.test(new URL(r.url()).pathname) && tileResponses++));
    // Blob URLs made and not revoked: a tile must hold one picture, not every picture it showed.
    await page.addInitScript(`(() => {
      const live = (window.__blobUrls = new Set());
      const create = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);
      URL.createObjectURL = (o) => { const u = create(o); live.add(u); return u; };
      URL.revokeObjectURL = (u) => { live.delete(u); revoke(u); };
    })()`);
    await page.goto(`${setup.base}/screen#token=${setup.token}`);
    await page.locator('[data-test=wall]').waitFor({ timeout: 60_000 });
    if (perPage !== 16) await page.locator(`[data-test=wall-size-${perPage}]`).click();
    const heap = await HeapSampler.attach(page);
    const samples: HeapSample[] = [];
    let censusAtWarmup: HeapCensus | undefined;
    const total = minutes * 60;
    log(`${N} cameras, ${perPage} tiles a page, ${minutes} min; heap after GC every ${every} s (the first ${warmup} s not counted)`);
    for (let t = 0; t <= total; t += every) {
      const s = await heap.sample();
      samples.push(s);
      if (!censusAtWarmup && s.atMs >= warmup * 1000) censusAtWarmup = await heap.census();
      log(`t=${Math.round(s.atMs / 1000)} s heap ${mb(s.usedBytes)} MB, ${s.nodes} nodes, ${s.listeners} listeners, ${tileResponses} tile answers`);
      if (t + every <= total) await sleep(every - Math.min(every, 1));
    }
    const counted = samples.filter((s) => s.atMs >= warmup * 1000);
    const first = counted[0] ?? samples[0]!;
    const last = counted.at(-1) ?? samples.at(-1)!;
    const blobs = await page.evaluate<number>('window.__blobUrls.size');
    const censusAtEnd = censusAtWarmup && (await heap.census());
    const growth = censusAtWarmup && censusAtEnd ? censusGrowth(censusAtWarmup, censusAtEnd) : [];
    const split = censusAtWarmup && censusAtEnd ? censusSplit(censusAtWarmup, censusAtEnd) : null;
    const perMin = (bytes: number) => Number((bytes / 1024 / ((last.atMs - first.atMs) / 60_000 || 1)).toFixed(1));
    await heap.detach();
    printAndSave(
      {
        cameras: N,
        minutes,
        per_page: perPage,
        heap_used_mb_start: mb(first.usedBytes),
        heap_used_mb_end: mb(last.usedBytes),
        heap_used_mb_max: mb(Math.max(...counted.map((s) => s.usedBytes))),
        heap_slope_kb_per_min: Number((heapSlopePerMinute(counted) / 1024).toFixed(1)),
        nodes_start: first.nodes,
        nodes_end: last.nodes,
        listeners_start: first.listeners,
        listeners_end: last.listeners,
        blob_urls_live_end: blobs,
        tile_responses: tileResponses,
        page_errors: errors.length,
        page_error_first: errors[0] ?? null,
        heap_growth_page_kb_per_min: split && perMin(split.page),
        heap_growth_devtools_kb_per_min: split && perMin(split.devtools),
        heap_growth_code_kb_per_min: split && perMin(split.code),
        heap_growth_by_kind: growth,
        samples: samples.map((s) => ({ t_s: Math.round(s.atMs / 1000), used_mb: mb(s.usedBytes), nodes: s.nodes, listeners: s.listeners })),
        machine: { cpus: cpus().length, node: process.version, loadavg: loadavg().map((x) => Number(x.toFixed(1))) },
      },
      values.json,
    );
  } finally {
    await browser.close();
  }
} finally {
  await setup.stop();
}
