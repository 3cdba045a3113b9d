/**
 * 三务公开 and party building read through the edge's API and through the
 * phone API of the same village, after sync: every read answers the same
 * status and the same body on both (the shared views decide who sees what,
 * which entries count and how the ranking is ordered). The phone API offers
 * reads only for these domains; their commands are compared in
 * governance-parity-party.test.ts.
 */
import t from 'tap';
import { aedesRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge } from './helpers/phone.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { accessParts } from '@cunbox/test-support/edge-access';
import { buildApp } from '../../edge/src/api/app.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import type { Role } from '../../edge/src/auth/users.ts';

const ACCOUNTS: Array<{ username: string; role: Role }> = [
  { username: 'admin', role: 'admin' },
  { username: 'wangfang', role: 'cadre' },
  { username: 'zhangsan', role: 'villager' },
  { username: 'secretary', role: 'party_secretary' },
  { username: 'member1', role: 'party_member' },
  { username: 'member2', role: 'party_member' },
];

t.test('every party and announcement read answers alike on the edge and on the phone', async (t) => {
  const dir = tmpDir(t, 'cunbox-views-party-');
  const rig = await aedesRig(dir);
  t.teardown(() => rig.close());
  const village = await pairVillage(rig, '南村');
  const edge = await startVillageEdge(t, dir, village, 'edge-south', ACCOUNTS);
  const app = await buildApp({ db: edge.db, clock: systemClock, log: silentLogger(), users: edge.users, governance: edge.gov, audit: auditLogBeside(edge.db), ...accessParts({ db: edge.db, clock: systemClock, users: edge.users }), cameraExists: () => false });
  t.teardown(() => app.close());
  await waitFor('accounts at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(village.villageId))?.users === ACCOUNTS.length);
  const cookies: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  for (const { username } of ACCOUNTS) {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: passwordOf(username) } });
    cookies[username] = String(login.headers['set-cookie']).split(';')[0]!;
    tokens[username] = (await http(rig, 'POST', `/api/v1/villages/${village.villageId}/login`, { body: { username, password: passwordOf(username) } })).json.token;
  }

  // The village's records, made on the edge.
  const { announcements: ann, party } = edge.gov;
  const admin = { username: 'admin', role: 'admin' } as const;
  const cadre = { username: 'wangfang', role: 'cadre' } as const;
  const sec = { username: 'secretary', role: 'party_secretary' } as const;
  const m1user = { username: 'member1', role: 'party_member' } as const;
  const road = ann.create(cadre, { category: 'village', title: '修路通知', body: '下周一修路' });
  ann.submit(cadre, road.id);
  ann.publish(admin, road.id, '同意');
  const accounts = ann.create(cadre, { category: 'finance', title: '账目草稿', body: '草稿' });
  const partyNote = ann.create(sec, { category: 'party', title: '党费收缴', body: '本月党费' });
  ann.submit(sec, partyNote.id);
  ann.reject(admin, partyNote.id, '补充金额');
  const m1 = party.createMember(sec, { name: '党员甲', branch: '一支部', username: 'member1', duesStandardFen: 200, duesStartMonth: '2026-01' });
  const m2 = party.createMember(sec, { name: '党员乙', branch: '一支部', username: 'member2' });
  const m3 = party.createMember(sec, { name: '党员丙', branch: '二支部' });
  party.addEntry(sec, { memberId: m1.id, ruleCode: 'report_violation', date: '2026-11-02' });
  party.addEntry(sec, { memberId: m2.id, ruleCode: 'blood_donation', date: '2026-10-02' });
  party.addEntry(sec, { memberId: m2.id, ruleCode: 'suggestion_adopted', date: '2026-11-03' });
  party.addEntry(sec, { memberId: m3.id, ruleCode: 'missed_meeting', date: '2026-11-04' });
  const wrong = party.addEntry(sec, { memberId: m3.id, ruleCode: 'training', date: '2026-11-05' }).points.at(-1)!;
  party.voidEntry(sec, m3.id, wrong.id, '录错了');
  // A pending claim and an approved one: only the approved one's points count.
  party.claim(m1user, { ruleCode: 'blood_donation', description: '献血', date: '2026-11-05' });
  const approved = party.claim(m1user, { ruleCode: 'volunteer', quantity: 25, description: '防汛', date: '2026-11-06' });
  party.approveClaim(sec, approved.id, '属实');
  const edgeOps = edge.gov.store.opCount();
  await waitFor('every op at the cloud', async () => (await rig.cloud.data.opCount(village.villageId)) === edgeOps);

  const reads: Array<[user: string, edgePath: string, phonePath: string]> = [];
  const both = (user: string, path: string) => reads.push([user, `/api${path}`, path]);
  for (const user of ['zhangsan', 'wangfang', 'secretary', 'admin', 'member1']) {
    both(user, '/announcements');
    for (const c of ['party', 'village', 'finance']) both(user, `/announcements?category=${c}`);
    both(user, '/announcements?status=rejected');
    for (const a of [road, accounts, partyNote]) both(user, `/announcements/${a.id}`);
  }
  both('zhangsan', '/announcements/01JF0000000000000000000000');
  for (const user of ['member1', 'secretary', 'admin', 'zhangsan', 'wangfang']) {
    for (const period of ['all', '2026-11', '2026-Q4', '2026', '2025-01']) both(user, `/party/ranking?period=${period}`);
    both(user, '/party/ranking?period=all&branch=%E4%B8%80%E6%94%AF%E9%83%A8&limit=1');
    for (const m of [m1, m2, m3]) both(user, `/party/members/${m.id}/points`);
  }
  both('member1', '/party/members/01JF0000000000000000000000/points');
  // The phone's "my ledger" is the edge's ledger of the member linked to the account.
  reads.push(['member1', `/api/party/members/${m1.id}/points`, '/party/me/points']);

  for (const [user, edgePath, phonePath] of reads) {
    const e = await app.inject({ method: 'GET', url: edgePath, headers: { cookie: cookies[user]! } });
    const p = await http(rig, 'GET', `/api/v1/villages/${village.villageId}${phonePath}`, { token: tokens[user] });
    const edgeAnswer = { status: e.statusCode, body: e.statusCode < 400 ? e.json() : e.json().error.code };
    const phoneAnswer = { status: p.status, body: p.status < 400 ? p.json : p.json.error.code };
    t.same(phoneAnswer, edgeAnswer, `${user} GET ${phonePath}: ${edgeAnswer.status} on both, same body`);
  }
  // What the comparison covered, so a read that silently answers nothing on both is noticed.
  const sees = async (user: string, path: string) => (await app.inject({ method: 'GET', url: `/api${path}`, headers: { cookie: cookies[user]! } })).json();
  t.same((await sees('zhangsan', '/announcements')).announcements.map((a: { id: string }) => a.id), [road.id], 'a villager sees only what is published');
  t.same((await sees('secretary', '/announcements')).announcements.map((a: { id: string }) => a.id).sort(), [road.id, partyNote.id].sort(), 'a party secretary also sees the 党务 drafts');
  t.same((await sees('secretary', '/party/ranking?period=all')).ranking.map((r: { name: string; points: number }) => [r.name, r.points]), [['党员甲', 15], ['党员乙', 12], ['党员丙', -5]]);
});
