/**
 * The party and 三务公开 commands as pure functions: who may, which
 * transition, which ops, answered from an in-memory village. The edge's and
 * the phone's adapters commit exactly what these return.
 */
import t from 'tap';
import { PERMISSIONS } from '../src/auth/permissions.ts';
import type { Role } from '../src/auth/roles.ts';
import { CunboxError } from '../src/platform/errors.ts';
import type { Actor } from '../src/governance/command.ts';
import type { AnnouncementState } from '../src/governance/announcement.ts';
import type { PartyMemberState, PartySessionState, PointClaimState } from '../src/governance/party.ts';
import { ANNOUNCEMENT_EDITORS, announcementCommands as A, canSeeAnnouncement, visibleAnnouncements } from '../src/governance/announcements/index.ts';
import { memberLedger, memberView, partyCommands as P, visibleClaims } from '../src/governance/party/index.ts';
import { MemoryVillage } from '@cunbox/test-support/memory-village';

const admin: Actor = { username: 'admin', role: 'admin' };
const cadre: Actor = { username: 'wangfang', role: 'cadre' };
const cadre2: Actor = { username: 'liming', role: 'cadre' };
const sec: Actor = { username: 'secretary', role: 'party_secretary' };
const m1: Actor = { username: 'member1', role: 'party_member' };
const m2: Actor = { username: 'member2', role: 'party_member' };
const villager: Actor = { username: 'zhangsan', role: 'villager' };
const NOW = Date.UTC(2026, 10, 20, 2, 0); // 2026-11-20 10:00 in Beijing

const village = () => new MemoryVillage({ now: NOW, accounts: [admin, cadre, cadre2, sec, m1, m2, villager].map((a) => ({ ...a, disabled: false })), media: { img1: 'image', pdf1: 'pdf' } });
const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof CunboxError ? e.code : String(e);
  }
};

t.test('the tab editors are the permission table, and together exactly who may write and review', async (t) => {
  t.same([...ANNOUNCEMENT_EDITORS.party], PERMISSIONS['announcements.party']);
  t.same([...ANNOUNCEMENT_EDITORS.village], PERMISSIONS['announcements.village']);
  t.same([...ANNOUNCEMENT_EDITORS.finance], PERMISSIONS['announcements.village']);
  const union = new Set<Role>(Object.values(ANNOUNCEMENT_EDITORS).flatMap((s) => [...s]));
  t.same([...union].sort(), [...PERMISSIONS['announcements.write']].sort(), 'every writer writes some tab, and only writers do');
  t.same([...union].sort(), [...PERMISSIONS['announcements.review']].sort(), 'and reviewers are the same people');
});

t.test('三务公开: tabs, four eyes, a rejected draft resubmitted in one step', async (t) => {
  const v = village();
  t.equal(code(() => A.create(v, cadre, { category: 'party', title: '党务', body: 'x' })), 'FORBIDDEN', 'a cadre does not write 党务');
  t.equal(code(() => A.create(v, sec, { category: 'finance', title: '账', body: 'x' })), 'FORBIDDEN', 'a party secretary does not write 财务');
  t.equal(code(() => A.create(v, cadre, { category: 'village', title: '通知', body: 'x', attachments: ['nope'] })), 'INVALID_INPUT', 'attachments must be stored media');
  t.equal(code(() => A.create(v, cadre, { category: 'village', title: '通知', body: 'x', attachments: Array.from({ length: 21 }, () => 'img1') })), 'INVALID_INPUT', 'at most 20 attachments');
  const { entityId: id } = v.run(A.create(v, cadre, { category: 'village', title: '修路', body: '下周一', attachments: ['img1', 'pdf1'] }));
  const a = () => v.get<AnnouncementState>('announcement', id)!;
  v.run(A.submit(v, cadre, id));
  t.equal(code(() => A.publish(v, cadre, id)), 'FORBIDDEN', 'the author does not publish their own');
  t.equal(code(() => A.publish(v, sec, id)), 'FORBIDDEN', 'a reviewer of another tab does not either');
  t.equal(code(() => A.update(v, cadre, id, { title: 'x' })), 'INVALID_TRANSITION', 'no edits while under review');
  v.run(A.reject(v, cadre2, id, { reason: '补充' }));
  const resubmit = A.submit(v, cadre, id);
  t.same(resubmit.drafts.map((d) => d.payload), [{ from: 'rejected', to: 'draft' }, { from: 'draft', to: 'pending_review' }], 'back to draft, then to review: two ops');
  v.run(resubmit);
  const before = structuredClone(a());
  const published = A.publish(v, admin, id, { note: '同意' });
  t.same(a(), before, 'a command does not touch the state it reads');
  v.run(published);
  t.match(a(), { status: 'published', reviewer: 'admin' });
  const draft = v.run(A.create(v, sec, { category: 'party', title: '党费', body: 'x' })).entityId;
  const all = v.list<AnnouncementState>('announcement');
  t.same(visibleAnnouncements(all, villager).map((x) => x.id), [id], 'a villager reads what is published');
  t.same(visibleAnnouncements(all, sec).map((x) => x.id), [draft, id], 'an editor also reads the drafts of their tab');
  t.notOk(canSeeAnnouncement(cadre, v.get<AnnouncementState>('announcement', draft)!), 'not those of another tab');
});

t.test('party: claims, four eyes, sessions and dues as ops', async (t) => {
  const v = village();
  const p1 = v.run(P.createMember(v, sec, { name: '党员甲', branch: '一支部', username: 'member1', duesStandardFen: 200, duesStartMonth: '2026-09' })).entityId;
  const p2 = v.run(P.createMember(v, sec, { name: '党员乙', branch: '一支部', username: 'member2' })).entityId;
  const p3 = v.run(P.createMember(v, sec, { name: '党员丙', branch: '一支部' })).entityId;
  t.equal(code(() => P.createMember(v, sec, { name: '重名', branch: '一支部', username: 'member1' })), 'CONFLICT', 'an account links to one member');
  t.equal(code(() => P.createMember(v, sec, { name: '无号', branch: '一支部', username: 'ghost' })), 'INVALID_INPUT');
  t.equal(code(() => P.createMember(v, sec, { name: '错日', branch: '一支部', joinedOn: '2026-02-30' })), 'INVALID_INPUT', 'a calendar date');

  t.equal(code(() => P.claim(v, villager, { ruleCode: 'volunteer', quantity: 3, description: 'x', date: '2026-11-01' })), 'INVALID_INPUT', 'only a linked member claims');
  t.equal(code(() => P.claim(v, m1, { ruleCode: 'missed_meeting', description: 'x', date: '2026-11-01' })), 'INVALID_INPUT', 'a deduction cannot be claimed');
  t.equal(code(() => P.claim(v, m1, { ruleCode: 'volunteer', description: 'x', date: '2026-11-01' })), 'INVALID_INPUT', 'a tiered rule needs a quantity');
  const claim = v.run(P.claim(v, m1, { ruleCode: 'volunteer', quantity: 25, description: '防汛', evidence: ['img1'], date: '2026-11-01' })).entityId;
  const c = () => v.get<PointClaimState>('point_claim', claim)!;
  t.same(visibleClaims(v.list('point_claim'), m2), [], 'another member does not see the claim');
  t.equal(visibleClaims(v.list('point_claim'), sec).length, 1);
  t.equal(code(() => P.withdrawClaim(v, sec, claim)), 'FORBIDDEN', 'only the claimant withdraws');
  const approved = P.approveClaim(v, sec, claim, { note: '属实' });
  t.same(
    approved.drafts.map((d) => [d.entityId, d.type, d.payload.entryId ?? d.payload.to]),
    [
      [claim, 'point_claim.status', 'approved'],
      [p1, 'party_member.points', `claim:${claim}`],
    ],
    'approval and its ledger entry in one transaction, the entry named by its cause',
  );
  v.run(approved);
  t.equal(memberLedger(v.get<PartyMemberState>('party_member', p1)!, v).total, 5, '25 hours of volunteering: the 20-hour tier');
  t.same(memberView(m2, v.get<PartyMemberState>('party_member', p1)!).points, [], "another member's ledger is left out of the member record");
  t.equal(memberView(sec, v.get<PartyMemberState>('party_member', p1)!).points.length, 1);

  const s = v.run(P.createSession(v, sec, { sessionType: 'branch_assembly', title: '支部大会', branch: '一支部', startAt: NOW + 10 * 60_000 })).entityId;
  const session = () => v.get<PartySessionState>('party_session', s)!;
  v.run(P.checkIn(v, m1, s, { mode: 'onsite' }));
  t.equal(code(() => P.checkIn(v, m1, s, { mode: 'onsite' })), 'CONFLICT', 'one sign-in per member');
  t.equal(code(() => P.checkIn(v, m2, s, { mode: 'remote' })), 'INVALID_INPUT', 'no remote attendance unless allowed');
  t.equal(code(() => P.checkIn(v, m2, s, { mode: 'onsite', memberId: p3 })), 'FORBIDDEN', 'a member signs in only themselves');
  v.run(P.requestLeave(v, m2, s, { reason: '外出' }));
  const leaveId = session().leaves[0]!.id;
  t.equal(code(() => P.decideLeave(v, admin, s, { leaveId: 'nope', approved: true })), 'NOT_FOUND');
  t.equal(code(() => P.decideLeave(v, { username: 'other', role: 'party_secretary' }, s, { leaveId, approved: true })), 'FORBIDDEN', "leave is the session creator's to decide");
  v.run(P.decideLeave(v, sec, s, { leaveId, approved: true }));
  t.equal(code(() => P.finalize(v, sec, s)), 'INVALID_TRANSITION', 'not before the start');
  v.now += 15 * 60_000;
  const fin = P.finalize(v, sec, s);
  t.same([fin.attended, fin.excused, fin.absent], [[p1], [p2], [p3]]);
  t.same(fin.drafts.slice(1).map((d) => d.payload.entryId).sort(), [`session:${s}:attend:${p1}`, `session:${s}:missed:${p3}`].sort(), 'points for who came, a deduction for who was absent without leave');
  v.run(fin);

  t.equal(code(() => P.assessDues(v, sec, { month: '2026-11' })), 'INVALID_INPUT', 'the month has not ended');
  v.run(P.payDues(v, sec, p1, { months: ['2026-09'], amountFen: 200 }));
  t.equal(code(() => P.payDues(v, sec, p1, { months: ['2026-10', '2026-09'], amountFen: 400 })), 'CONFLICT', 'no month paid twice');
  const assessed = v.run(P.assessDues(v, sec, { month: '2026-10' }));
  t.same(assessed.deducted, [p1], 'member1 owes October');
  t.same(P.assessDues(v, sec, { month: '2026-10' }).drafts, [], 'assessing again changes nothing');
});
