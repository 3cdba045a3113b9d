/**
 * The village's services in the phone app, end to end in Chromium with phone emulation against
 * a real cloud and a real edge syncing over a real broker (helpers/phone-web.ts): announcements
 * (and English), help requests asked for and handed to a grid worker, certificates asked for and
 * approved or rejected by the office (the approved one's PDF rendered by the edge and downloaded
 * on the phone), and party points, claims, check-in and leave. Reports and tickets:
 * web-phone.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFICATE_PDF_KIND, chinaDate, type AnnouncementState, type CertificateState, type HelpRequestState, type PartySessionState, type PointClaimState } from '@cunbox/shared';
import { waitFor } from '@cunbox/test-support/wait';
import { fastUploader } from '@cunbox/test-support/media-rig';
import { MediaQueue } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader } from '../../edge/src/sync/media-uploader.ts';
import { CertificatePdfs } from '../../edge/src/sync/certificate-pdfs.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { cameraPhoto, startPhoneWeb } from './helpers/phone-web.ts';

const { dir, rig, village, edge, base, errors, phone, check, openShot, service } = await startPhoneWeb(t);

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
