/**
 * Every 三务公开 and party-building command through the parity harness
 * (helpers/governance-parity.ts): the same answers, the same ops, the same
 * states in two villages.
 *
 * The phone API offers a member's own commands: claiming points, signing in
 * to a session, asking for leave. Those steps run through the phone API in
 * the phone village. Every other step (the secretary's record keeping, 三务公开
 * editing) is `edgeOnly`: it runs through the edge's API in both villages, and
 * in the phone village sync carries every op to the cloud and back before the
 * next step. Reads are compared in governance-views-party.test.ts.
 */
import t from 'tap';
import { assertParity, runParity, type ParityCommand, type ParityResult, type ParityStep } from './helpers/governance-parity.ts';

// Started a minute ago: check-in is open (a day either side) and the session may be finalized.
const START = Date.now() - 60_000;
const SESSION = { sessionType: 'branch_assembly', title: '支部党员大会', branch: '一支部', startAt: START, checkInBeforeMinutes: 1440, checkInAfterMinutes: 1440, remoteAllowed: true };
const NO_SUCH = '01JF0000000000000000000000';

const ANNOUNCEMENTS: ParityStep[] = [
  { as: 'wangfang', method: 'POST', path: '/announcements', body: { category: 'village', title: '修路通知', body: '下周一修路' }, status: 201, save: 'a1' },
  { as: 'wangfang', method: 'POST', path: '/announcements', body: { category: 'party', title: '党务', body: 'x' }, status: 403 },
  { as: 'secretary', method: 'POST', path: '/announcements', body: { category: 'finance', title: '财务', body: 'x' }, status: 403 },
  { as: 'zhangsan', method: 'POST', path: '/announcements', body: { category: 'village', title: '村民', body: 'x' }, status: 403 },
  { as: 'wangfang', method: 'PATCH', path: '/announcements/{a1}', body: { title: '修路通知（更正）' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/announcements/{a1}/submit', body: {}, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/announcements/{a1}/publish', body: {}, status: 403 },
  { as: 'secretary', method: 'POST', path: '/announcements/{a1}/publish', body: {}, status: 403 },
  { as: 'wangfang', method: 'PATCH', path: '/announcements/{a1}', body: { body: '改' }, status: 409 },
  { as: 'admin', method: 'POST', path: '/announcements/{a1}/reject', body: { reason: '写清楚时间' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/announcements/{a1}/submit', body: {}, status: 200 },
  { as: 'admin', method: 'POST', path: '/announcements/{a1}/publish', body: { note: '同意' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/announcements/{a1}/withdraw', body: { reason: '日期改了' }, status: 200 },
  { as: 'admin', method: 'POST', path: '/announcements/{a1}/review', body: {}, status: 409 },
  { as: 'secretary', method: 'POST', path: '/announcements', body: { category: 'party', title: '党费收缴', body: '本月党费' }, status: 201, save: 'a2' },
  { as: 'wangfang', method: 'POST', path: '/announcements/{a2}/submit', body: {}, status: 403 },
  { as: 'admin', method: 'POST', path: `/announcements/${NO_SUCH}/submit`, body: {}, status: 404 },
].map((s) => ({ ...s, edgeOnly: true }) as ParityStep);

const PARTY: ParityStep[] = [
  // Members and rules.
  { as: 'secretary', method: 'POST', path: '/party/members', body: { name: '党员甲', branch: '一支部', username: 'member1', duesStandardFen: 200, duesStartMonth: '2025-01' }, status: 201, save: 'pm1' },
  { as: 'secretary', method: 'POST', path: '/party/members', body: { name: '党员乙', branch: '一支部' }, status: 201, save: 'pm2' },
  { as: 'secretary', method: 'POST', path: '/party/members', body: { name: '党员丙', branch: '一支部', joinedOn: '2020-07-01' }, status: 201, save: 'pm3' },
  { as: 'secretary', method: 'POST', path: '/party/members', body: { name: '重号', branch: '一支部', username: 'member1' }, status: 409 },
  { as: 'secretary', method: 'POST', path: '/party/members', body: { name: '无号', branch: '一支部', username: 'nobody' }, status: 400 },
  { as: 'member1', method: 'POST', path: '/party/members', body: { name: '自封', branch: '一支部' }, status: 403 },
  { as: 'secretary', method: 'PATCH', path: '/party/members/{pm2}', body: { livingAway: true }, status: 200 },
  { as: 'secretary', method: 'PUT', path: '/party/points-rules/river_patrol', body: { name: '巡河', points: 2, selfClaim: true }, status: 200 },
  { as: 'secretary', method: 'PUT', path: '/party/points-rules/half_rule', body: { points: 1 }, status: 400 },
  // Claims: four eyes, then the ledger entry with the approval.
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'river_patrol', description: '巡河两次', date: '2026-11-01' }, status: 201, save: 'c1' },
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'volunteer', description: '没写小时', date: '2026-11-01' }, status: 400 },
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'missed_meeting', description: '扣分不能申报', date: '2026-11-01' }, status: 400 },
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'blood_donation', description: '献血', date: '2026-02-30' }, status: 400 },
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'blood_donation', description: '献血', date: '2026-11-02' }, status: 201, save: 'c2' },
  { as: 'member1', method: 'POST', path: '/party/claims', body: { ruleCode: 'volunteer', quantity: 25, description: '防汛', date: '2026-11-03' }, status: 201, save: 'c3' },
  { as: 'member1', method: 'POST', path: '/party/claims/{c1}/approve', body: {}, status: 403 },
  { as: 'secretary', method: 'POST', path: '/party/claims/{c1}/approve', body: { note: '属实' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/claims/{c1}/approve', body: {}, status: 409 },
  { as: 'secretary', method: 'POST', path: '/party/claims/{c2}/reject', body: { reason: '无证明' }, status: 200 },
  { as: 'member1', method: 'POST', path: '/party/claims/{c2}/withdraw', body: {}, status: 409 },
  { as: 'member1', method: 'POST', path: '/party/claims/{c3}/withdraw', body: {}, status: 200 },
  // Entries by rule, and a void.
  { as: 'secretary', method: 'POST', path: '/party/members/{pm2}/points', body: { ruleCode: 'training', date: '2026-11-03', note: '党课' }, status: 201 },
  { as: 'secretary', method: 'POST', path: '/party/members/{pm2}/points', body: { ruleCode: 'no_such_rule', date: '2026-11-03' }, status: 400 },
  { as: 'secretary', method: 'POST', path: '/party/members/{pm1}/points/claim:{c1}/void', body: { reason: '重复申报' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/members/{pm1}/points/claim:{c1}/void', body: { reason: '再来' }, status: 409 },
  { as: 'secretary', method: 'POST', path: '/party/members/{pm1}/points/nope/void', body: { reason: '无' }, status: 404 },
  // 三会一课: sign-in, leave, minutes, finalize with points; a cancelled one.
  { as: 'secretary', method: 'POST', path: '/party/sessions', body: SESSION, status: 201, save: 's1' },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/checkin', body: { mode: 'remote' }, status: 200 },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/checkin', body: { mode: 'onsite' }, status: 409 },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/checkin', body: { mode: 'onsite', memberId: '{pm3}' }, status: 403 },
  { as: 'secretary', method: 'POST', path: '/party/sessions/{s1}/checkin', body: { mode: 'onsite', memberId: '{pm3}' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/sessions/{s1}/leave', body: { reason: '出差' }, status: 400 },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/leave', body: { reason: '临时有事' }, status: 201 },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/leave', body: { reason: '再请' }, status: 409 },
  { as: 'secretary', method: 'POST', path: `/party/sessions/{s1}/leave/${NO_SUCH}`, body: { approved: true }, status: 404 },
  { as: 'secretary', method: 'PATCH', path: '/party/sessions/{s1}', body: { minutes: '学习文件，讨论村务', resolution: '通过' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/sessions/{s1}/finalize', body: {}, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/sessions/{s1}/finalize', body: {}, status: 409 },
  { as: 'member1', method: 'POST', path: '/party/sessions/{s1}/checkin', body: { mode: 'onsite' }, status: 409 },
  { as: 'secretary', method: 'POST', path: '/party/sessions', body: { ...SESSION, title: '党小组会', sessionType: 'group_meeting' }, status: 201, save: 's2' },
  { as: 'secretary', method: 'POST', path: '/party/sessions/{s2}/cancel', body: { reason: '改期' }, status: 200 },
  { as: 'secretary', method: 'PATCH', path: '/party/sessions/{s2}', body: { notice: '改到下周' }, status: 409 },
  // Dues: payments, no month twice, the deduction for an unpaid month (once).
  { as: 'secretary', method: 'POST', path: '/party/members/{pm1}/dues', body: { months: ['2025-01', '2025-02'], amountFen: 400 }, status: 201 },
  { as: 'secretary', method: 'POST', path: '/party/members/{pm1}/dues', body: { months: ['2025-02', '2025-04'], amountFen: 400 }, status: 409 },
  { as: 'secretary', method: 'POST', path: '/party/dues/assess', body: { month: '2025-03' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/dues/assess', body: { month: '2025-03' }, status: 200 },
  { as: 'secretary', method: 'POST', path: '/party/dues/assess', body: { month: '2099-01' }, status: 400 },
].map((s) => ({ ...s, ...phoneCommand(s) }) as ParityStep);

/**
 * What the phone offers of a party step: a claim, a sign-in for oneself
 * (named `check-in` there) and a leave request; the rest is edge only.
 */
function phoneCommand(s: { method: string; path: string; body?: Record<string, unknown> }): Pick<ParityCommand, 'edgeOnly' | 'phonePath'> {
  if (s.method !== 'POST') return { edgeOnly: true };
  if (s.path === '/party/claims') return {};
  if (/^\/party\/sessions\/\{\w+\}\/leave$/.test(s.path)) return {};
  if (/^\/party\/sessions\/\{\w+\}\/checkin$/.test(s.path) && s.body?.memberId === undefined) return { phonePath: s.path.replace(/checkin$/, 'check-in') };
  return { edgeOnly: true };
}

/**
 * Ledger entry ids embed the id of their cause (`claim:<id>`,
 * `session:<id>:attend:<member>`, `manual:<id>`); the harness replaces whole
 * ids only. Embedded ones get placeholders of their own, numbered in the
 * order they appear, so both runs still have to name the same causes alike.
 */
function embeddedIds(r: ParityResult): ParityResult {
  const ulid = /[0-9A-HJKMNP-TV-Z]{26}/g;
  const walk = (v: unknown, names: Map<string, string>): unknown => {
    if (typeof v === 'string') return v.replace(ulid, (id) => names.get(id) ?? (names.set(id, `~${names.size + 1}`), names.get(id)!));
    if (Array.isArray(v)) return v.map((x) => walk(x, names));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, names)]));
    return v;
  };
  return { edge: walk(r.edge, new Map()) as ParityResult['edge'], phone: walk(r.phone, new Map()) as ParityResult['phone'] };
}

t.test('三务公开 and party building: the same answers, ops and states in both villages', async (t) => {
  const steps = [...ANNOUNCEMENTS, ...PARTY];
  const r = embeddedIds(await runParity(t, steps, ['announcement', 'party_member', 'point_claim', 'party_session', 'points_rule']));
  assertParity(t, r, steps);
  // The comparison is not empty.
  t.ok(r.edge.steps.filter((s) => s.ops.length > 0).length >= 30, 'most steps committed ops');
  t.ok(steps.filter((s) => !('edgeOnly' in s && s.edgeOnly)).length >= 10, 'the member\'s own commands ran through the phone API');
  const finalize = r.edge.steps.find((s) => s.step.endsWith('/finalize (edge only)'))!;
  t.same(finalize.ops.map((o) => (o as { type: string }).type), ['party_session.status', 'party_member.points', 'party_member.points', 'party_member.points'], 'finalize: the status and one entry per member (two present, one absent)');
  t.equal(r.edge.states.party_member!.length, 3);
  t.equal(r.edge.states.announcement!.length, 2);
});
