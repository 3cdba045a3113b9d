/**
 * The office big screen (/screen) in real Chromium against the real API over a
 * real SQLite file: a kiosk token opens it and leaves the address, the summary
 * renders, a ticket filed through the API arrives over the SSE stream without a
 * reload, an overdue one is red and its countdown ticks, nothing personal reaches
 * the page, screenshots at 1920×1080 and 1366×768 (artifacts/web/), axe clean, no
 * console error; then a bounded soak with fast timings whose heap, after forced
 * GCs, does not keep growing. Cameras here are all offline (no recorder), so no
 * tile is asked for; the tiles and live view are web-screen.integration.test.ts.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { apiHarness } from './helpers/api.ts';
import { checkPage, newPage } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import type { CameraStatus } from '../src/recorder/types.ts';
import type { VillageIdentity } from '../src/governance/village.ts';

const KUANGCUN: VillageIdentity = { name: '匡村', issuer: '匡村村民委员会', verifyBaseUrl: 'http://127.0.0.1', address: null, phone: null };
const ZHANG = { name: '张三丰', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', username: 'villager', dibao: true, elderly: true, notes: '独居老人' };
const LI = { name: '李四', idNumber: '37020219800101567X', phone: '13987654321', address: '二组3号' };
/** Free text and people that must never reach a kiosk's page. */
const SECRETS = ['张三丰', '李四', ZHANG.idNumber, ZHANG.phone, LI.idNumber, LI.phone, '独居', '每周透析需要接送', '王五13912345678在桥下倒垃圾', '东头井盖丢了小心', '欧阳明月', 'villager', 'grid_worker'];

const webRoot = cachedWebBuild();

/** Text of the whole page, including attributes (aria-labels), to search for what must not be there. */
const pageHtml = (page: Page) => page.evaluate<string>('document.documentElement.outerHTML');

t.test('the office screen: kiosk token, live summary over SSE, no personal data, no leak', async (t) => {
  // Cameras: 20 of them, offline since 08:50 (the harness starts at 09:00 Beijing time), so the wall has two pages of 16.
  const offlineSince = Date.UTC(2026, 4, 11, 0, 50);
  const h = await apiHarness(t, {
    options: { webRoot, village: KUANGCUN, timeZone: 'Asia/Shanghai' },
    screen: { sources: { cameraStates: () => h.cameras.list().map((c): CameraStatus => ({ cameraId: c.id, name: c.name, state: 'stalled', since: offlineSince, lastError: null, lastSegmentAt: null, starts: 1, nextAttemptAt: null })) } },
  });
  for (let i = 1; i <= 20; i++) h.cameras.add({ name: `${i}号探头`, mainUrl: `rtsp://127.0.0.1:1/cam${i}`, zone: i <= 10 ? '东口' : '西口' });

  // The village as the office has it: residents, help requests, a party member's points, a published announcement.
  await h.as.cadre.post('/api/residents', ZHANG);
  await h.as.cadre.post('/api/residents', LI);
  t.equal((await h.as.villager.post('/api/help-requests', { type: 'medical', description: '每周透析需要接送', urgent: true })).status, 201);
  const sec = h.as.party_secretary;
  const member = (await sec.post('/api/party/members', { name: '欧阳明月', branch: '一支部' })).body.member;
  t.equal((await sec.post(`/api/party/members/${member.id}/points`, { ruleCode: 'blood_donation', date: '2026-05-10' })).status, 201);
  const draft = (await h.as.cadre.post('/api/announcements', { category: 'finance', title: '5月财务收支公开', body: '收入…' })).body.announcement;
  await h.as.cadre.post(`/api/announcements/${draft.id}/submit`);
  t.equal((await h.as.admin.post(`/api/announcements/${draft.id}/publish`)).status, 200);
  // A ticket past its 30-minute response SLA before the screen opens.
  t.equal((await h.as.villager.post('/api/tickets', { category: 'garbage', description: '王五13912345678在桥下倒垃圾', place: '村口桥' })).status, 201);
  await h.advance(31 * 60_000);

  const made = await h.as.admin.post('/api/kiosks', { username: 'office-tv' });
  const token = made.body.token as string;
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const { context, page } = await newPage(browser, 'screen', errors);
  await page.setViewportSize({ width: 1920, height: 1080 });

  await page.goto(`${base}/screen?rotateMs=1000#token=${token}`);
  await page.locator('[data-test=households]').waitFor();
  t.equal(new URL(page.url()).hash, '', 'the token left the address');
  t.notOk(page.url().includes(token), 'no token anywhere in the URL');
  t.equal(await page.locator('[data-test=households]').textContent(), '2');
  t.equal(await page.locator('[data-test=population]').textContent(), '2');
  t.equal(await page.locator('[data-test=cameras-offline]').textContent(), '20');
  t.equal(await page.locator('[data-test=cameras-online]').textContent(), '0');
  t.match(await page.locator('[data-test=help]').textContent(), /1/, 'help requests counted by type');
  t.match(await page.locator('[data-test=ticker]').textContent(), /5月财务收支公开/, 'the 三务公开 ticker');
  t.match(await page.locator('[data-test=party-chart]').getAttribute('aria-label'), /1\. 欧\*\*月 10/, 'party TOP10, masked');
  t.match(await page.locator('[data-test=clock]').textContent(), /09:3\d:\d\d.*2026年5月11日/, "the clock shows the box's time in its zone, not the browser's");
  t.equal(await page.locator('[data-test=tile-offline]').count(), 16, 'offline cameras are placeholders (a page of 16)');
  t.match(await page.locator('[data-test=tile-offline]').first().textContent(), /离线.*08:50 起/, 'with the time the camera went away');

  // The overdue ticket: red, and its countdown ticks here each second without a message from the edge.
  const overdue = page.locator('[data-test=due-ticket]').filter({ hasText: '村口桥' });
  t.match(await overdue.textContent(), /超时 \d+:\d\d/);
  t.equal(await overdue.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color), 'rgb(255, 138, 128)', 'an overdue ticket is red');
  const before = await overdue.locator('[data-test=countdown]').textContent();
  await page.waitForFunction(`document.querySelector('[data-test=due-ticket] [data-test=countdown]')?.textContent !== ${JSON.stringify(before)}`, undefined, { timeout: 5000 });
  t.pass('the countdown ticks client-side');

  // A ticket filed now reaches the open page over the stream: no reload.
  await page.evaluate('window.__sameDocument = true');
  const chartId = await page.locator('[data-test=activity-chart]').getAttribute('_echarts_instance_');
  t.equal((await h.as.villager.post('/api/tickets', { category: 'facility', description: '东头井盖丢了小心', place: '东头' })).status, 201);
  await h.advance(1100); // the feed's debounce, on the harness's fake clock
  const fresh = page.locator('[data-test=due-ticket]').filter({ hasText: '东头' });
  await t.resolves(fresh.waitFor({ timeout: 15_000 }), 'the new ticket appears with the SSE delta');
  t.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
  t.equal(await page.locator('[data-test=tickets-today]').textContent(), '2');
  t.match(await fresh.textContent(), /剩余 \d+:\d\d/, 'a fresh ticket counts down');
  t.notMatch(await fresh.getAttribute('class'), /overdue/, 'not red before its deadline');

  const html = await pageHtml(page);
  for (const secret of SECRETS) t.notOk(html.includes(secret), `no "${secret}" on the kiosk's page`);

  await page.setViewportSize({ width: 1920, height: 1080 });
  await checkPage(t, page, 'screen');
  for (const vp of [{ width: 1920, height: 1080 }, { width: 1366, height: 768 }]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(200);
    const { scrollH, innerH } = await page.evaluate<{ scrollH: number; innerH: number }>('({ scrollH: document.scrollingElement.scrollHeight, innerH: window.innerHeight })');
    t.ok(scrollH <= innerH, `${vp.width}×${vp.height}: nothing below the fold (${scrollH} ≤ ${innerH})`);
  }
  await page.setViewportSize({ width: 1920, height: 1080 });

  // Bigger pages: all 20 cameras on one page of 36, then back to pages of 16 for the soak.
  await page.locator('[data-test=wall-size-36]').click();
  await page.locator('[data-test=wall-page]').filter({ hasText: '第 1/1 页' }).waitFor();
  t.equal(await page.locator('[data-test=tile-offline]').count(), 20, 'a page of 36 holds all 20 cameras');
  await page.locator('[data-test=wall-size-16]').click();
  t.equal(await page.locator('[data-test=tile-offline]').count(), 16, 'back to pages of 16');

  // — soak: pages turn every second, a ticket every few seconds; the heap after GC must not keep growing —
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  const soakS = Number(process.env.SCREEN_SOAK_S ?? 60);
  const round = async (i: number) => {
    if (i % 3 === 0) await h.as.villager.post('/api/tickets', { category: 'other', description: `第${i}条`, place: `${i}组` });
    await h.advance(1100);
    await page.waitForTimeout(1000);
  };
  for (let i = 0; i < 10; i++) await round(i); // warm: every path has run once
  const start = await heap();
  for (let i = 10; i < 10 + soakS; i++) await round(i);
  const end = await heap();
  console.log(`screen heap after GC: start ${(start / 1e6).toFixed(2)} MB, end ${(end / 1e6).toFixed(2)} MB over ${soakS} s`);
  t.ok(end <= start * 1.25 + 2e6, `no sustained heap growth (${(start / 1e6).toFixed(2)} → ${(end / 1e6).toFixed(2)} MB)`);
  t.equal(await page.locator('canvas').count(), 2, 'two charts, never more canvases');
  t.equal(await page.locator('[data-test=activity-chart]').getAttribute('_echarts_instance_'), chartId, 'the chart instance is reused');
  t.ok((await page.locator('[data-test=due-ticket]').count()) <= 20, 'the due list stays bounded');
  t.equal(await page.evaluate('window.__sameDocument'), true, 'still the same page');

  t.same(errors, [], 'no console errors');
  await context.close();

  // A TV without a cookie, or with a wrong token: a message on the screen, no login page, the token still out of the address.
  const stranger = await newPage(browser, 'stranger', []);
  await stranger.page.goto(`${base}/screen`);
  await t.resolves(stranger.page.locator('[data-test=unauthorized]').filter({ hasText: 'cunbox kiosk create' }).waitFor(), 'no credential: says how to open the screen');
  t.match(stranger.page.url(), /\/screen$/, 'not sent to the login page');
  await stranger.page.goto(`${base}/screen#token=cbx_not-a-token`);
  await t.resolves(stranger.page.locator('[data-test=unauthorized]').filter({ hasText: '令牌无效' }).waitFor(), 'a wrong token is named as such');
  t.equal(new URL(stranger.page.url()).hash, '', 'a refused token leaves the address too');
  await stranger.context.close();

  // English, where the words are longer: still nothing overflows.
  const en = await newPage(browser, 'screen-en', errors);
  await en.page.addInitScript(`localStorage.setItem('cunbox.locale', 'en')`);
  await en.page.setViewportSize({ width: 1920, height: 1080 });
  await en.page.goto(`${base}/screen#token=${token}`);
  await en.page.locator('[data-test=due]').filter({ hasText: 'Overdue' }).waitFor();
  await checkPage(t, en.page, 'screen-en');
  t.same(errors, [], 'no console errors in English either');
  await en.context.close();
});
