/**
 * The browser app (web/) as the edge serves it: static files and the SPA
 * fallback (inject), then the workbench in real Chromium against a real API
 * over a real SQLite file — sign in, a ticket filed → dispatched → started →
 * resolved → confirmed, a certificate approved and its PDF downloaded — with
 * no console errors, no horizontal overflow at 1920×1080 and 1366×768, and no
 * serious or critical axe violations on any page. Screenshots land in
 * artifacts/web/ (gitignored). The app is built once per source hash (.cache/).
 */
import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { apiHarness, password, upload } from './helpers/api.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { ARTIFACTS, checkPage as checkPageAt, newPage, signIn as signInAs } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';
import { cachedWebBuild, initialSize } from '../../scripts/build-web.ts';
import { findWebRoot, isServerPath } from '../src/api/web.ts';
import type { VillageIdentity } from '../src/governance/village.ts';

const KUANGCUN: VillageIdentity = { name: '匡村', issuer: '匡村村民委员会', verifyBaseUrl: 'http://127.0.0.1', address: null, phone: null };

const webRoot = cachedWebBuild();
const size = initialSize(webRoot);
console.log(`web first load: js_kb_gz=${size.jsKbGz} css_kb_gz=${size.cssKbGz}`);

t.test('server paths are never the app', async (t) => {
  for (const p of ['/api', '/api/tickets', '/docs', '/docs/static/index.html', '/metrics', '/healthz', '/open311/v2/requests.json']) t.ok(isServerPath(p), p);
  for (const p of ['/', '/tickets/abc', '/screen', '/apiary', '/documents']) t.notOk(isServerPath(p), p);
  // The bundled CLI runs from edge/dist or edge/dist/chunks; the sources from edge/src/api.
  const dir = tmpDir(t);
  mkdirSync(join(dir, 'edge/dist/web'), { recursive: true });
  writeFileSync(join(dir, 'edge/dist/web/index.html'), '<!doctype html>');
  for (const here of ['edge/dist', 'edge/dist/chunks', 'edge/src/api']) t.equal(findWebRoot(join(dir, here)), join(dir, 'edge/dist/web'), `found from ${here}`);
  t.equal(findWebRoot(join(dir, 'elsewhere/deeper/still')), null, 'no build: null');
});

t.test('the edge serves the app: cached assets, SPA fallback, API paths untouched', async (t) => {
  const h = await apiHarness(t, { options: { webRoot, village: KUANGCUN, timeZone: 'Asia/Shanghai' } });
  const get = (url: string) => h.anon.inject({ method: 'GET', url });
  for (const path of ['/', '/tickets', '/tickets/01ABC', '/screen', '/screen/wall']) {
    const r = await get(path);
    t.equal(r.status, 200, `${path} answers`);
    t.match(String(r.headers['content-type']), /^text\/html/, `${path} is the app`);
    t.equal(r.headers['cache-control'], 'no-cache', `${path}: index.html is revalidated`);
  }
  const asset = readdirSync(join(webRoot, 'assets')).find((f) => f.endsWith('.js'))!;
  const a = await get(`/assets/${asset}`);
  t.equal(a.status, 200);
  t.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable', 'hashed assets are cached for a year');
  t.match(String(a.headers['content-type']), /javascript/);

  const missing = await get('/assets/gone-1234.js');
  t.equal(missing.status, 404, 'a missing asset is a 404, never the HTML shell');
  t.equal(missing.body.error.code, 'NOT_FOUND');
  for (const path of ['/api/nope', '/metrics', '/healthz', '/open311/nope']) {
    const r = await get(path);
    t.equal(r.status, 404, `${path} keeps its JSON 404`);
    t.equal(r.body.error?.code, 'NOT_FOUND', path);
  }
  t.equal((await h.anon.inject({ method: 'POST', url: '/tickets' })).status, 404, 'only GET/HEAD fall back to the app');
  t.match((await get('/docs/json')).body, { openapi: /^3/ }, 'the OpenAPI document is not shadowed');
  t.same((await get('/api/web/settings')).body, { timeZone: 'Asia/Shanghai', village: '匡村' });
});

t.test('without a build the edge serves the API only', async (t) => {
  const h = await apiHarness(t);
  const r = await h.anon.inject({ method: 'GET', url: '/' });
  t.equal(r.status, 404);
  t.equal(r.body.error.code, 'NOT_FOUND');
});

t.test('the workbench in Chromium', async (t) => {
  const h = await apiHarness(t, { options: { webRoot, village: KUANGCUN, timeZone: 'Asia/Shanghai' } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium(t);
  const consoleErrors: string[] = [];
  const signIn = (username: string) => signInAs(browser, base, username, password(username), consoleErrors);
  const checkPage = (page: Page, name: string) => checkPageAt(t, page, name);

  // — the login page, before anyone signs in —
  {
    const { context, page } = await newPage(browser, 'anonymous', consoleErrors);
    await page.goto(`${base}/tickets`);
    await page.locator('#login-username').waitFor();
    t.match(page.url(), /\/login\?next=(%2F|\/)tickets$/, 'a page behind login sends to the login page');
    await checkPage(page, 'login');
    await page.goto(`${base}/verify`);
    await checkPage(page, 'verify');
    await context.close();
  }

  // — 随手拍: filed by a villager —
  const villager = await signIn('villager');
  t.same(await villager.page.locator('nav [data-test^=menu-]').allTextContents(), ['随手拍', '证明开具', '三务公开', '帮扶申请', 'API 令牌'], 'a villager sees no admin or video menu');
  await villager.page.locator('[data-test=new-ticket]').click();
  await villager.page.locator('#new-description').fill('村东路灯不亮了');
  await villager.page.locator('#new-place').fill('村东路口');
  await villager.page.locator('[data-test=new-submit]').click();
  await villager.page.locator('[data-test=tickets] .id-link').first().waitFor();
  const [filed] = (await h.as.villager.get('/api/tickets?mine=true')).body.tickets;
  t.equal(filed.description, '村东路灯不亮了', 'the ticket reached the edge');
  t.equal(filed.status, 'submitted');
  // The SLA countdown in Chinese units, not "h"/"min" in a Chinese page.
  t.match(await villager.page.locator('[data-test=tickets] [data-test=sla]').first().textContent(), /^(剩余|已超时) (\d+ 天 \d+ 小时|\d+ 小时 \d{2} 分|\d+ 分)$/);

  // A photo, as the phone app adds it (upload, then attach).
  const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
  const media = (await upload(h.as.villager, jpeg)).body.media.id as string;
  t.equal((await h.as.villager.post(`/api/tickets/${filed.id}/photos`, { photos: [media] })).status, 200);

  const openTicket = async (page: Page) => {
    await page.goto(`${base}/tickets/${filed.id}`);
    await page.locator('[data-test=detail-status]').waitFor();
  };
  const act = async (page: Page, action: string, fill: Record<string, string> = {}) => {
    await page.locator(`[data-test=action-${action}]`).click();
    for (const [sel, value] of Object.entries(fill)) await page.locator(sel).fill(value);
    await page.locator('[data-test=action-submit]').click();
  };
  const status = (page: Page) => page.locator('[data-test=detail-status]');

  // — dispatched by a cadre —
  const cadre = await signIn('cadre');
  t.same(await cadre.page.locator('nav [data-test^=menu-]').allTextContents(), ['随手拍', '证明开具', '三务公开', '视频监控', '帮扶申请', '特殊群体', '党建', '录像导出', 'API 令牌'], 'a cadre sees the video menu, not the admin one');
  await checkPage(cadre.page, 'tickets');
  await openTicket(cadre.page);
  // The assignee is picked from the accounts the edge says may work tickets, not typed.
  await cadre.page.locator('[data-test=action-assign]').click();
  await checkPage(cadre.page, 'ticket-assignee-dialog');
  await cadre.page.locator('[data-test=action-assignee]').click();
  const offered = cadre.page.locator('.el-select-dropdown__item:visible');
  await offered.filter({ hasText: 'grid_worker' }).waitFor();
  t.same(await offered.allTextContents(), ['admin (管理员)', 'cadre (村干部)', 'grid_worker (网格员)'], 'the ticket picker offers who works tickets, nobody else');
  // The open list is looked at, not axe-checked: Element Plus gives every select's dropdown role=tooltip and no name.
  await cadre.page.screenshot({ path: join(ARTIFACTS, 'ticket-assignee-picker.png'), animations: 'disabled' });
  await offered.filter({ hasText: 'grid_worker' }).click();
  await cadre.page.locator('#action-text').fill('请今天处理');
  await cadre.page.locator('[data-test=action-submit]').click();
  await t.resolves(status(cadre.page).filter({ hasText: '已派单' }).waitFor(), 'dispatched');
  const photo = cadre.page.locator('.photo img');
  await photo.waitFor();
  await cadre.page.waitForFunction((img) => (img as { complete: boolean; naturalWidth: number }).complete, await photo.elementHandle());
  t.equal(await photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), 320, 'the photo is shown');
  await checkPage(cadre.page, 'ticket-detail');

  // — started and resolved by the grid worker —
  const grid = await signIn('grid_worker');
  await openTicket(grid.page);
  t.equal(await grid.page.locator('[data-test=action-assign]').count(), 0, 'a grid worker cannot dispatch');
  await act(grid.page, 'start');
  await status(grid.page).filter({ hasText: '处理中' }).waitFor();
  await act(grid.page, 'resolve', { '#action-text': '已更换灯泡' });
  await t.resolves(status(grid.page).filter({ hasText: '已办结' }).waitFor(), 'resolved');

  // — confirmed by the reporter —
  await openTicket(villager.page);
  await act(villager.page, 'confirm');
  await t.resolves(status(villager.page).filter({ hasText: '已关闭' }).waitFor(), 'confirmed by the reporter');
  const done = (await h.as.cadre.get(`/api/tickets/${filed.id}`)).body.ticket;
  t.equal(done.status, 'closed');
  t.equal(done.assignee, 'grid_worker');
  const types = (await h.as.cadre.get(`/api/tickets/${filed.id}/history`)).body.history.map((x: { type: string }) => x.type);
  t.ok(types.length >= 5, `the history holds every step (${types.join(', ')})`);

  // — a certificate: asked for by the villager, approved by the cadre, PDF downloaded —
  await h.as.cadre.post('/api/residents', { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', username: 'villager' });
  const asked = await h.as.villager.post('/api/certificates', { type: 'residence', purpose: '子女入学' });
  t.equal(asked.status, 201);
  await cadre.page.locator('[data-test=menu-certificates]').click();
  await cadre.page.locator('[data-test=cert-approve]').first().click();
  await cadre.page.locator('[data-test=cert-status]').filter({ hasText: '已通过' }).first().waitFor();
  await checkPage(cadre.page, 'certificates');
  const [download] = await Promise.all([cadre.page.waitForEvent('download'), cadre.page.locator('[data-test=cert-pdf]').first().click()]);
  const pdf = readFileSync((await download.path())!);
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the certificate downloads as a PDF');
  const code = (await cadre.page.locator('[data-test=cert-code]').first().textContent())!.trim();
  // A second request, rejected with a reason typed in the dialog.
  const second = (await h.as.villager.post('/api/certificates', { type: 'residence', purpose: '办理社保' })).body.certificate;
  await cadre.page.locator('[data-test=menu-tickets]').click();
  await cadre.page.locator('[data-test=menu-certificates]').click();
  await cadre.page.locator('[data-test=cert-reject]').first().click();
  await cadre.page.locator('#reason-text').fill('缺少户口本复印件');
  await cadre.page.locator('[data-test=reason-submit]').click();
  await cadre.page.locator('[data-test=cert-status]').filter({ hasText: '已驳回' }).waitFor();
  t.match((await h.as.cadre.get(`/api/certificates/${second.id}`)).body.certificate, { status: 'rejected', statusNote: '缺少户口本复印件' }, 'rejected with the reason typed');
  await cadre.page.goto(`${base}/verify/${code}`);
  await t.resolves(cadre.page.locator('[data-test=verify-result]').filter({ hasText: '证明有效' }).waitFor(), 'the code verifies');

  // — an announcement: drafted and sent for review by the cadre, published by the admin —
  await cadre.page.goto(`${base}/announcements`);
  await cadre.page.locator('[data-test=new-announcement]').click();
  await cadre.page.locator('#ann-title').fill('2026年5月村务公开');
  await cadre.page.locator('#ann-body').fill('村东路灯已全部更换。');
  await cadre.page.locator('[data-test=ann-save]').click();
  await cadre.page.locator('[data-test=ann-submit]').click();
  await cadre.page.locator('[data-test=announcement]').filter({ hasText: '待审核' }).waitFor();
  const admin = await signIn('admin');
  await admin.page.goto(`${base}/announcements`);
  await admin.page.locator('[data-test=ann-publish]').click();
  await t.resolves(admin.page.locator('[data-test=announcement]').filter({ hasText: '已发布' }).waitFor(), 'published by a reviewer who is not the author');
  t.equal((await h.as.villager.get('/api/announcements?category=village')).body.announcements[0]?.status, 'published');
  await checkPage(admin.page, 'announcements');

  // — the admin's menus, English —
  t.ok(await admin.page.locator('[data-test=menu-users]').isVisible(), 'an admin sees the accounts menu');
  await admin.page.locator('[data-test=menu-users]').click();
  await admin.page.locator('.el-table__row').first().waitFor();
  await checkPage(admin.page, 'users');
  await admin.page.locator('[data-test=lang]').click();
  await admin.page.reload();
  await t.resolves(admin.page.locator('[data-test=menu-tickets]').filter({ hasText: 'Reports' }).waitFor(), 'English is kept across a reload');
  await admin.page.locator('[data-test=menu-tickets]').click();
  await admin.page.locator('[data-test=tickets] .id-link').first().waitFor();
  t.match(await admin.page.locator('[data-test=tickets] [data-test=status]').first().textContent(), /Closed/, 'statuses in English');
  await checkPage(admin.page, 'tickets-en');
  await villager.page.goto(`${base}/users`);
  await villager.page.locator('[data-test=tickets]').waitFor();
  t.match(villager.page.url(), /\/tickets$/, 'a villager typing an admin address lands on their own page');

  t.same(consoleErrors, [], 'no console errors');
  for (const c of [villager, cadre, grid, admin]) await c.context.close();
});
