/**
 * The video export page against a real edge recording a simulated camera: the 7-day
 * timeline with the recording and an event marker, a drag on the timeline and a jump
 * to the event both play the recording (HLS), a recorded minute exported with progress,
 * its MP4 and manifest downloaded and checked against each other, and an evidence hold
 * added and released; no console errors, no overflow, axe clean.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';
import { checkPage, signIn } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';

const PASSWORD = 'Export-Page-Password-1';
let sim: Camsim;
let edge: Edge;
let base: string;

t.before(async () => {
  const webRoot = cachedWebBuild();
  sim = await startCamsim({ cameras: 1 });
  const dir = tmpDir(t);
  const c = sim.cameras[0]!;
  const yaml = [`data_dir: ${dir}`, 'timezone: Asia/Shanghai', 'http:', '  host: 127.0.0.1', '  port: 0', 'recording:', '  segment_seconds: 4', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', '  - name: 东口', '    zone: 东口', `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`, ''].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), webRoot });
  await edge.start();
  base = `http://127.0.0.1:${edge.http!.address.port}`;
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'tech', password: PASSWORD, role: 'technician' });
  // Setup, not a latency goal: a recorded minute to export.
  const recorded = () => {
    const segs = edge.parts.index.forCamera(1);
    return segs.length > 0 ? segs.at(-1)!.end_ms - segs[0]!.start_ms : 0;
  };
  await waitFor('a recorded minute', () => recorded() >= 64_000, 180_000);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

t.test('exports: 7-day timeline, scrub and jump, a minute exported and downloaded, a hold', async (t) => {
  const first = edge.parts.index.forCamera(1)[0]!.start_ms;
  edge.parts.events.record(1, 'motion', {}, first + 10_000);

  const browser = await launchChromium(t);
  const errors: string[] = [];
  const { page } = await signIn(browser, base, 'tech', PASSWORD, errors);
  await page.locator('[data-test=menu-exports]').click();
  const row = page.locator('[data-test=week-row-1]');
  await row.locator('[data-test=recorded]').first().waitFor({ state: 'attached' });
  t.ok((await row.locator('[data-test=gap]').count()) >= 1, 'the days before the recording are a gap');
  t.ok((await row.locator('[data-test=event]').count()) >= 1, 'events are marked (the motion, and the camera coming online)');

  const playing = () => page.locator('[data-test=export-video]').evaluate<boolean, { currentTime: number; readyState: number }>((v) => v.currentTime > 0.5 && v.readyState >= 2);

  // Drag along the row and let go just before the recording: playback runs from there.
  const min = Number(await row.getAttribute('aria-valuemin'));
  const max = Number(await row.getAttribute('aria-valuemax'));
  const box = (await row.boundingBox())!;
  const at = (ms: number) => box.x + ((ms - min) / (max - min)) * box.width;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  const mid = await page.locator('[data-test=cursor]').textContent();
  await page.mouse.move(Math.floor(at(first)) - 1, box.y + box.height / 2, { steps: 5 });
  t.not(await page.locator('[data-test=cursor]').textContent(), mid, 'the moment follows the drag');
  await page.mouse.up();
  await t.resolves(waitFor('playback after the drag', playing, 60_000), 'letting go plays from that moment');

  // Jump to the event: 10 s before it, which is the start of the recording.
  await page.locator('[data-test=events] li').filter({ hasText: 'motion' }).locator('[data-test=jump-event]').click();
  await t.resolves(waitFor('playback at the event', playing, 60_000), 'the jump plays');
  t.match(await page.locator('[data-test=cursor]').textContent(), new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format(first), 'the moment, in the box\'s zone');

  // Export the minute from there.
  await page.locator('#export-minutes').fill('1');
  await page.locator('#export-reason').fill('派出所调取：东口车辆刮擦');
  await page.locator('[data-test=export-submit]').click();
  await t.resolves(page.locator('[data-test=export-status]').filter({ hasText: '已完成' }).waitFor({ timeout: 180_000 }), 'the export finishes (the list polls while it runs)');
  const [job] = edge.parts.exports.list();
  t.match(job, { fromMs: first, toMs: first + 60_000, cameraIds: [1], reason: '派出所调取：东口车辆刮擦', createdBy: 'tech' }, 'the minute, as asked');

  const download = async (sel: string) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.locator(sel).first().click()]);
    return readFileSync((await d.path())!);
  };
  const mp4 = await download('[data-test=export-download]');
  const manifest = JSON.parse((await download('[data-test=export-manifest]')).toString()) as { export_id: number; reason: string; cameras: Array<{ camera_id: number; sha256: string; bytes: number; duration_s: number }> };
  t.equal(mp4.subarray(4, 8).toString(), 'ftyp', 'the download is an MP4');
  t.equal(manifest.export_id, job!.id);
  t.equal(manifest.reason, '派出所调取：东口车辆刮擦');
  t.equal(manifest.cameras[0]?.camera_id, 1);
  t.equal(manifest.cameras[0]?.bytes, mp4.length, 'the manifest names the file\'s size');
  t.equal(manifest.cameras[0]?.sha256, createHash('sha256').update(mp4).digest('hex'), 'and its SHA-256');
  t.ok(manifest.cameras[0]!.duration_s > 50 && manifest.cameras[0]!.duration_s <= 61, `about a minute (${manifest.cameras[0]!.duration_s} s)`);
  const zoomed = (await page.locator('[data-test=day-row-1] [data-test=recorded]').first().boundingBox())!;
  t.ok(zoomed.width >= 10, `the hour around the moment played shows the recorded minute wide (${Math.round(zoomed.width)} px)`);
  await checkPage(t, page, 'exports');

  // A hold on the same range, then released.
  const holdsBefore = edge.parts.holds.list().length;
  await page.locator('[data-test=hold-submit]').click();
  await page.locator('[data-test=holds] .el-table__row').filter({ hasText: '派出所调取' }).nth(holdsBefore).waitFor().catch(() => undefined);
  await t.resolves(waitFor('the hold', () => edge.parts.holds.list().length === holdsBefore + 1, 10_000), 'held');
  const released = edge.parts.holds.list().length;
  await page.locator('[data-test=hold-release]').last().click();
  await t.resolves(waitFor('the release', () => edge.parts.holds.list().length === released - 1, 10_000), 'released');
  await checkPage(t, page, 'exports-holds');
  t.same(errors, [], 'no console errors');
});
