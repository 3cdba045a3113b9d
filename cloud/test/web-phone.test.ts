/**
 * The phone app (web/phone) served by the cloud at /m/, end to end in Chromium with phone
 * emulation against a real cloud and a real edge syncing over a real broker (helpers/phone-web.ts):
 * sign in with the edge account, 随手拍 with a camera photo compressed on the phone, dispatch,
 * start and resolve (with photos), confirm, notices, and a report made offline that is sent once
 * when the link returns (also when its first answer was lost). The village's services on the
 * phone (announcements, help, certificates, party): web-phone-services.test.ts; camera events:
 * web-phone-cameras.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { TicketState } from '@cunbox/shared';
import { waitFor } from '@cunbox/test-support/wait';
import { http } from './helpers/phone.ts';
import { cameraPhoto, startPhoneWeb, ticketCard } from './helpers/phone-web.ts';

const { rig, village, edge, base, errors, phone, check, openShot, report } = await startPhoneWeb(t);

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

t.test('no console errors in any of it', async (t) => {
  t.same(errors, []);
});
