import t from 'tap';
import { apiHarness, upload } from './helpers/api.ts';
import sharp from 'sharp';

const NAMES = ['安一', '白二', '陈三', '邓四', '方五', '高六', '胡七', '金八', '孔九', '刘十', '马十一', '牛十二'];

t.test('TOP10 for month, quarter, year and all time equals a hand-computed ledger', async (t) => {
  const h = await apiHarness(t);
  const sec = h.as.party_secretary;
  const ids: string[] = [];
  for (const [i, name] of NAMES.entries()) {
    const r = await sec.post('/api/party/members', { name, branch: '一支部', ...(i === 0 ? { username: 'party_member' } : {}) });
    t.equal(r.status, 201);
    ids.push(r.body.member.id);
  }
  const [a1, b2, c3, d4, f5, g6, h7, j8, k9, , m11, n12] = ids as [string, string, string, string, string, string, string, string, string, string, string, string];
  const entry = async (id: string, ruleCode: string, date: string, quantity?: number) => {
    const r = await sec.post(`/api/party/members/${id}/points`, { ruleCode, date, ...(quantity === undefined ? {} : { quantity }) });
    t.equal(r.status, 201, `${ruleCode} ${date}`);
    return r.body.member;
  };

  // 安一 claims 25 hours of volunteering with a photo (20 h tier: +5); a blood donation claim is rejected.
  const photo = (await upload(h.as.party_member, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c00' } }).jpeg().toBuffer())).body.media.id;
  const claim = await h.as.party_member.post('/api/party/claims', { ruleCode: 'volunteer', quantity: 25, description: '防汛值守25小时', evidence: [photo], date: '2026-05-03' });
  t.match(claim, { status: 201, body: { claim: { status: 'submitted', memberId: a1 } } });
  t.match(await sec.post(`/api/party/claims/${claim.body.claim.id}/approve`, { note: '属实' }), { body: { claim: { status: 'approved', reviewer: 'party_secretary' } } });
  const rejected = (await h.as.party_member.post('/api/party/claims', { ruleCode: 'blood_donation', description: '献血', date: '2026-05-04' })).body.claim;
  await sec.post(`/api/party/claims/${rejected.id}/reject`, { reason: '无证明' });
  await entry(a1, 'training', '2026-04-10');
  await entry(b2, 'report_violation', '2026-05-05');
  await entry(b2, 'missed_meeting', '2026-05-20');
  for (const d of ['2026-01-05', '2026-02-05', '2026-03-05', '2026-05-05']) await entry(c3, 'training', d); // cap 3 a year: the 4th gives 0
  await entry(d4, 'help_neighbour', '2026-05-02');
  await entry(d4, 'help_neighbour', '2026-05-09'); // cap 1 a month: 0
  await entry(d4, 'help_neighbour', '2026-06-01');
  await entry(f5, 'blood_donation', '2025-12-20');
  await entry(g6, 'suggestion_adopted', '2026-05-15');
  const g6m = await entry(g6, 'suggestion_adopted', '2026-05-16');
  await entry(h7, 'volunteer', '2026-05-10', 50); // 50 h tier: +10
  await entry(j8, 'report_violation', '2026-05-30');
  await entry(j8, 'dues_unpaid', '2026-05-28');
  await entry(k9, 'training', '2026-05-06');
  await entry(m11, 'suggestion_adopted', '2026-05-01');
  await entry(n12, 'missed_meeting', '2026-05-20');
  // One of 高六's entries was a mistake.
  const wrong = g6m.points[1].id as string;
  t.match(await sec.post(`/api/party/members/${g6}/points/${wrong}/void`, { reason: '重复录入' }), { body: { member: { points: [{ effective: 2 }, { id: wrong, voided: true, effective: 0 }] } } });

  const ranking = async (period: string) => ((await h.as.party_member.get(`/api/party/ranking?period=${period}`)).body.ranking as Array<{ rank: number; name: string; points: number }>).map((r) => [r.rank, r.name, r.points]);
  t.same(await ranking('2026-05'), [
    [1, '胡七', 10],
    [2, '安一', 5],
    [2, '白二', 5],
    [2, '金八', 5],
    [5, '高六', 2],
    [5, '马十一', 2],
    [7, '邓四', 1],
    [7, '孔九', 1],
    [9, '陈三', 0],
    [9, '方五', 0],
  ]);
  t.same(await ranking('2026-Q2'), [
    [1, '胡七', 10],
    [2, '安一', 6],
    [3, '白二', 5],
    [3, '金八', 5],
    [5, '邓四', 2],
    [5, '高六', 2],
    [5, '马十一', 2],
    [8, '孔九', 1],
    [9, '陈三', 0],
    [9, '方五', 0],
  ]);
  t.same(await ranking('2026'), [
    [1, '胡七', 10],
    [2, '安一', 6],
    [3, '白二', 5],
    [3, '金八', 5],
    [5, '陈三', 3],
    [6, '邓四', 2],
    [6, '高六', 2],
    [6, '马十一', 2],
    [9, '孔九', 1],
    [10, '方五', 0],
  ]);
  t.same(await ranking('all'), [
    [1, '方五', 10],
    [1, '胡七', 10],
    [3, '安一', 6],
    [4, '白二', 5],
    [4, '金八', 5],
    [6, '陈三', 3],
    [7, '邓四', 2],
    [7, '高六', 2],
    [7, '马十一', 2],
    [10, '孔九', 1],
  ]);
  t.same(await ranking('2025-Q4'), [[1, '方五', 10], ...['安一', '白二', '陈三', '邓四', '高六', '胡七', '金八', '孔九', '刘十'].map((n) => [2, n, 0])]);
  t.equal((await h.as.party_member.get('/api/party/ranking')).body.period, '2026-05', 'default: this month (Beijing time)');

  const ledger = (await h.as.party_member.get(`/api/party/members/${a1}/points`)).body;
  t.match(ledger, { name: '安一', total: 6, entries: [{ ruleCode: 'volunteer', points: 5, source: { type: 'claim' }, counts: true }, { ruleCode: 'training', points: 1 }] });
  t.equal((await h.as.party_member.get(`/api/party/members/${b2}/points`)).status, 403, 'members see only their own ledger');
  t.match((await sec.get(`/api/party/members/${c3}/points`)).body.entries.map((e: { effective: number }) => e.effective), [1, 1, 1, 0]);
  t.equal((await h.as.villager.get('/api/party/ranking')).status, 403);
  t.equal((await h.as.party_member.post(`/api/party/members/${a1}/points`, { ruleCode: 'blood_donation', date: '2026-05-01' })).status, 403, 'members do not award themselves');
  t.match(await h.as.party_member.post('/api/party/claims', { ruleCode: 'volunteer', description: 'x', date: '2026-05-01' }), { status: 400 }, 'tiers need a quantity');
  t.match(await h.as.party_member.post('/api/party/claims', { ruleCode: 'attend_meeting', description: 'x', date: '2026-05-01' }), { status: 400 }, 'not self-claimable');
  t.match(await h.as.party_member.post('/api/party/claims', { ruleCode: 'training', description: 'x', date: '2026-02-30' }), { status: 400 });
  t.match(await h.as.party_member.get('/api/party/ranking?period=2026-13'), { status: 400 });
});

t.test('points rules: defaults and changes', async (t) => {
  const h = await apiHarness(t);
  const rules = (await h.as.party_member.get('/api/party/points-rules')).body.rules as Array<{ id: string; points: number; cap: unknown; tiers: unknown }>;
  t.match(Object.fromEntries(rules.map((r) => [r.id, r])), {
    attend_meeting: { points: 1 },
    training: { points: 1, cap: { period: 'year', maxPoints: 3 } },
    help_neighbour: { points: 1, cap: { period: 'month', maxPoints: 1 } },
    volunteer: { tiers: [{ minQuantity: 10, points: 2 }, { minQuantity: 20, points: 5 }, { minQuantity: 50, points: 10 }, { minQuantity: 100, points: 20 }, { minQuantity: 200, points: 30 }, { minQuantity: 300, points: 50 }] },
    missed_meeting: { points: -5 },
    dues_unpaid: { points: -5 },
  });
  t.equal((await h.as.party_member.put('/api/party/points-rules/training', { points: 2 })).status, 403);
  t.match(await h.as.party_secretary.put('/api/party/points-rules/training', { points: 2, cap: { period: 'year', maxPoints: 6 } }), { body: { rule: { points: 2, cap: { maxPoints: 6 }, builtin: true } } });
  t.match(await h.as.party_secretary.put('/api/party/points-rules/tree_planting', { name: '义务植树', points: 1.5, selfClaim: true }), { body: { rule: { id: 'tree_planting', points: 1.5, builtin: false } } });
  t.match(await h.as.party_secretary.put('/api/party/points-rules/bad', { name: 'x', points: 0.3 }), { status: 400 }, 'points in halves');
  const audit = (await h.as.admin.get('/api/audit?action=points_rule.set')).body.entries;
  t.equal(audit.length, 2);
});

t.test('三会一课: schedule, check-in window, remote attendance, leave, finalize with points', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['member2', 'party_member'], ['member3', 'party_member'], ['member4', 'party_member']] });
  const sec = h.as.party_secretary;
  const m1 = (await sec.post('/api/party/members', { name: '党员一', branch: '一支部', username: 'party_member' })).body.member;
  const m2 = (await sec.post('/api/party/members', { name: '党员二', branch: '一支部', username: 'member2', livingAway: true })).body.member;
  const m3 = (await sec.post('/api/party/members', { name: '党员三', branch: '一支部', username: 'member3' })).body.member;
  const m4 = (await sec.post('/api/party/members', { name: '党员四', branch: '一支部', username: 'member4' })).body.member;
  await sec.post('/api/party/members', { name: '他支部', branch: '二支部' });
  const [member2, member3, member4] = [await h.login('member2'), await h.login('member3'), await h.login('member4')];

  const startAt = h.clock.now() + 3600_000;
  t.equal((await h.as.party_member.post('/api/party/sessions', { sessionType: 'party_lecture', title: 'x', branch: '一支部', startAt })).status, 403);
  const s = (await sec.post('/api/party/sessions', { sessionType: 'party_lecture', title: '五月党课：乡村振兴', branch: '一支部', startAt, remoteAllowed: true, location: '村委会会议室', notice: '请准时参加' })).body.session;
  t.match(s, { status: 'scheduled', checkInBeforeMinutes: 20, checkInAfterMinutes: 20, remoteAllowed: true });
  t.match(await h.as.party_member.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'onsite' }), { status: 409, body: { error: { code: 'INVALID_TRANSITION', message: /check-in is open from/ } } }, 'too early');
  t.match(await member3.post(`/api/party/sessions/${s.id}/leave`, { reason: '外出就医' }), { status: 201 });
  const leaveId = (await sec.get(`/api/party/sessions/${s.id}`)).body.session.leaves[0].id;
  t.equal((await member3.post(`/api/party/sessions/${s.id}/leave/${leaveId}`, { approved: true })).status, 403);
  t.match(await sec.post(`/api/party/sessions/${s.id}/leave/${leaveId}`, { approved: true }), { body: { session: { leaves: [{ memberId: m3.id, decision: 'approved', decidedBy: 'party_secretary' }] } } });

  await h.advance(45 * 60_000); // 15 minutes before the start
  t.match(await h.as.party_member.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'onsite' }), { body: { session: { attendance: [{ id: m1.id, mode: 'onsite' }] } } });
  t.match(await h.as.party_member.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'onsite' }), { status: 409 }, 'once');
  t.equal((await member2.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'remote' })).status, 200, 'a member living away attends remotely');
  t.equal((await member4.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'onsite', memberId: m1.id })).status, 403, 'no signing in others');
  t.match(await sec.post(`/api/party/sessions/${s.id}/finalize`), { status: 409 }, 'not before the start');
  await h.advance(40 * 60_000); // 25 minutes after the start: closed
  t.match(await member4.post(`/api/party/sessions/${s.id}/checkin`, { mode: 'onsite' }), { status: 409 }, 'too late');
  t.match(await sec.patch(`/api/party/sessions/${s.id}`, { minutes: '学习了乡村振兴战略……', resolution: '每名党员联系两户' }), { body: { session: { minutes: '学习了乡村振兴战略……' } } });
  const fin = await sec.post(`/api/party/sessions/${s.id}/finalize`);
  t.match(fin.body, { session: { status: 'finalized' }, excused: [m3.id], absent: [m4.id] });
  t.same([...fin.body.attended].sort(), [m1.id, m2.id].sort());
  t.match(await sec.post(`/api/party/sessions/${s.id}/finalize`), { status: 409 });
  const points = async (id: string) => (await sec.get(`/api/party/members/${id}/points`)).body;
  t.match(await points(m1.id), { total: 1, entries: [{ ruleCode: 'attend_meeting', date: '2026-05-11', source: { type: 'session', id: s.id } }] });
  t.match(await points(m2.id), { total: 1 });
  t.match(await points(m3.id), { total: 0, entries: [] });
  t.match(await points(m4.id), { total: -5, entries: [{ ruleCode: 'missed_meeting', points: -5 }] });
});

t.test('dues: standard, payments, months owed, deduction for an unpaid month', async (t) => {
  const h = await apiHarness(t);
  const sec = h.as.party_secretary;
  const m = (await sec.post('/api/party/members', { name: '党员甲', branch: '一支部', duesStandardFen: 200, duesStartMonth: '2026-01' })).body.member;
  const n = (await sec.post('/api/party/members', { name: '党员乙', branch: '一支部', duesStandardFen: 500, duesStartMonth: '2026-04' })).body.member;
  t.match(await sec.post(`/api/party/members/${m.id}/dues`, { months: ['2026-01', '2026-02', '2026-03'], amountFen: 600 }), { status: 201, body: { member: { lastPaidMonth: '2026-03', paidMonths: ['2026-01', '2026-02', '2026-03'] } } });
  await sec.post(`/api/party/members/${n.id}/dues`, { months: ['2026-04'], amountFen: 500 });
  t.match(await sec.post(`/api/party/members/${m.id}/dues`, { months: ['2026-03'], amountFen: 200 }), { status: 409 }, 'no month paid twice');
  const dues = (await sec.get('/api/party/dues')).body.dues;
  t.same(
    dues.map((d: { name: string; monthsOwed: string[]; owedFen: number }) => [d.name, d.monthsOwed, d.owedFen]),
    [
      ['党员甲', ['2026-04', '2026-05'], 400],
      ['党员乙', ['2026-05'], 500],
    ],
  );
  t.equal((await h.as.party_member.get('/api/party/dues')).status, 403);
  t.match(await sec.post('/api/party/dues/assess', { month: '2026-04' }), { body: { deducted: [m.id] } });
  t.match(await sec.post('/api/party/dues/assess', { month: '2026-04' }), { body: { deducted: [] } }, 'idempotent');
  t.match(await sec.post('/api/party/dues/assess', { month: '2026-05' }), { status: 400 }, 'the month has not ended');
  t.match((await sec.get(`/api/party/members/${m.id}/points`)).body, { total: -5, entries: [{ id: `dues:2026-04:${m.id}`, ruleCode: 'dues_unpaid' }] });
});

t.test('三会一课: who sees which sessions (shared visibleSessions)', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['member2', 'party_member'], ['unlinked', 'party_member']] });
  const sec = h.as.party_secretary;
  await sec.post('/api/party/members', { name: '党员一', branch: '一支部', username: 'party_member' });
  await sec.post('/api/party/members', { name: '党员二', branch: '二支部', username: 'member2' });
  const startAt = h.clock.now() + 3600_000;
  const one = (await sec.post('/api/party/sessions', { sessionType: 'party_lecture', title: '一支部党课', branch: '一支部', startAt })).body.session;
  const two = (await sec.post('/api/party/sessions', { sessionType: 'party_lecture', title: '二支部党课', branch: '二支部', startAt })).body.session;
  const [member2, unlinked] = [await h.login('member2'), await h.login('unlinked')];
  const titles = async (who: typeof sec, query = '') => ((await who.get(`/api/party/sessions${query}`)).body.sessions as Array<{ title: string }>).map((s) => s.title).sort();
  t.same(await titles(sec), ['一支部党课', '二支部党课'], 'the secretary keeps the records: all');
  t.same(await titles(h.as.cadre), ['一支部党课', '二支部党课'], 'a cadre oversees the party work: all');
  t.same(await titles(h.as.cadre, '?branch=二支部'), ['二支部党课'], 'a branch asked for');
  t.same(await titles(h.as.party_member), ['一支部党课'], 'a member: their own branch');
  t.same(await titles(h.as.party_member, '?branch=二支部'), [], 'not another branch, even when asked');
  t.same(await titles(member2), ['二支部党课']);
  t.same(await titles(unlinked), [], 'an attendee not linked to a member has no branch');
  t.equal((await h.as.party_member.get(`/api/party/sessions/${one.id}`)).status, 200);
  t.match(await h.as.party_member.get(`/api/party/sessions/${two.id}`), { status: 404, body: { error: { code: 'NOT_FOUND' } } }, "another branch's session answers as if it did not exist");
});
