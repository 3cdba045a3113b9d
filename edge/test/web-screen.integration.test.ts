/**
 * The office screen's camera wall against a real edge recording 4 simulated
 * cameras: opened with a kiosk token, every tile shows a JPEG from the snapshot
 * route, a click plays that one tile live (MSE over live.mp4) while the others
 * stay stills; no console errors, screenshots in artifacts/web/. A short soak: the
 * page's heap after garbage collection does not grow with its refreshes (the
 * 10-minute, 64-camera run is scripts/bench/screen-soak.ts).
 */
import t from 'tap';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';
import { checkPage, newPage } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';
import { HeapSampler } from '../../scripts/bench/browser-heap.ts';

const PASSWORD = 'Screen-Wall-Password-1';
let sim: Camsim;
let edge: Edge;
let base: string;
let token: string;

t.before(async () => {
  const webRoot = cachedWebBuild();
  sim = await startCamsim({ cameras: 4 });
  const dir = tmpDir(t);
  const cams = sim.cameras.flatMap((c, i) => [`  - name: ${i + 1}号探头`, `    zone: 区${i + 1}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  const yaml = [`data_dir: ${dir}`, 'timezone: Asia/Shanghai', 'http:', '  host: 127.0.0.1', '  port: 0', 'recording:', '  segment_seconds: 4', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', ...cams, ''].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), webRoot });
  await edge.start();
  base = `http://127.0.0.1:${edge.http!.address.port}`;
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin1', password: PASSWORD, role: 'admin' });
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin1', password: PASSWORD }) });
  const admin = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const made = (await (await fetch(`${base}/api/kiosks`, { method: 'POST', headers: { cookie: admin, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'office-tv' }) })).json()) as { token: string };
  token = made.token;
  // Setup, not a latency goal: the summary calls a camera online once it records.
  await waitFor('all cameras recording', () => edge.cameraStatus().every((c) => c.state === 'recording') || undefined, 60_000);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

t.test('the wall: a JPEG per tile, a click plays that tile live, the others stay stills', async (t) => {
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const { page } = await newPage(browser, 'screen', errors);
  // Every blob URL the page makes and has not revoked: a screen that runs for weeks must hold one per tile, no more.
  await page.addInitScript(`(() => {
    const live = (window.__blobUrls = new Set()); let made = 0;
    const create = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (o) => { const u = create(o); live.add(u); window.__blobsMade = ++made; return u; };
    URL.revokeObjectURL = (u) => { live.delete(u); revoke(u); };
  })()`);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${base}/screen#token=${token}`);
  await page.locator('[data-test=wall]').waitFor();
  t.equal(new URL(page.url()).hash, '', 'the token left the address');

  const loadedTiles = () =>
    page.evaluate<number>(`[...document.querySelectorAll('[data-test=tile-img]')].filter((i) => i.complete && i.naturalWidth > 0).length`);
  await t.resolves(waitFor('4 tiles with pictures', async () => ((await loadedTiles()) === 4 ? true : undefined), 60_000), 'every tile shows a JPEG');
  t.equal(await page.locator('[data-test=cameras-online]').textContent(), '4');
  const firstSrc = await page.locator('[data-test=tile-2] img').getAttribute('src');
  t.match(firstSrc, /^blob:/, 'tiles are blob URLs (revoked when replaced)');
  await t.resolves(
    waitFor('a refreshed tile', async () => ((await page.locator('[data-test=tile-2] img').getAttribute('src')) !== firstSrc ? true : undefined), 30_000),
    'tiles refresh by themselves',
  );

  await page.locator('[data-test=tile-1]').click();
  const playing = () => page.locator('[data-test=tile-video]').evaluate<boolean, { currentTime: number; readyState: number }>((v) => v.currentTime > 0.5 && v.readyState >= 2);
  await t.resolves(waitFor('the live tile to play', playing, 60_000), 'the clicked tile plays live through MSE');
  t.equal(await page.locator('[data-test=tile-video]').count(), 1, 'only that tile plays');
  t.equal(await page.locator('[data-test=tile-img]').count(), 3, 'the others stay stills');
  await checkPage(t, page, 'screen-wall');

  await page.locator('[data-test=tile-1]').click();
  await t.resolves(waitFor('the tile back to a still', async () => ((await loadedTiles()) === 4 ? true : undefined), 30_000), 'a second click goes back to the still');
  // Tiles refresh on their own clock: a quick run can get here before the ninth picture, so wait for it.
  await t.resolves(
    waitFor('pictures replaced', async () => ((await page.evaluate<number>('window.__blobsMade')) > 8 ? true : undefined), 30_000),
    'pictures were replaced many times',
  );
  t.equal(await page.evaluate<number>('window.__blobUrls.size'), 4, 'one blob URL per tile: replaced pictures and the live view\'s MediaSource are revoked');
  t.same(errors, [], 'no console errors');
});

t.test('a short soak: hundreds of tile refreshes leave the heap, the DOM and the listeners where they were', async (t) => {
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const { page } = await newPage(browser, 'screen-soak', errors);
  let answers = 0;
  page.on('response', (r) => void (r.url().endsWith('/snapshot.jpg') && answers++));
  await page.setViewportSize({ width: 1920, height: 1080 });
  // Refreshing every 0.5 s: the work of minutes at the TV's pace in well under one.
  await page.goto(`${base}/screen?tileMs=500#token=${token}`);
  await page.locator('[data-test=wall]').waitFor();
  // Counted in refreshes, not seconds: a loaded box takes longer, it does not do less.
  const after = (n: number) => waitFor(`${n} tile answers`, () => (answers >= n ? true : undefined), 300_000);
  await after(40); // the first pictures, the charts and the caches fill the heap once
  const heap = await HeapSampler.attach(page);
  const first = await heap.sample();
  const samples = [first];
  for (const n of [140, 240, 340]) {
    await after(n);
    samples.push(await heap.sample());
  }
  const last = samples.at(-1)!;
  const MiB = 2 ** 20;
  t.comment(`heap after GC: ${samples.map((s) => (s.usedBytes / MiB).toFixed(2)).join(' → ')} MiB over ${answers} tile answers; nodes ${first.nodes} → ${last.nodes}`);
  // Generous: the heap breathes by some hundred KB between collections; a tile that kept each
  // answer (a picture is ~20 KB, 300 answers) would be far above it.
  t.ok(last.usedBytes - first.usedBytes < 2 * MiB, `heap grew ${((last.usedBytes - first.usedBytes) / MiB).toFixed(2)} MiB (< 2)`);
  t.ok(last.nodes - first.nodes < 100, `DOM nodes ${first.nodes} → ${last.nodes}`);
  t.ok(last.listeners - first.listeners < 20, `listeners ${first.listeners} → ${last.listeners}`);
  // The probe sees what a page keeps: 8 MB held by the page shows up.
  await page.evaluate('window.__held = Array.from({ length: 200_000 }, (_, i) => ({ i, s: String(i) }))');
  const held = await heap.sample();
  t.ok(held.usedBytes - last.usedBytes > 4 * MiB, `the probe sees memory a page holds (+${((held.usedBytes - last.usedBytes) / MiB).toFixed(1)} MiB)`);
  await heap.detach();
  t.same(errors, [], 'no console errors');
});
