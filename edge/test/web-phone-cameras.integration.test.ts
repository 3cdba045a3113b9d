// Camera events on the phone app, end to end: a real cloud serving the app at /m/, a paired
// edge recording two cameras (H.264 and H.265, as real cameras send them) and relaying to the
// cloud, Chromium with phone emulation. A grid worker sees the events, each with its own picture
// (uploaded by the edge as the event's thumbnail), opens one, sees that picture large without
// asking the camera for its current one, then the clip around it and, on request, the camera's
// current picture; an H.265 clip is said to be unplayable on this phone and the event's picture
// stays. A villager has no cameras.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { UserStore } from '../src/auth/users.ts';
import { EventStore } from '../src/events/event-store.ts';
import { MediaQueue } from '../src/sync/media-queue.ts';
import { EVENT_THUMBNAIL_KIND } from '@cunbox/shared';
import sharp from 'sharp';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud, type TestCloud } from '@cunbox/test-support/test-cloud';
import { launchChromium } from '@cunbox/test-support/chromium';
import { waitFor } from '@cunbox/test-support/wait';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { encodeForeignClip, startForeignServer, type ForeignServer } from './helpers/foreign-rtsp.ts';

const ARTIFACTS = join(import.meta.dirname, '../../artifacts/phone');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
const PASSWORD = 'Phone-Cameras-1';
/** The events' own pictures: a size no camera picture has, so the test can tell which one the phone shows. */
const EVENT_PICTURE = { width: 200, height: 120 };

let server: ForeignServer;
let edge: Edge;
let tc: TestCloud;
let browser: Browser;
let villageId: number;
const events: Record<'h264' | 'h265', number> = { h264: 0, h265: 0 };
const errors: string[] = [];

t.before(async () => {
  const dir = tmpDir(t, 'cunbox-phone-cameras-');
  const [h264, h265] = await Promise.all([encodeForeignClip(dir, 'h264', 45), encodeForeignClip(dir, 'h265', 45)]);
  server = await startForeignServer({ h264, h265 });
  tc = await startTestCloud(t, dir, {}, { phoneApp: cachedWebBuild('phone') });
  const paired = await tc.villageWithCode('北村');
  villageId = paired.villageId;
  const edgeDir = join(dir, 'edge');
  const pair = await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', tc.url, '--code', paired.code]);
  t.equal(pair.code, 0, pair.err);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const edgeId = (JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string }).edgeId;
  const yaml = [
    `data_dir: ${edgeDir}`, 'http:', '  host: 127.0.0.1', '  port: 0',
    'cloud:', `  url: ${tc.url}`, `  edge_id: ${JSON.stringify(edgeId)}`, `  credentials_file: ${credFile}`,
    'recording:', '  segment_seconds: 4', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0',
    'cameras:', '  - name: gate-h264', `    main: ${server.url('h264')}`, '  - name: bridge-h265', `    main: ${server.url('h265')}`, '',
  ].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  const users = new UserStore({ db: edge.db, clock: systemClock });
  await users.create({ username: 'liwei', password: PASSWORD, role: 'grid_worker' });
  await users.create({ username: 'zhangsan', password: PASSWORD, role: 'villager' });
  await waitFor('users at the cloud', () => tc.cloud.store.accounts.user(villageId, 'zhangsan') || undefined, 60_000, 100);
  await waitFor('both cameras recording', () => edge.cameraStatus().every((c) => c.state === 'recording') || undefined, 60_000, 200);
  // Events in the middle of what is recorded: 12 s recorded before, 8 s after.
  await new Promise((r) => setTimeout(r, 12_000));
  const store = new EventStore({ db: edge.db, clock: systemClock });
  // Each event names the JPEG of its peak and queues it, as the motion service does; the edge's own uploader sends it.
  const queue = new MediaQueue({ db: edge.db, clock: systemClock });
  for (const [name, cam, zone, r] of [['h264', 1, 'gate', 200], ['h265', 2, 'bridge', 20]] as const) {
    const jpeg = await sharp({ create: { ...EVENT_PICTURE, channels: 3, background: { r, g: 90, b: 160 } } }).jpeg().toBuffer();
    const file = join(dir, `event-${name}.jpg`);
    writeFileSync(file, jpeg);
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    const now = Date.now();
    events[name] = store.record(cam, 'motion', { v: 1, source: 'video', zone, endMs: now, peakAtMs: now, score: 0.4, labels: [], thumbnail: { sha256, bytes: jpeg.length } });
    queue.enqueue({ path: file, sha256, size: jpeg.length, kind: EVENT_THUMBNAIL_KIND, ref: `event-${events[name]}`, mime: 'image/jpeg' });
  }
  edge.mediaUploader?.kick();
  const recordedAt = Date.now();
  await waitFor('events at the cloud', () => tc.cloud.store.events(villageId, { limit: 10 }).length >= 2 || undefined, 30_000, 200);
  await waitFor('event pictures at the cloud', () => (['h264', 'h265'] as const).every((n) => tc.cloud.media.find(villageId, `event-${events[n]}`)) || undefined, 60_000, 200);
  // The edge opens a camera's picture feed on the first request and may time out on it (a busy
  // machine): warm both feeds, so what the phone shows does not depend on how fast this box is.
  const login = await fetch(`${tc.url}/api/v1/villages/${villageId}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'liwei', password: PASSWORD }) });
  const { token } = (await login.json()) as { token: string };
  for (const cam of [1, 2]) {
    await waitFor(`camera ${cam}'s picture`, async () => (await fetch(`${tc.url}/api/v1/villages/${villageId}/cameras/${cam}/snapshot`, { headers: { authorization: `Bearer ${token}` } })).status === 200 || undefined, 60_000, 1000);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, recordedAt + 8_000 - Date.now())));
  browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
});
t.teardown(async () => {
  await edge?.stop();
  await server?.stop();
});

async function phone(username: string): Promise<Page> {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`${username}: ${m.text()} (${m.location().url})`)));
  page.on('pageerror', (e) => void errors.push(`${username}: ${e.message}`));
  await page.goto(`${tc.url}/m/?v=${villageId}`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=signed-in]').waitFor();
  return page;
}

async function check(t: Test, page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}-390x844.png`) });
  const { scroll, inner } = await page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })');
  t.ok(scroll <= inner, `${name}: no sideways scrolling (${scroll} ≤ ${inner})`);
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.same(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${name}: no serious or critical accessibility violations`);
}

/** The picture an <img> shows has pixels (decoded, not a broken link). */
const decoded = (page: Page, selector: string) => page.locator(selector).first().evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0);
const naturalWidth = (page: Page, selector: string) => page.locator(selector).first().evaluate((img: { naturalWidth: number }) => img.naturalWidth);

t.test("a grid worker: events with their own pictures, the clip, the camera's current picture; H.265 is said to be unplayable here", async (t) => {
  const page = await phone('liwei');
  const snapshots: string[] = [];
  page.on('request', (r) => void (r.url().includes('/snapshot') && snapshots.push(r.url())));
  await page.locator('[data-tab=more]').click();
  await page.locator('[data-test=services] [data-tab=cameras]').click();
  await page.locator(`[data-event="${events.h264}"]`).waitFor();
  await page.locator(`[data-event="${events.h264}"] [data-test=thumb]`).waitFor({ timeout: 60_000 });
  await page.locator(`[data-event="${events.h265}"] [data-test=thumb]`).waitFor({ timeout: 60_000 });
  t.ok(await decoded(page, `[data-event="${events.h264}"] [data-test=thumb]`), 'the H.264 camera\'s event has its picture');
  t.ok(await decoded(page, `[data-event="${events.h265}"] [data-test=thumb]`), 'the H.265 camera\'s event has its picture (a JPEG, whatever the camera encodes)');
  for (const name of ['h264', 'h265'] as const) t.equal(await naturalWidth(page, `[data-event="${events[name]}"] [data-test=thumb]`), EVENT_PICTURE.width, `the ${name} event shows its own picture, not the camera's`);
  t.same(snapshots, [], 'the list asks no camera for its current picture');
  await check(t, page, 'camera-events');

  const canH264 = await page.evaluate<string>(`document.createElement('video').canPlayType('video/mp4; codecs="avc1.640028"')`);
  const canH265 = await page.evaluate<string>(`document.createElement('video').canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"')`);
  t.comment(`this Chromium: H.264 "${canH264}", H.265 "${canH265}"`);

  await page.locator(`[data-event="${events.h264}"]`).click();
  t.ok(await decoded(page, '[data-test=event-picture]'), 'the picture, large');
  t.equal(await naturalWidth(page, '[data-test=event-picture]'), EVENT_PICTURE.width, "the opened event shows that event's picture");
  t.same(snapshots, [], 'opening an event asks no camera for its current picture');
  const now = page.waitForResponse((r) => r.url().includes('/cameras/1/snapshot'));
  await page.locator('[data-test=show-current]').click();
  t.equal((await now).status(), 200, "the camera's current picture, on request, through the relay");
  await page.locator('[data-test=snapshot]').waitFor();
  t.ok(await decoded(page, '[data-test=snapshot]'), "the camera's current picture, labelled apart");
  const clip = page.waitForResponse((r) => r.url().includes('/cameras/1/clip'));
  await page.locator('[data-test=clip]').click();
  t.equal((await clip).status(), 200, 'the clip came through the relay');
  if (canH264) {
    await page.locator('[data-test=clip-video]').waitFor();
    await waitFor('the clip plays', () => page.locator('[data-test=clip-video]').evaluate((v: { readyState: number; duration: number }) => v.readyState >= 1 && v.duration > 5 || undefined), 30_000, 200);
  } else {
    await page.locator('[data-test=clip-note]').waitFor();
  }
  await check(t, page, 'camera-event');

  await page.locator('[data-test=event-back]').click();
  await page.locator(`[data-event="${events.h265}"]`).click();
  const clip2 = page.waitForResponse((r) => r.url().includes('/cameras/2/clip'));
  await page.locator('[data-test=clip]').click();
  t.equal((await clip2).status(), 200);
  if (!canH265) {
    await page.locator('[data-test=clip-note]', { hasText: 'H.265' }).waitFor();
    t.equal(await page.locator('[data-test=clip-video]').count(), 0, 'no player for a clip this phone cannot play');
    t.ok(await decoded(page, '[data-test=event-picture]'), "the event's picture stays");
    await check(t, page, 'camera-event-h265');
  }
  await page.context().close();
});

t.test('a villager has no cameras', async (t) => {
  const page = await phone('zhangsan');
  await page.locator('[data-tab=more]').click();
  await page.locator('[data-test=services] [data-tab=help]').waitFor();
  t.equal(await page.locator('[data-test=services] [data-tab=cameras]').count(), 0);
  await page.context().close();
});

t.test('no console errors', async (t) => {
  t.same(errors, []);
});
