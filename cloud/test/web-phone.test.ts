/**
 * The phone app (web/phone) served by the cloud at /m/, end to end in Chromium
 * with phone emulation (390×844, touch) against a real cloud and a real edge
 * syncing over a real broker: sign in with the edge account, 随手拍 with a
 * camera photo compressed on the phone, dispatch, start and resolve (with a
 * photo), confirm, notices, a report made offline that is sent once when the
 * link returns (also when its first answer was lost), certificates asked for
 * and approved or rejected (the approved one's PDF rendered by the edge and
 * downloaded on the phone), help requests assigned, and party points, claims,
 * check-in and leave. Camera events: web-phone-cameras.test.ts.
 */
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { CERTIFICATE_PDF_KIND, chinaDate, type AnnouncementState, type CertificateState, type HelpRequestState, type PartySessionState, type PointClaimState, type TicketState } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { launchChromium } from '@cunbox/test-support/chromium';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './helpers/phone.ts';
import { fastUploader } from '@cunbox/test-support/media-rig';
import { MediaQueue } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader } from '../../edge/src/sync/media-uploader.ts';
import { CertificatePdfs } from '../../edge/src/sync/certificate-pdfs.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const ARTIFACTS = join(import.meta.dirname, '../../artifacts/phone');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

const dir = tmpDir(t, 'cunbox-phone-web-');
let rig: BrokerRig;
let village: PairedVillage;
let edge: VillageEdge;
let browser: Browser;
let base: string;
const errors: string[] = [];

t.before(async () => {
  const app = cachedWebBuild('phone');
  rig = await aedesRig(dir, { phoneApp: app });
  village = await pairVillage(rig, '东村');
  edge = await startVillageEdge(t, dir, village, 'edge', [
    { username: 'wangfang', role: 'cadre' },
    { username: 'liwei', role: 'grid_worker' },
    { username: 'zhangsan', role: 'villager' },
    { username: 'admin', role: 'admin' },
    { username: 'secretary', role: 'party_secretary' },
    { username: 'zhaoliu', role: 'party_member' },
  ]);
  await waitFor('users at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(village.villageId))?.users === 6);
  base = `http://127.0.0.1:${rig.cloud.httpPort}`;
  browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
});
t.teardown(() => rig?.close());

/** A phone's browser, signed in through the app's form. */
/** `expected`: console errors the test causes on purpose (a connection it cuts), not counted. */
async function phone(username: string, expected?: RegExp): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.on('console', (m) => void (m.type() === 'error' && !expected?.test(`${m.text()} (${m.location().url})`) && errors.push(`${username}: ${m.text()} (${m.location().url})`)));
  page.on('pageerror', (e) => void errors.push(`${username}: ${e.message}`));
  await page.goto(`${base}/m/?v=${village.villageId}`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(passwordOf(username));
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=signed-in]').waitFor();
  return { context, page };
}

async function check(t: Test, page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}-390x844.png`) });
  const { scroll, inner } = await page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })');
  t.ok(scroll <= inner, `${name}: no sideways scrolling (${scroll} ≤ ${inner})`);
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.same(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${name}: no serious or critical accessibility violations`);
}

/**
 * A picture of a native select's options, as its list would show them: a headless browser draws
 * no native popup, so the select is shown as a list box (size) for the picture and put back.
 */
async function openShot(select: Locator, name: string): Promise<void> {
  await select.evaluate((e: { size: number; options: { length: number } }) => void (e.size = e.options.length));
  await select.scrollIntoViewIfNeeded();
  await select.page().screenshot({ path: join(ARTIFACTS, `${name}-390x844.png`) });
  await select.evaluate((e: { size: number }) => void (e.size = 0));
}

/** A camera-sized JPEG (4000×3000, noisy so it does not compress to nothing). */
async function cameraPhoto(): Promise<Buffer> {
  const w = 4000;
  const h = 3000;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

async function report(page: Page, what: { category: string; description: string; place: string; photo?: Buffer }): Promise<void> {
  await page.locator('[data-tab=report]').click();
  if (what.photo) await page.locator('[data-test=photo]').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: what.photo });
  if (what.photo) await page.locator('.preview').waitFor();
  await page.locator('[data-test=category]').selectOption(what.category);
  await page.locator('[data-test=description]').fill(what.description);
  await page.locator('[data-test=place]').fill(what.place);
  await page.locator('[data-test=submit-report]').click();
}

const ticketCard = (page: Page, description: string) => page.locator('article.ticket', { hasText: description });

/** A service behind the 服务 tab (help, certificates, party, cameras, announcements). */
async function service(page: Page, name: string): Promise<void> {
  await page.locator('[data-tab=more]').click();
  await page.locator(`[data-test=services] [data-tab=${name}]`).click();
}

t.test('the app is served at /m/: shell and service worker revalidated, hashed assets cached for good', async (t) => {
  const index = await fetch(`${base}/m/`);
  t.equal(index.status, 200);
  t.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();
  t.match(html, /lang="zh-CN"/);
  t.match(html, /rel="manifest" href="\/m\/manifest.webmanifest"/);
  const asset = html.match(/src="(\/m\/assets\/[^"]+\.js)"/)![1]!;
  t.match((await fetch(`${base}${asset}`)).headers.get('cache-control'), /immutable/);
  const sw = await fetch(`${base}/m/sw.js`);
  t.equal(sw.status, 200);
  t.equal(sw.headers.get('cache-control'), 'no-cache');
  const manifest = await fetch(`${base}/m/manifest.webmanifest`);
  t.match(manifest.headers.get('content-type'), /application\/manifest\+json/);
  t.match(await manifest.json(), { start_url: '/m/', scope: '/m/', display: 'standalone', lang: 'zh-CN' });
  t.equal((await fetch(`${base}/m`, { redirect: 'manual' })).headers.get('location'), '/m/');
  t.equal((await fetch(`${base}/m/nope.js`)).status, 404, 'a missing file is a 404, not the app');
});

t.test('随手拍 → dispatch → start → resolve → confirm, with notices, on phones', async (t) => {
  const villager = await phone('zhangsan');
  t.equal(await villager.page.locator('[data-tab=work]').count(), 0, 'a villager has no work tab (/me permissions)');
  await check(t, villager.page, 'report-form');

  const photo = await cameraPhoto();
  const upload = villager.page.waitForRequest((r) => r.url().endsWith('/media') && r.method() === 'POST');
  await report(villager.page, { category: 'garbage', description: '桥头有垃圾堆', place: '东村桥头', photo });
  const sentBytes = Number((await (await upload).allHeaders())['content-length'] ?? 0);
  t.ok(sentBytes > 0 && sentBytes < photo.length / 4, `the photo was compressed on the phone (${photo.length} → ${sentBytes} bytes)`);
  await villager.page.locator('[data-test=report-message]', { hasText: '已提交' }).waitFor();

  const token = await villager.page.evaluate<string>("JSON.parse(localStorage.getItem('cunbox.m.session')).token");
  const mine = await http(rig, 'GET', `/api/v1/villages/${village.villageId}/tickets?mine=true`, { token });
  const ticket = mine.json.tickets.find((x: TicketState) => x.description === '桥头有垃圾堆') as TicketState;
  t.match(ticket, { category: 'garbage', place: '东村桥头', status: 'submitted', reporter: 'zhangsan' });
  t.equal(ticket.photos.length, 1, 'the photo is on the ticket');
  const stored = await sharp(readFileSync((await rig.cloud.media.find(village.villageId, ticket.photos[0]!))!.path)).metadata();
  t.ok(Math.max(stored.width!, stored.height!) <= 1280, `stored at most 1280 px (${stored.width}×${stored.height})`);
  await waitFor('the report at the edge', () => edge.gov.store.get<TicketState>('ticket', ticket.id)?.reporter === 'zhangsan');

  await villager.page.locator('[data-tab=mine]').click();
  await ticketCard(villager.page, '桥头有垃圾堆').locator('[data-test=status]', { hasText: '已提交' }).waitFor();
  await check(t, villager.page, 'my-reports');

  const cadre = await phone('wangfang');
  await cadre.page.locator('[data-tab=work]').click();
  const toDispatch = ticketCard(cadre.page, '桥头有垃圾堆');
  // A picker of the accounts the cloud says may be assigned (enabled, of a role that works tickets), not a typed name.
  const picker = toDispatch.locator('[data-test=assignee]');
  await picker.locator('option[value=liwei]').waitFor({ state: 'attached' });
  t.same(await Promise.all((await picker.locator('option:not([disabled])').all()).map((o) => o.getAttribute('value'))), ['admin', 'liwei', 'wangfang'], 'the picker offers who may be assigned, nobody else');
  await check(t, cadre.page, 'dispatch');
  await openShot(picker, 'ticket-assignee-picker');
  await picker.selectOption('liwei');
  await toDispatch.locator('[data-test=assign]').click();
  await waitFor('assigned to the picked worker at the edge', () => {
    const e = edge.gov.store.get<TicketState>('ticket', ticket.id);
    return e?.status === 'assigned' && e.assignee === 'liwei';
  });

  const worker = await phone('liwei');
  await worker.page.locator('[data-tab=notices]').click();
  t.equal(await worker.page.locator('[data-test=badge]').count(), 0, 'first visit: what exists is not news');
  await worker.page.locator('[data-tab=work]').click();
  const job = ticketCard(worker.page, '桥头有垃圾堆');
  await job.locator('[data-test=start]').click();
  await job.locator('[data-test=status]', { hasText: '处理中' }).waitFor();
  await job.locator('[data-test=note]').fill('已清理干净');
  await check(t, worker.page, 'work');
  await job.locator('[data-test=resolve]').click();
  await waitFor('resolved at the edge', () => edge.gov.store.get<TicketState>('ticket', ticket.id)?.status === 'resolved');

  // The villager's next refresh: a notice with a badge, then confirm. (The 30 s poll may have seen
  // "assigned" or "in progress" already, so the count is not asserted, only the resolved notice.)
  await villager.page.locator('[data-tab=report]').click();
  await villager.page.locator('[data-test=badge]').waitFor();
  await villager.page.locator('[data-tab=notices]').click();
  await villager.page.locator('[data-test=notices]', { hasText: '已办结' }).waitFor();
  t.equal(await villager.page.locator('[data-test=badge]').count(), 0, 'read: the badge goes');
  await check(t, villager.page, 'notices');
  await villager.page.locator('[data-tab=mine]').click();
  await ticketCard(villager.page, '桥头有垃圾堆').locator('[data-test=confirm]').click();
  await ticketCard(villager.page, '桥头有垃圾堆').locator('[data-test=status]', { hasText: '已关闭' }).waitFor();
  await waitFor('closed at the edge', () => edge.gov.store.get<TicketState>('ticket', ticket.id)?.status === 'closed');
  for (const c of [villager, cadre, worker]) await c.context.close();
});

t.test('a report made without signal is kept and sent once when the link returns', async (t) => {
  const { context, page } = await phone('zhangsan');
  const token = await page.evaluate<string>("JSON.parse(localStorage.getItem('cunbox.m.session')).token");
  const count = async () => ((await http(rig, 'GET', `/api/v1/villages/${village.villageId}/tickets?mine=true`, { token })).json.tickets as TicketState[]).filter((x) => x.description === '村口路灯不亮').length;

  // The app shell is cached by the service worker before the signal goes.
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  await context.setOffline(true);
  await report(page, { category: 'facility', description: '村口路灯不亮', place: '村口', photo: await cameraPhoto() });
  await page.locator('[data-test=report-message]', { hasText: '无信号' }).waitFor();
  await page.locator('[data-test=waiting]', { hasText: '1' }).waitFor();
  t.equal(await count(), 0, 'nothing reached the cloud while offline');
  // Reloading without signal: the shell comes from the service worker, the report is still there (IndexedDB).
  await page.reload();
  await page.locator('[data-test=waiting]', { hasText: '1' }).waitFor();
  t.equal(await count(), 0, 'still nothing at the cloud');
  await check(t, page, 'offline-queued');

  await context.setOffline(false);
  await page.locator('[data-test=banner]', { hasText: '离线上报已发送' }).waitFor();
  await waitFor('the queued report at the cloud', async () => (await count()) === 1);
  t.equal(await page.locator('[data-test=waiting]').count(), 0, 'the queue is empty');
  // Going offline and back again sends nothing more.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.locator('[data-tab=mine]').click();
  await ticketCard(page, '村口路灯不亮').waitFor();
  t.equal(await count(), 1, 'sent once');
  const [sent] = ((await http(rig, 'GET', `/api/v1/villages/${village.villageId}/tickets?mine=true`, { token })).json.tickets as TicketState[]).filter((x) => x.description === '村口路灯不亮');
  t.equal(sent!.photos.length, 1, 'with its photo');
  await context.close();
});

t.test('announcements: what the village published, on the phone', async (t) => {
  const cadre = { username: 'wangfang', role: 'cadre' } as const;
  const pub = edge.gov.announcements.create(cadre, { category: 'village', title: '修路通知', body: '下周一村东路面维修，请绕行。' });
  edge.gov.announcements.submit(cadre, pub.id);
  edge.gov.announcements.publish({ username: 'admin', role: 'admin' }, pub.id);
  const draft = edge.gov.announcements.create(cadre, { category: 'finance', title: '账目草稿', body: '草稿' });
  await waitFor('announcements at the cloud', async () => (await rig.cloud.data.entity(village.villageId, 'announcement', draft.id)) !== undefined && (await rig.cloud.data.entity<AnnouncementState>(village.villageId, 'announcement', pub.id))?.status === 'published');
  const { context, page } = await phone('zhangsan');
  await service(page, 'news');
  await page.locator(`[data-announcement="${pub.id}"]`, { hasText: '下周一村东路面维修' }).waitFor();
  t.equal(await page.locator(`[data-announcement="${draft.id}"]`).count(), 0, 'a villager does not see a draft');
  await check(t, page, 'announcements');
  // English on request, remembered on the phone.
  await page.locator('[data-test=lang]').click();
  await page.locator('[data-tab=more]', { hasText: 'Services' }).click();
  await page.locator('[data-tab=news]', { hasText: 'News' }).waitFor();
  t.equal(await page.evaluate<string>('document.documentElement.lang'), 'en');
  await page.reload();
  await page.locator('[data-tab=report]', { hasText: 'Report' }).waitFor();
  await page.locator('[data-test=lang]').click();
  await page.locator('[data-tab=report]', { hasText: '随手拍' }).waitFor();
  await context.close();
});

t.test('help requests: ask on the phone, the edge has it, the list shows it', async (t) => {
  const staff = { username: 'wangfang', role: 'cadre' } as const;
  const resident = edge.gov.help.createResident(staff, { name: '张三', idNumber: '110101199003071234', phone: '13812345678', gridWorker: 'liwei', username: 'zhangsan' });
  await waitFor('resident at the cloud', async () => (await rig.cloud.data.entity(village.villageId, 'resident', resident.id)) !== undefined);
  const { context, page } = await phone('zhangsan');
  await service(page, 'help');
  await page.locator('[data-test=help-type] option[value=medical]').waitFor({ state: 'attached' });
  await page.locator('[data-test=help-type]').selectOption('medical');
  await page.locator('[data-test=help-description]').fill('需要陪同去县医院');
  await page.locator('[data-test=help-urgent]').check();
  await page.locator('[data-test=help-submit]').click();
  const card = page.locator('[data-help]', { hasText: '需要陪同去县医院' });
  await card.locator('[data-test=status]', { hasText: '已提交' }).waitFor();
  const id = (await card.getAttribute('data-help'))!;
  await waitFor('help request at the edge', () => edge.gov.store.get<HelpRequestState>('help_request', id) !== undefined);
  t.match(edge.gov.store.get<HelpRequestState>('help_request', id), { urgent: true, residentId: resident.id, type: 'medical' });
  await check(t, page, 'help');
  await context.close();
});

t.test('a report whose answer was lost is sent again under its key: one ticket', async (t) => {
  const { context, page } = await phone('zhangsan', /ERR_CONNECTION_FAILED \(.*\/tickets\)$/);
  const token = await page.evaluate<string>("JSON.parse(localStorage.getItem('cunbox.m.session')).token");
  const count = async () => ((await http(rig, 'GET', `/api/v1/villages/${village.villageId}/tickets?mine=true`, { token })).json.tickets as TicketState[]).filter((x) => x.description === '井盖松动').length;
  // The cloud takes the report, then the link drops before the phone sees the answer.
  let lost = 0;
  await page.route('**/tickets', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    lost++;
    await route.abort('connectionfailed');
  });
  await report(page, { category: 'facility', description: '井盖松动', place: '小学门口', photo: await cameraPhoto() });
  await page.locator('[data-test=report-message]', { hasText: '无信号' }).waitFor();
  t.equal(lost, 1, 'one answer lost');
  t.equal(await count(), 1, 'the cloud has the ticket');
  await page.unroute('**/tickets');
  // The link returns: the queue sends the report again, under the same key.
  const resend = page.waitForResponse((r) => r.url().endsWith('/tickets') && r.request().method() === 'POST');
  await context.setOffline(true);
  await context.setOffline(false);
  const again = await resend;
  t.equal(again.headers()['idempotent-replayed'], 'true', 'the cloud answered the first result again');
  await page.locator('[data-test=banner]', { hasText: '离线上报已发送' }).waitFor();
  t.equal(await page.locator('[data-test=waiting]').count(), 0, 'the queue is empty');
  t.equal(await count(), 1, 'still one ticket');
  const [one] = ((await http(rig, 'GET', `/api/v1/villages/${village.villageId}/tickets?mine=true`, { token })).json.tickets as TicketState[]).filter((x) => x.description === '井盖松动');
  t.equal(one!.photos.length, 1, 'with one photo');
  await context.close();
});

t.test('a grid worker starts and resolves a ticket with photos from the phone camera', async (t) => {
  const ticket = edge.gov.tickets.create({ username: 'zhangsan', role: 'villager' }, { category: 'facility', description: '路面塌陷一处', place: '村西' });
  edge.gov.tickets.assign({ username: 'wangfang', role: 'cadre' }, ticket.id, 'liwei');
  await waitFor('assigned at the cloud', async () => (await rig.cloud.data.entity<TicketState>(village.villageId, 'ticket', ticket.id))?.assignee === 'liwei');
  const { context, page } = await phone('liwei');
  await page.locator('[data-tab=work]').click();
  const job = ticketCard(page, '路面塌陷一处');
  const uploads: number[] = [];
  page.on('request', (r) => void (r.url().endsWith('/media') && r.method() === 'POST' && r.allHeaders().then((h) => uploads.push(Number(h['content-length'] ?? 0)))));
  const photo = await cameraPhoto();
  await job.locator('[data-test=work-photo]').setInputFiles({ name: 'before.jpg', mimeType: 'image/jpeg', buffer: photo });
  await job.locator('[data-test=work-photo-preview]').waitFor();
  await job.locator('[data-test=start]').click();
  await job.locator('[data-test=status]', { hasText: '处理中' }).waitFor();
  await job.locator('[data-test=work-photo]').setInputFiles({ name: 'after.jpg', mimeType: 'image/jpeg', buffer: photo });
  await job.locator('[data-test=work-photo-preview]').waitFor();
  await job.locator('[data-test=note]').fill('已回填压实');
  await check(t, page, 'work-photo');
  await job.locator('[data-test=resolve]').click();
  await waitFor('resolved at the edge with both photos', () => {
    const e = edge.gov.store.get<TicketState>('ticket', ticket.id);
    return e?.status === 'resolved' && e.photos.length === 2;
  });
  t.equal(uploads.length, 2, 'two photos sent');
  t.ok(uploads.every((b) => b > 0 && b < photo.length / 4), `compressed on the phone (${photo.length} → ${uploads.join(', ')} bytes)`);
  await context.close();
});

t.test('certificates: asked for on the phone, approved or rejected by the office on the phone', async (t) => {
  const villager = await phone('zhangsan');
  await service(villager.page, 'certs');
  const ask = async (purpose: string) => {
    await villager.page.locator('[data-test=cert-type] option[value=residence]').waitFor({ state: 'attached' });
    await villager.page.locator('[data-test=cert-type]').selectOption('residence');
    await villager.page.locator('[data-test=cert-purpose]').fill(purpose);
    await villager.page.locator('[data-test=cert-submit]').click();
    await villager.page.locator('[data-cert]', { hasText: purpose }).locator('[data-test=status]', { hasText: '已申请' }).waitFor();
    return (await villager.page.locator('[data-cert]', { hasText: purpose }).getAttribute('data-cert'))!;
  };
  const good = await ask('办理社保');
  const bad = await ask('办理护照');
  await check(t, villager.page, 'certificates');

  const cadre = await phone('wangfang');
  await cadre.page.locator('[data-tab=work]').click();
  await cadre.page.locator(`[data-cert="${good}"]`).waitFor();
  await check(t, cadre.page, 'approvals');
  await cadre.page.locator(`[data-cert="${good}"] [data-test=cert-approve]`).click();
  await cadre.page.locator(`[data-cert="${bad}"] [data-test=cert-reason]`).fill('护照不在本村办理');
  await cadre.page.locator(`[data-cert="${bad}"] [data-test=cert-reject]`).click();
  await cadre.page.locator('[data-cert]').first().waitFor({ state: 'detached' });
  await waitFor('decided at the edge', () => edge.gov.store.get<CertificateState>('certificate', good)?.status === 'approved' && edge.gov.store.get<CertificateState>('certificate', bad)?.status === 'rejected');
  const code = edge.gov.store.get<CertificateState>('certificate', good)!.verificationCode!;
  t.match(code, /^[0-9A-Z]{12}$/);

  await villager.page.locator('[data-test=back]').click();
  await service(villager.page, 'certs');
  await villager.page.locator(`[data-cert="${good}"] [data-test=code]`, { hasText: code }).waitFor();
  await villager.page.locator(`[data-cert="${good}"] [data-test=collect]`, { hasText: '村委会' }).waitFor();
  await villager.page.locator(`[data-cert="${bad}"]`, { hasText: '护照不在本村办理' }).locator('[data-test=status]', { hasText: '已驳回' }).waitFor();
  // The edge has not sent the PDF yet (its uploader is not running): the phone says it is being made.
  await villager.page.locator(`[data-cert="${good}"] [data-test=cert-pdf-pending]`, { hasText: '正在生成' }).waitFor();
  t.equal(await villager.page.locator(`[data-cert="${bad}"] [data-test=cert-pdf-pending], [data-cert="${bad}"] [data-test=cert-pdf]`).count(), 0, 'a rejected request has no PDF');
  await check(t, villager.page, 'certificate-approved');

  // The edge as composed (edge.ts): its uploader renders approved certificates and sends them; the phone looks again by itself.
  const dataDir = join(dir, 'edge');
  const queue = new MediaQueue({ db: edge.db, clock: systemClock });
  const pdfs = new CertificatePdfs({ db: edge.db, queue, certificates: edge.gov.certificates, village: { name: '东村', issuer: '东村村民委员会', verifyBaseUrl: 'https://dongcun.example.cn', address: null, phone: null }, dataDir, clock: systemClock, log: silentLogger() });
  const uploader = new MediaUploader({ queue, clock: systemClock, log: silentLogger(), dataDir, cloudUrl: base, credentials: { edgeId: village.username, password: village.password }, collect: () => pdfs.collect(), options: fastUploader });
  uploader.start();
  t.teardown(() => uploader.stop());
  const button = villager.page.locator(`[data-cert="${good}"] [data-test=cert-pdf]`, { hasText: '下载 PDF' });
  await button.waitFor({ timeout: 60_000 });
  await check(t, villager.page, 'certificate-pdf');
  const downloading = villager.page.waitForEvent('download');
  await button.click();
  const saved = join(dir, 'downloaded.pdf');
  await (await downloading).saveAs(saved);
  const pdf = readFileSync(saved);
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'the requester downloads a PDF');
  const sent = edge.db.prepare('SELECT path FROM sync_media WHERE kind = ?').get(CERTIFICATE_PDF_KIND) as { path: string };
  t.ok(pdf.equals(readFileSync(join(dataDir, sent.path))), 'the one the edge rendered for this certificate');
  for (const c of [villager, cadre]) await c.context.close();
});

t.test('help: the office hands a new request to a grid worker from the phone', async (t) => {
  const h = edge.gov.store.list<HelpRequestState>('help_request').find((x) => x.description === '需要陪同去县医院')!;
  const { context, page } = await phone('wangfang', /status of 503 .*\/help-assignees\)$/);
  const picker = page.locator(`[data-help="${h.id}"] [data-test=help-assignee]`);
  // Without the list (the cloud answers 503 once), the name is typed.
  await page.route('**/help-assignees', (route) => route.fulfill({ status: 503, json: { error: { code: 'UNAVAILABLE', message: '暂时无法获取' } } }));
  await page.locator('[data-tab=work]').click();
  await page.locator(`[data-help="${h.id}"] [role=alert]`, { hasText: '暂时无法获取' }).waitFor();
  t.equal(await picker.evaluate((e: { tagName: string }) => e.tagName), 'INPUT', 'no list: a text field');
  await page.unroute('**/help-assignees');
  // With it, a picker of the accounts the cloud says may be handed help (enabled, of a role that handles help), not a typed name.
  await page.reload();
  await page.locator('[data-tab=work]').click();
  await picker.locator('option[value=liwei]').waitFor({ state: 'attached' });
  t.equal(await picker.evaluate((e: { tagName: string }) => e.tagName), 'SELECT');
  t.same(await Promise.all((await picker.locator('option:not([disabled])').all()).map((o) => o.getAttribute('value'))), ['admin', 'liwei', 'wangfang'], 'the picker offers who may be assigned, nobody else');
  await check(t, page, 'help-assign');
  await openShot(picker, 'help-assignee-picker');
  await picker.selectOption('liwei');
  await page.locator(`[data-help="${h.id}"] [data-test=help-assign]`).click();
  await page.locator(`[data-help="${h.id}"]`).waitFor({ state: 'detached' });
  await waitFor('assigned at the edge', () => edge.gov.store.get<HelpRequestState>('help_request', h.id)?.assignee === 'liwei');
  t.equal(edge.gov.store.get<HelpRequestState>('help_request', h.id)?.status, 'assigned');
  await context.close();
});

t.test('party: TOP10, my points, a claim with a photo, check-in and leave', async (t) => {
  const sec = { username: 'secretary', role: 'party_secretary' } as const;
  const me = edge.gov.party.createMember(sec, { name: '赵六', branch: '一支部', username: 'zhaoliu' });
  const other = edge.gov.party.createMember(sec, { name: '钱七', branch: '一支部' });
  edge.gov.party.addEntry(sec, { memberId: me.id, ruleCode: 'report_violation', date: chinaDate(Date.now()) });
  edge.gov.party.addEntry(sec, { memberId: other.id, ruleCode: 'blood_donation', date: chinaDate(Date.now()) });
  const now = Date.now();
  const meeting = edge.gov.party.createSession(sec, { sessionType: 'branch_assembly', title: '十二月支部党员大会', branch: '一支部', startAt: now, remoteAllowed: true, location: '村委会' });
  const lecture = edge.gov.party.createSession(sec, { sessionType: 'party_lecture', title: '十二月党课', branch: '一支部', startAt: now + 7 * 24 * 3600_000 });
  await waitFor('party records at the cloud', async () => (await rig.cloud.data.entity(village.villageId, 'party_session', lecture.id)) !== undefined && (await rig.cloud.data.entity(village.villageId, 'party_member', other.id)) !== undefined);

  const { context, page } = await phone('zhaoliu');
  await service(page, 'party');
  await page.locator('[data-test=my-points] [data-test=total]', { hasText: '10' }).waitFor();
  await page.locator('[data-test=ranking] li', { hasText: '钱七' }).waitFor();
  t.same((await page.locator('[data-test=ranking] li span').allTextContents()).sort(), ['1. 赵六', '1. 钱七'].sort(), 'TOP10, ties share a rank');

  await page.locator(`[data-session="${meeting.id}"] [data-test=check-in]`).click();
  await page.locator(`[data-session="${meeting.id}"] [data-test=signed-in-session]`).waitFor();
  await page.locator(`[data-session="${lecture.id}"] [data-test=leave-reason]`).fill('外出务工');
  await page.locator(`[data-session="${lecture.id}"] [data-test=leave]`).click();
  await page.locator(`[data-session="${lecture.id}"] [data-test=on-leave]`).waitFor();
  await waitFor('check-in and leave at the edge', () => edge.gov.store.get<PartySessionState>('party_session', meeting.id)?.attendance.some((a) => a.id === me.id) && edge.gov.store.get<PartySessionState>('party_session', lecture.id)?.leaves.some((l) => l.memberId === me.id && l.reason === '外出务工'));

  await page.locator('[data-test=claim-rule]').selectOption('volunteer');
  await page.locator('[data-test=claim-quantity]').fill('12');
  await page.locator('[data-test=claim-description]').fill('敬老院志愿服务');
  await page.locator('[data-test=claim-photo]').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: await cameraPhoto() });
  await page.locator('[data-test=claim-photo-preview]').waitFor();
  await page.locator('[data-test=claim-submit]').click();
  await page.locator('[data-test=claims] [data-test=status]', { hasText: '已提交' }).waitFor();
  await check(t, page, 'party');
  await waitFor('the claim at the edge', () => edge.gov.store.list<PointClaimState>('point_claim').some((c) => c.memberId === me.id));
  t.match(edge.gov.store.list<PointClaimState>('point_claim').find((c) => c.memberId === me.id), { ruleCode: 'volunteer', quantity: 12, description: '敬老院志愿服务', evidence: [/./], status: 'submitted' });
  await context.close();
});

t.test('no console errors in any of it', async (t) => {
  t.same(errors, []);
});
