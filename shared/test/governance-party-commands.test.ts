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
import {
  ANNOUNCEMENT_EDITORS,
  canSeeAnnouncement,
  createAnnouncement,
  publishAnnouncement,
  rejectAnnouncement,
  submitAnnouncement,
  updateAnnouncement,
  visibleAnnouncements,
} from '../src/governance/announcements/index.ts';
import {
  approveClaim,
  assessDues,
  checkIn,
  claimPoints,
  createMember,
  createSession,
  decideLeave,
  finalizeSession,
  memberLedger,
  memberView,
  payDues,
  requestLeave,
  visibleClaims,
  withdrawClaim,
} from '../src/governance/party/index.ts';
import { MemoryVillage } from './helpers/memory-village.ts';

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
  t.equal(code(() => createAnnouncement(cadre, { category: 'party', title: '党务', body: 'x' }, v)), 'FORBIDDEN', 'a cadre does not write 党务');
  t.equal(code(() => createAnnouncement(sec, { category: 'finance', title: '账', body: 'x' }, v)), 'FORBIDDEN', 'a party secretary does not write 财务');
  t.equal(code(() => createAnnouncement(cadre, { category: 'village', title: '通知', body: 'x', attachments: ['nope'] }, v)), 'INVALID_INPUT', 'attachments must be stored media');
  t.equal(code(() => createAnnouncement(cadre, { category: 'village', title: '通知', body: 'x', attachments: Array.from({ length: 21 }, () => 'img1') }, v)), 'INVALID_INPUT', 'at most 20 attachments');
  const { entityId: id } = v.run(createAnnouncement(cadre, { category: 'village', title: '修路', body: '下周一', attachments: ['img1', 'pdf1'] }, v));
  const a = () => v.get<AnnouncementState>('announcement', id)!;
  v.run(submitAnnouncement(a(), cadre));
  t.equal(code(() => publishAnnouncement(a(), cadre, {})), 'FORBIDDEN', 'the author does not publish their own');
  t.equal(code(() => publishAnnouncement(a(), sec, {})), 'FORBIDDEN', 'a reviewer of another tab does not either');
  t.equal(code(() => updateAnnouncement(a(), cadre, { title: 'x' }, v)), 'INVALID_TRANSITION', 'no edits while under review');
  v.run(rejectAnnouncement(a(), cadre2, { reason: '补充' }));
  const resubmit = submitAnnouncement(a(), cadre);
  t.same(resubmit.drafts.map((d) => d.payload), [{ from: 'rejected', to: 'draft' }, { from: 'draft', to: 'pending_review' }], 'back to draft, then to review: two ops');
  v.run(resubmit);
  const before = structuredClone(a());
  const published = publishAnnouncement(a(), admin, { note: '同意' });
  t.same(a(), before, 'a command does not touch the state it is given');
  v.run(published);
  t.match(a(), { status: 'published', reviewer: 'admin' });
  const draft = v.run(createAnnouncement(sec, { category: 'party', title: '党费', body: 'x' }, v)).entityId;
  const all = v.list<AnnouncementState>('announcement');
  t.same(visibleAnnouncements(all, villager).map((x) => x.id), [id], 'a villager reads what is published');
  t.same(visibleAnnouncements(all, sec).map((x) => x.id), [draft, id], 'an editor also reads the drafts of their tab');
  t.notOk(canSeeAnnouncement(cadre, v.get<AnnouncementState>('announcement', draft)!), 'not those of another tab');
});

t.test('party: claims, four eyes, sessions and dues as ops', async (t) => {
  const v = village();
  const p1 = v.run(createMember(sec, { name: '党员甲', branch: '一支部', username: 'member1', duesStandardFen: 200, duesStartMonth: '2026-09' }, v)).entityId;
  const p2 = v.run(createMember(sec, { name: '党员乙', branch: '一支部', username: 'member2' }, v)).entityId;
  const p3 = v.run(createMember(sec, { name: '党员丙', branch: '一支部' }, v)).entityId;
  t.equal(code(() => createMember(sec, { name: '重名', branch: '一支部', username: 'member1' }, v)), 'CONFLICT', 'an account links to one member');
  t.equal(code(() => createMember(sec, { name: '无号', branch: '一支部', username: 'ghost' }, v)), 'INVALID_INPUT');
  t.equal(code(() => createMember(sec, { name: '错日', branch: '一支部', joinedOn: '2026-02-30' }, v)), 'INVALID_INPUT', 'a calendar date');

  t.equal(code(() => claimPoints(villager, { ruleCode: 'volunteer', quantity: 3, description: 'x', date: '2026-11-01' }, v)), 'INVALID_INPUT', 'only a linked member claims');
  t.equal(code(() => claimPoints(m1, { ruleCode: 'missed_meeting', description: 'x', date: '2026-11-01' }, v)), 'INVALID_INPUT', 'a deduction cannot be claimed');
  t.equal(code(() => claimPoints(m1, { ruleCode: 'volunteer', description: 'x', date: '2026-11-01' }, v)), 'INVALID_INPUT', 'a tiered rule needs a quantity');
  const claim = v.run(claimPoints(m1, { ruleCode: 'volunteer', quantity: 25, description: '防汛', evidence: ['img1'], date: '2026-11-01' }, v)).entityId;
  const c = () => v.get<PointClaimState>('point_claim', claim)!;
  t.same(visibleClaims(v.list('point_claim'), m2), [], 'another member does not see the claim');
  t.equal(visibleClaims(v.list('point_claim'), sec).length, 1);
  t.equal(code(() => withdrawClaim(c(), sec)), 'FORBIDDEN', 'only the claimant withdraws');
  const approved = approveClaim(c(), sec, { note: '属实' }, v);
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

  const s = v.run(createSession(sec, { sessionType: 'branch_assembly', title: '支部大会', branch: '一支部', startAt: NOW + 10 * 60_000 }, v)).entityId;
  const session = () => v.get<PartySessionState>('party_session', s)!;
  v.run(checkIn(session(), m1, { mode: 'onsite' }, v));
  t.equal(code(() => checkIn(session(), m1, { mode: 'onsite' }, v)), 'CONFLICT', 'one sign-in per member');
  t.equal(code(() => checkIn(session(), m2, { mode: 'remote' }, v)), 'INVALID_INPUT', 'no remote attendance unless allowed');
  t.equal(code(() => checkIn(session(), m2, { mode: 'onsite', memberId: p3 }, v)), 'FORBIDDEN', 'a member signs in only themselves');
  v.run(requestLeave(session(), m2, { reason: '外出' }, v));
  const leaveId = session().leaves[0]!.id;
  t.equal(code(() => decideLeave(session(), admin, { leaveId: 'nope', approved: true })), 'NOT_FOUND');
  t.equal(code(() => decideLeave(session(), { username: 'other', role: 'party_secretary' }, { leaveId, approved: true })), 'FORBIDDEN', "leave is the session creator's to decide");
  v.run(decideLeave(session(), sec, { leaveId, approved: true }));
  t.equal(code(() => finalizeSession(session(), sec, v)), 'INVALID_TRANSITION', 'not before the start');
  v.now += 15 * 60_000;
  const fin = finalizeSession(session(), sec, v);
  t.same([fin.attended, fin.excused, fin.absent], [[p1], [p2], [p3]]);
  t.same(fin.drafts.slice(1).map((d) => d.payload.entryId).sort(), [`session:${s}:attend:${p1}`, `session:${s}:missed:${p3}`].sort(), 'points for who came, a deduction for who was absent without leave');
  v.run(fin);

  t.equal(code(() => assessDues(sec, { month: '2026-11' }, v)), 'INVALID_INPUT', 'the month has not ended');
  v.run(payDues(v.get<PartyMemberState>('party_member', p1)!, sec, { months: ['2026-09'], amountFen: 200 }, v));
  t.equal(code(() => payDues(v.get<PartyMemberState>('party_member', p1)!, sec, { months: ['2026-10', '2026-09'], amountFen: 400 }, v)), 'CONFLICT', 'no month paid twice');
  const assessed = v.run(assessDues(sec, { month: '2026-10' }, v));
  t.same(assessed.deducted, [p1], 'member1 owes October');
  t.same(assessDues(sec, { month: '2026-10' }, v).drafts, [], 'assessing again changes nothing');
});
