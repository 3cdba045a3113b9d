/**
 * The phone API end to end (issue #5 item 3): a real cloud and real edges
 * syncing over a real broker. Accounts are made on the edge, reach the cloud
 * by users sync, and sign in on the cloud with the edge password; what a
 * phone does reaches the edge's state through sync, and back.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parsePeriod, type AnnouncementState, type HelpRequestState, type TicketState, type CertificateState } from '@cunbox/shared';
import { SERVICE_PASSWORD, aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { SERVICE_USER } from '../src/index.ts';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type Reply, type VillageEdge } from './helpers/phone.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import mqtt from 'mqtt';
import { topic } from '@cunbox/shared';
import { buildApp } from '../../edge/src/api/app.ts';
import { accessParts } from '@cunbox/test-support/edge-access';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const dir = tmpDir(t, 'cunbox-phone-api-');
const ACCOUNTS = [
  { username: 'admin', role: 'admin' },
  { username: 'wangfang', role: 'cadre' },
  { username: 'liwei', role: 'grid_worker' },
  { username: 'zhangsan', role: 'villager' },
  { username: 'lisi', role: 'villager' },
  { username: 'secretary', role: 'party_secretary' },
  { username: 'member1', role: 'party_member' },
  { username: 'member2', role: 'party_member' },
  { username: 'screen', role: 'viewer' },
] as const;

let rig: BrokerRig;
let a: PairedVillage;
let b: PairedVillage;
let edge: VillageEdge;
const tokens: Record<string, string> = {};
const base = (p: PairedVillage) => `/api/v1/villages/${p.villageId}`;
const noSecrets = (r: Reply) => !r.text.includes('scrypt$') && !r.text.toLowerCase().includes('passwordhash') && !r.text.includes('password_hash');
async function login(p: PairedVillage, username: string, password = passwordOf(username)): Promise<Reply> {
  return http(rig, 'POST', `${base(p)}/login`, { body: { username, password } });
}
const as = (username: string, method: string, path: string, body?: unknown) => http(rig, method, `${base(a)}${path}`, { token: tokens[username], body });

t.before(async () => {
  rig = await aedesRig(dir);
  a = await pairVillage(rig, '东村');
  b = await pairVillage(rig, '西村');
  edge = await startVillageEdge(t, dir, a, 'edge-a', [...ACCOUNTS]);
  // btv: an office screen (role kiosk) of village b, whose password the test knows. The edge
  // keeps screens off the users snapshot, so village b has one user at the cloud.
  await startVillageEdge(t, dir, b, 'edge-b', [{ username: 'bvillager', role: 'villager' }, { username: 'btv', role: 'kiosk' }]);
  await waitFor('users of both villages at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(a.villageId))?.users === ACCOUNTS.length && (await rig.cloud.data.accounts.usersVersion(b.villageId))?.users === 1);
});
t.teardown(() => rig?.close());

t.test('sign in with the edge password; the hash never leaves', async (t) => {
  for (const { username } of ACCOUNTS) {
    const r = await login(a, username);
    t.equal(r.status, 200, `${username} signs in`);
    t.ok(noSecrets(r), 'no password hash in the reply');
    tokens[username] = r.json.token;
  }
  const me = await as('wangfang', 'GET', '/me');
  t.equal(me.status, 200);
  t.match(me.json.user, { username: 'wangfang', role: 'cadre', villageId: a.villageId });
  t.ok(me.json.user.permissions.includes('tickets.dispatch'), 'the shared permission table decides what the phone shows');
  t.notOk(me.json.user.permissions.includes('party.manage'));
  t.ok(noSecrets(me));
  const bad = await login(a, 'wangfang', 'not the password');
  t.equal(bad.status, 401);
  t.equal(bad.json.error.code, 'UNAUTHENTICATED');
  t.equal((await login(a, 'nobody')).status, 401, 'unknown user: the same answer');
  t.equal((await http(rig, 'GET', `${base(a)}/me`)).status, 401, 'no token');
  t.equal((await http(rig, 'GET', `${base(a)}/me`, { token: 'cbp_made-up' })).status, 401, 'unknown token');
  t.equal((await login(a, 'bvillager')).status, 401, "another village's user cannot sign in here");
});

t.test("another village's token gets 404", async (t) => {
  t.equal((await login(b, 'btv')).status, 401, 'an office screen never signs in on a phone, even with its password');
  const r = await login(b, 'bvillager');
  t.equal(r.status, 200);
  const other = await http(rig, 'GET', `${base(a)}/tickets`, { token: r.json.token });
  t.equal(other.status, 404);
  t.equal(other.json.error.code, 'NOT_FOUND');
  t.equal((await http(rig, 'POST', `${base(a)}/tickets`, { token: r.json.token, body: { category: 'garbage', description: 'x', place: 'y' } })).status, 404);
  t.equal((await http(rig, 'GET', `${base(b)}/tickets`, { token: r.json.token })).status, 200, 'its own village works');
  t.equal((await http(rig, 'POST', '/api/v1/villages/999/login', { body: { username: 'x', password: 'y' } })).status, 404, 'no such village');
});

t.test('a ticket filed on the phone reaches the edge; status changes on the phone too', async (t) => {
  const filed = await as('zhangsan', 'POST', '/tickets', { category: 'garbage', description: '垃圾堆在桥头', place: '桥头' });
  t.equal(filed.status, 201);
  const id = filed.json.ticket.id as string;
  t.match(filed.json.ticket, { status: 'submitted', reporter: 'zhangsan', categoryName: '垃圾倾倒', slaMinutes: 30 });
  await waitFor('ticket at the edge', () => edge.gov.store.get<TicketState>('ticket', id)?.reporter === 'zhangsan');
  t.equal(edge.gov.tickets.get(id).description, '垃圾堆在桥头');

  const strict = await as('zhangsan', 'POST', '/tickets', { category: 'garbage', description: 'x', place: 'y', priority: 'high' });
  t.equal(strict.status, 400, 'closed schema: an unknown field is refused');
  t.equal(strict.json.error.code, 'INVALID_INPUT');

  const denied = await as('zhangsan', 'POST', `/tickets/${id}/assign`, { assignee: 'liwei' });
  t.equal(denied.status, 403, 'a villager may not dispatch');
  t.equal(denied.json.error.code, 'FORBIDDEN');
  t.equal((await as('screen', 'POST', '/tickets', { category: 'garbage', description: 'x', place: 'y' })).status, 403, 'a viewer may not file tickets');
  t.equal((await as('wangfang', 'POST', `/tickets/${id}/assign`, { assignee: 'zhangsan' })).status, 400, 'a villager cannot be dispatched to');

  const assigned = await as('wangfang', 'POST', `/tickets/${id}/assign`, { assignee: 'liwei', note: '请处理' });
  t.equal(assigned.status, 200);
  t.equal(assigned.json.ticket.status, 'assigned');
  await waitFor('assignment at the edge', () => edge.gov.store.get<TicketState>('ticket', id)?.status === 'assigned');
  t.equal(edge.gov.tickets.get(id).assignee, 'liwei');

  t.equal((await as('wangfang', 'POST', `/tickets/${id}/confirm`, {})).status, 409, 'assigned → closed is not a step the workflow allows');
  t.equal((await as('liwei', 'POST', `/tickets/${id}/start`, {})).json.ticket.status, 'in_progress', 'the assigned grid worker starts');
  t.equal((await as('liwei', 'POST', `/tickets/${id}/resolve`, { note: '已清理' })).json.ticket.status, 'resolved');
  t.equal((await as('lisi', 'POST', `/tickets/${id}/confirm`, {})).status, 403, 'only the reporter confirms');
  t.equal((await as('zhangsan', 'POST', `/tickets/${id}/confirm`, { note: '好' })).json.ticket.status, 'closed');
  await waitFor('closed at the edge', () => edge.gov.store.get<TicketState>('ticket', id)?.status === 'closed');

  // And the other way: a change on the edge shows on the phone.
  edge.gov.tickets.reopen({ username: 'wangfang', role: 'cadre' }, id, '又堆了');
  await waitFor('reopen at the cloud', async () => (await rig.cloud.data.entity<TicketState>(a.villageId, 'ticket', id))?.status === 'reopened');
  const seen = await as('lisi', 'GET', `/tickets/${id}`);
  t.equal(seen.json.ticket.status, 'reopened');
  t.equal(seen.json.ticket.reporter, null, 'another villager does not see who reported');
  const list = await as('zhangsan', 'GET', '/tickets?mine=true&status=reopened');
  t.same(list.json.tickets.map((x: TicketState) => x.id), [id]);
});

t.test("a category's extra questions are checked on the phone as on the edge, and the answers reach the edge", async (t) => {
  const bad = await as('zhangsan', 'POST', '/tickets', { category: 'facility', description: '井盖没了', place: '桥头', attributes: { facility_kind: 'volcano' } });
  t.match(bad, { status: 400, json: { error: { code: 'INVALID_INPUT', message: /attribute\[facility_kind\]: not among the choices/ } } });
  const filed = await as('zhangsan', 'POST', '/tickets', { category: 'facility', description: '井盖没了', place: '桥头', attributes: { facility_kind: 'manhole' } });
  t.equal(filed.status, 201);
  t.same(filed.json.ticket.attributes, { facility_kind: 'manhole' });
  const id = filed.json.ticket.id as string;
  await waitFor('answers at the edge', () => edge.gov.store.get<TicketState>('ticket', id)?.attributes.facility_kind === 'manhole');
});

t.test('help requests: masking as on the edge', async (t) => {
  const staff = { username: 'wangfang', role: 'cadre' } as const;
  const r = edge.gov.help.createResident(staff, { name: '张三', idNumber: '110101199003071234', phone: '13812345678', gridWorker: 'liwei', username: 'zhangsan', dibao: true });
  await waitFor('resident at the cloud', async () => (await rig.cloud.data.entity(a.villageId, 'resident', r.id)) !== undefined);
  // Minimum necessary: the cloud never holds the full ID number; what it holds of the rest is encrypted at rest.
  t.match((await rig.cloud.data.entity(a.villageId, 'resident', r.id)), { idNumber: '110101********1234', phone: '13812345678', dibao: true });
  const onDisk = ['cloud.db', 'cloud.db-wal'].map((f) => join(dir, 'cloud', f)).filter(existsSync).map((f) => readFileSync(f, 'latin1')).join('');
  t.notOk(onDisk.includes('110101199003071234'), 'no full ID number in the cloud database');
  t.notOk(onDisk.includes('13812345678'), 'no phone number in clear in the cloud database');

  const asked = await as('zhangsan', 'POST', '/help-requests', { type: 'medical', description: '去县医院', urgent: true });
  t.equal(asked.status, 201);
  const id = asked.json.request.id as string;
  t.match(asked.json.request.resident, { name: '张三', idNumber: '110101********1234', phone: '138****5678', dibao: null, sensitive: false }, 'the villager sees their own profile masked (as on the edge)');
  await waitFor('help request at the edge', () => edge.gov.store.get<HelpRequestState>('help_request', id) !== undefined);
  t.equal(edge.gov.help.get(staff, id).residentId, r.id);

  const worker = await as('liwei', 'GET', `/help-requests/${id}`);
  t.equal(worker.status, 200);
  t.match(worker.json.request.resident, { phone: '13812345678', dibao: true, sensitive: true, idNumber: '110101********1234' }, 'the grid worker sees the phone in full; the ID number stays masked on the phone');
  const cadre = await as('wangfang', 'GET', '/help-requests');
  t.equal(cadre.json.requests[0].resident.idNumber, '110101********1234');
  t.notOk(cadre.text.includes('110101199003071234'), 'the full ID number is nowhere in the reply');
  t.equal((await as('lisi', 'GET', `/help-requests/${id}`)).status, 404, 'another villager does not see it');
  t.same((await as('lisi', 'GET', '/help-requests')).json.requests, []);
  t.equal((await as('lisi', 'POST', '/help-requests', { type: 'medical', residentId: r.id })).status, 403, 'not for someone else');
  t.equal((await as('screen', 'GET', '/help-requests')).status, 403, 'a viewer has no help.request');
});

t.test("a phone's read of unmasked resident data is audited in the cloud and reaches the edge's GET /api/audit", async (t) => {
  const staff = { username: 'wangfang', role: 'cadre' } as const;
  const r = edge.gov.help.createResident(staff, { name: '李四', idNumber: '110101198001011234', phone: '13900001111', gridWorker: 'liwei', username: 'lisi', dibao: false });
  await waitFor('resident at the cloud', async () => (await rig.cloud.data.entity(a.villageId, 'resident', r.id)) !== undefined);
  const asked = await as('lisi', 'POST', '/help-requests', { type: 'medical', description: '量血压' });
  t.equal(asked.status, 201);
  t.equal(asked.json.request.resident.sensitive, false, 'the villager saw their own profile masked: nothing to audit');
  const before = await rig.cloud.data.audit.count(a.villageId);
  const read = await as('liwei', 'GET', `/help-requests/${asked.json.request.id}`);
  t.equal(read.json.request.resident.sensitive, true, 'the grid worker saw it unmasked');
  t.equal((await rig.cloud.data.audit.count(a.villageId)), before + 1, 'one audit entry in the cloud, in its durable table');
  const [entry] = await rig.cloud.data.audit.after(a.villageId, before, 10);
  t.match(entry, { actor: 'liwei', role: 'grid_worker', action: 'resident.sensitive_read', target: `resident:${r.id}`, detail: { residents: [r.id], via: 'phone' } });
  t.notOk(JSON.stringify(entry).includes('13900001111'), 'the entry names the resident, not what was read');

  // On the edge, through its own HTTP API, as its admin sees the audit log.
  const app = await buildApp({ db: edge.db, clock: systemClock, log: silentLogger(), users: edge.users, governance: edge.gov, audit: auditLogBeside(edge.db), ...accessParts({ db: edge.db, clock: systemClock, users: edge.users }), cameraExists: () => false });
  t.teardown(() => app.close());
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: passwordOf('admin') } });
  t.equal(login.statusCode, 200);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const fromCloud = async () => ((await app.inject({ method: 'GET', url: '/api/audit?action=resident.sensitive_read', headers: { cookie } })).json().entries as Array<Record<string, unknown>>).filter((e) => e.source === 'cloud');
  await waitFor("the entry in the edge's audit log", async () => (await fromCloud()).some((e) => e.target === `resident:${r.id}`));
  const got = (await fromCloud()).find((e) => e.target === `resident:${r.id}`)!;
  t.match(got, { actor: 'liwei', role: 'grid_worker', action: 'resident.sensitive_read', source: 'cloud', at: entry!.at, ip: entry!.ip, detail: { residents: [r.id], via: 'phone' } });
  await waitFor('the edge acked it', async () => (await rig.cloud.data.audit.acked(a.edgeId)) >= before + 1);
  t.equal((await fromCloud()).filter((e) => e.target === `resident:${r.id}`).length, 1, 'once');

  // An ack below the cloud's mark (as from an edge whose database was restored) makes the cloud
  // send everything again from there; what the edge already holds is not stored twice.
  const acked = await rig.cloud.data.audit.acked(a.edgeId);
  const cloudNode = (await rig.cloud.data.village(a.villageId))!.node;
  const watch = await mqtt.connectAsync(a.mqttUrl, { username: SERVICE_USER, password: SERVICE_PASSWORD, clientId: 'test-audit-watch', reconnectPeriod: 0, protocolVersion: 4 });
  const resent: Array<{ after: number; entries: unknown[] }> = [];
  watch.on('message', (_tp, payload) => resent.push(JSON.parse(payload.toString())));
  await watch.subscribeAsync(topic(a.edgeId, 'down/audit'), { qos: 1 });
  const other = await mqtt.connectAsync(a.mqttUrl, { username: a.username, password: a.password, clientId: 'test-audit-ack', reconnectPeriod: 0, protocolVersion: 4 });
  await other.publishAsync(topic(a.edgeId, 'up/ack'), JSON.stringify({ v: 1, stream: 'audit', origin: cloudNode, seq: 0 }), { qos: 1 });
  await other.endAsync();
  await waitFor('the cloud resent from the start', () => resent.some((m) => m.after === 0 && m.entries.length === acked));
  await watch.endAsync();
  await waitFor('the edge acked its mark again', async () => (await rig.cloud.data.audit.acked(a.edgeId)) === acked);
  t.equal((await rig.cloud.data.audit.acked(a.edgeId)), acked, 'the edge acked its mark again');
  t.equal((await fromCloud()).filter((e) => e.target === `resident:${r.id}`).length, 1, 'still once at the edge');
});

t.test('certificates: request on the phone, ID number masked', async (t) => {
  const req = await as('zhangsan', 'POST', '/certificates', { type: 'residence', purpose: '办理社保' });
  t.equal(req.status, 201);
  t.match(req.json.certificate, { applicantName: '张三', idNumber: '110101********1234', status: 'requested' });
  t.notOk('template' in req.json.certificate);
  const id = req.json.certificate.id as string;
  await waitFor('certificate at the edge', () => edge.gov.store.get<CertificateState>('certificate', id) !== undefined);
  t.equal(edge.gov.store.get<CertificateState>('certificate', id)?.idNumber, null, 'no masked ID number copied into it: the edge prints the profile\'s');
  const reviewer = await as('wangfang', 'GET', '/certificates');
  t.same(reviewer.json.certificates.map((c: CertificateState) => c.id), [id]);
  t.notOk(reviewer.text.includes('110101199003071234'));
  t.same((await as('lisi', 'GET', '/certificates')).json.certificates, [], 'others see only their own');
});

t.test('certificates: only the office decides, by the shared rule, and the edge gets the decision', async (t) => {
  const ask = async (purpose: string) => (await as('zhangsan', 'POST', '/certificates', { type: 'residence', purpose })).json.certificate.id as string;
  const [ok, no] = [await ask('办理医保'), await ask('办理签证')];
  t.match(await as('zhangsan', 'POST', `/certificates/${ok}/approve`, {}), { status: 403, json: { error: { code: 'FORBIDDEN' } } }, 'a villager may not approve');
  t.match(await as('liwei', 'POST', `/certificates/${ok}/approve`, {}), { status: 403 }, 'nor a grid worker');
  t.match(await as('wangfang', 'POST', `/certificates/${no}/reject`, {}), { status: 400 }, 'a rejection needs a reason');
  const approved = await as('wangfang', 'POST', `/certificates/${ok}/approve`, { note: '已核实' });
  t.match(approved, { status: 200, json: { certificate: { status: 'approved', verificationCode: /^[0-9A-Z]{12}$/, idNumber: '110101********1234' } } });
  t.match(await as('wangfang', 'POST', `/certificates/${no}/reject`, { reason: '不在本村办理' }), { status: 200, json: { certificate: { status: 'rejected', statusNote: '不在本村办理' } } });
  t.match(await as('wangfang', 'POST', `/certificates/${ok}/reject`, { reason: '晚了' }), { status: 409, json: { error: { code: 'INVALID_TRANSITION' } } }, 'an approved one cannot be rejected');
  await waitFor('decisions at the edge', () => edge.gov.store.get<CertificateState>('certificate', ok)?.status === 'approved' && edge.gov.store.get<CertificateState>('certificate', no)?.status === 'rejected');
  t.equal(edge.gov.store.get<CertificateState>('certificate', ok)?.verificationCode, approved.json.certificate.verificationCode, 'the code made at the cloud is the one the edge prints');
});

t.test('announcements: published for everyone, drafts for editors', async (t) => {
  const cadre = { username: 'wangfang', role: 'cadre' } as const;
  const pub = edge.gov.announcements.create(cadre, { category: 'village', title: '修路通知', body: '下周一修路' });
  edge.gov.announcements.submit(cadre, pub.id);
  edge.gov.announcements.publish({ username: 'admin', role: 'admin' }, pub.id);
  const draft = edge.gov.announcements.create(cadre, { category: 'finance', title: '账目草稿', body: '草稿' });
  await waitFor('announcements at the cloud', async () => (await rig.cloud.data.entity(a.villageId, 'announcement', draft.id)) !== undefined && (await rig.cloud.data.entity<AnnouncementState>(a.villageId, 'announcement', pub.id))?.status === 'published');
  t.same((await as('zhangsan', 'GET', '/announcements')).json.announcements.map((x: { id: string }) => x.id), [pub.id]);
  t.same((await as('wangfang', 'GET', '/announcements?category=finance')).json.announcements.map((x: { id: string }) => x.id), [draft.id]);
  t.equal((await as('zhangsan', 'GET', `/announcements/${draft.id}`)).status, 404);
});

t.test('party TOP10 and ledger match the edge', async (t) => {
  const sec = { username: 'secretary', role: 'party_secretary' } as const;
  const m1 = edge.gov.party.createMember(sec, { name: '党员甲', branch: '一支部', username: 'member1' });
  const m2 = edge.gov.party.createMember(sec, { name: '党员乙', branch: '一支部', username: 'member2' });
  const m3 = edge.gov.party.createMember(sec, { name: '党员丙', branch: '二支部' });
  edge.gov.party.addEntry(sec, { memberId: m1.id, ruleCode: 'report_violation', date: '2026-11-02' });
  edge.gov.party.addEntry(sec, { memberId: m2.id, ruleCode: 'blood_donation', date: '2026-10-02' });
  edge.gov.party.addEntry(sec, { memberId: m2.id, ruleCode: 'suggestion_adopted', date: '2026-11-03' });
  edge.gov.party.addEntry(sec, { memberId: m3.id, ruleCode: 'missed_meeting', date: '2026-11-04' });
  // A pending claim: its points must count on neither side.
  edge.gov.party.claim({ username: 'member1', role: 'party_member' }, { ruleCode: 'blood_donation', description: '献血', date: '2026-11-05' });
  const edgeOps = edge.gov.store.localOpsAfter(0, 1e6).length;
  await waitFor('party ops at the cloud', async () => (await rig.cloud.data.opCount(a.villageId, edge.gov.store.node)) >= edgeOps);

  for (const period of ['all', '2026-11', '2026']) {
    const phone = await as('member1', 'GET', `/party/ranking?period=${period}`);
    t.equal(phone.status, 200);
    t.same(phone.json.ranking, edge.gov.party.ranking(parsePeriod(period)!, { limit: 10 }), `TOP10 for ${period} equals the edge's`);
  }
  const all = (await as('secretary', 'GET', '/party/ranking?period=all')).json.ranking;
  t.same(all.map((r: { name: string; points: number }) => [r.name, r.points]), [['党员乙', 12], ['党员甲', 10], ['党员丙', -5]]);

  const mine = await as('member1', 'GET', '/party/me/points');
  const edgeLedger = edge.gov.party.ledger(m1.id);
  t.equal(mine.json.total, edgeLedger.total);
  t.same(mine.json.entries, edgeLedger.entries);
  t.equal((await as('member1', 'GET', `/party/members/${m2.id}/points`)).status, 403, 'members see only their own ledger');
  t.equal((await as('secretary', 'GET', `/party/members/${m2.id}/points`)).json.total, 12);
  t.equal((await as('zhangsan', 'GET', '/party/ranking')).status, 403, 'a villager has no party.read');
});

t.test('camera events, within the cameras one may see', async (t) => {
  const screen = edge.users.getByUsername('screen')!;
  edge.cameras.restrict(screen.id, [2]);
  const t0 = Date.now();
  edge.events.record(1, 'motion', { zone: 'gate' });
  edge.events.record(2, 'motion', {});
  edge.events.record(2, 'camera_offline', {});
  await waitFor('events at the cloud', async () => (await rig.cloud.data.eventCount(a.edgeId)) >= 3);
  await waitFor('restriction at the cloud', async () => (await rig.cloud.data.accounts.user(a.villageId, 'screen'))?.cameras?.[0] === 2);

  const all = await as('wangfang', 'GET', `/events?since=${t0 - 1}`);
  t.equal(all.status, 200);
  t.same(all.json.events.map((e: { cameraId: number; type: string }) => [e.cameraId, e.type]).sort(), [[1, 'motion'], [2, 'camera_offline'], [2, 'motion']]);
  t.same((await as('wangfang', 'GET', '/events?type=motion&cameraId=1')).json.events.map((e: { detail: unknown }) => e.detail), [{ zone: 'gate' }]);
  const restricted = await as('screen', 'GET', '/events');
  t.same(restricted.json.events.map((e: { cameraId: number }) => e.cameraId), [2, 2], 'a restricted viewer sees only camera 2');
  t.equal((await as('screen', 'GET', '/events?cameraId=1')).status, 404);
  t.equal((await as('zhangsan', 'GET', '/events')).status, 403, 'a villager has no video.view');
  t.equal((await as('wangfang', 'GET', '/events?limit=0')).status, 400);
});

t.test('repeated failures are rate limited', async (t) => {
  for (let i = 0; i < 5; i++) t.equal((await login(a, 'member2', `wrong ${i}`)).status, 401);
  const limited = await login(a, 'member2');
  t.equal(limited.status, 429, 'even the right password, until the window passes');
  t.equal(limited.json.error.code, 'RATE_LIMITED');
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After says when');
  t.equal((await login(a, 'member1')).status, 200, 'other accounts are not locked');
});

t.test('disabling a user on the edge ends their phone access at the next snapshot', async (t) => {
  const zs = edge.users.getByUsername('zhangsan')!;
  t.equal((await as('zhangsan', 'GET', '/me')).status, 200);
  edge.users.setDisabled(zs.id, true);
  await waitFor('disabled at the cloud', async () => (await rig.cloud.data.accounts.user(a.villageId, 'zhangsan'))?.disabled === true);
  t.equal((await as('zhangsan', 'GET', '/me')).status, 401, 'the session is gone');
  t.equal((await login(a, 'zhangsan')).status, 401, 'and cannot sign in again');

  // A new password on the edge: the old one stops working on the cloud, the new one works.
  const l = edge.users.getByUsername('lisi')!;
  await edge.users.setPassword(l.id, 'A brand new pw');
  await waitFor('new hash at the cloud', async () => (await rig.cloud.data.accounts.session(tokens.lisi!)) === undefined);
  t.equal((await login(a, 'lisi')).status, 401);
  t.equal((await login(a, 'lisi', 'A brand new pw')).status, 200);
});

t.test('logout ends the token', async (t) => {
  const r = await login(a, 'liwei');
  const out = await http(rig, 'POST', `${base(a)}/logout`, { token: r.json.token });
  t.equal(out.status, 204);
  t.equal((await http(rig, 'GET', `${base(a)}/me`, { token: r.json.token })).status, 401);
});

t.test('media: a signed-in user of the village reads its photos; other villages and roles cannot', async (t) => {
  // A file as the upload path leaves it: the object under media/objects and its owner row.
  const bytes = Buffer.from('a ticket photo, pretend JPEG');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const path = join(dir, 'cloud', 'media', 'objects', sha256.slice(0, 2), sha256);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  await rig.cloud.media.index.stored({ sha256, size: bytes.length, mime: 'image/jpeg' }, { villageId: a.villageId, kind: 'ticket-photo', ref: 'photo-1', edgeId: a.edgeId });

  const tokenA = (await login(a, 'member1')).json.token as string;
  const read = (villageId: number, token?: string) => fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/villages/${villageId}/media/${sha256}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const ok = await read(a.villageId, tokenA);
  t.equal(ok.status, 200, 'a party member of the village reads it (media.read is everyone, as on the edge)');
  t.same(Buffer.from(await ok.arrayBuffer()), bytes);
  t.equal((await read(a.villageId)).status, 401, 'no token: 401');
  const tokenB = (await login(b, 'bvillager')).json.token as string;
  t.equal((await read(a.villageId, tokenB)).status, 404, "another village's token: 404");
  t.equal((await read(b.villageId, tokenB)).status, 404, 'and its own village does not own the file');
});
