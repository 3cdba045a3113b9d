import { Type } from '@fastify/type-provider-typebox';
import { CLAIM_STATUSES, SESSION_TYPES, memberView } from '@cunbox/shared';
import type { FastifyRequest } from 'fastify';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { Closed, Many, One, Ref, Str, StrOrNull } from '../replies.ts';
import { Code, DateStr, EpochMs, Id, IdParams, Line, MediaIds, Month, NoQuery, NoteBody, Nullable, Obj, ReasonBody, Text, Username } from '../schemas.ts';

const Finalized = Closed({ session: Ref('PartySession'), attended: Type.Array(Str), excused: Type.Array(Str), absent: Type.Array(Str) }, { description: 'member ids by outcome' });
const Dues = Closed({ dues: Type.Array(Closed({ memberId: Str, name: Str, branch: Str, standardFen: Type.Integer(), lastPaidMonth: StrOrNull, monthsOwed: Type.Array(Str), owedFen: Type.Integer() })) });
const Assessed = Closed({ deducted: Type.Array(Str, { description: 'member ids whose points were deducted' }) });
const memberFields = {
  username: Type.Optional(Nullable(Username)),
  livingAway: Type.Optional(Type.Boolean({ description: '流动党员: lives away, may attend remotely' })),
  joinedOn: Type.Optional(Nullable(DateStr)),
  duesStandardFen: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'monthly dues in fen (分)' })),
  duesStartMonth: Type.Optional(Nullable(Month)),
  active: Type.Optional(Type.Boolean()),
};
const Points = Type.Number({ minimum: -1000, maximum: 1000, multipleOf: 0.5 });
const sessionFields = {
  durationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
  checkInBeforeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440 })),
  checkInAfterMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440 })),
  remoteAllowed: Type.Optional(Type.Boolean()),
  location: Type.Optional(Nullable(Line(200))),
  notice: Type.Optional(Nullable(Text(4000))),
};

/** Party building: members, points, TOP10, 三会一课, dues. */
export async function partyRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const { audit } = deps;
  const party = deps.governance.party;
  const tags = ['party'];
  const record = (req: FastifyRequest, action: string, target: string, detail?: Record<string, unknown>) => {
    const a = actorOf(req);
    audit.record({ actor: a.username, role: a.role, action, target, detail: detail ?? null, ip: req.ip });
  };

  // — members —
  app.get('/api/party/members', { config: { access: 'party.read' }, schema: { tags, summary: 'Party members', querystring: Obj({ branch: Type.Optional(Line(64)) }), response: { 200: Many('members', 'PartyMember') } } }, async (req) => ({
    members: party.members(req.query).map((m) => memberView(actorOf(req), m)),
  }));
  app.get('/api/party/members/:id', { config: { access: 'party.read' }, schema: { tags, summary: 'One member', params: IdParams, querystring: NoQuery, response: { 200: One('member', 'PartyMember') } } }, async (req) => ({ member: memberView(actorOf(req), party.member(req.params.id)) }));
  app.post('/api/party/members', { config: { access: 'party.manage' }, schema: { tags, summary: 'Add a member', body: Obj({ name: Line(64), branch: Line(64), ...memberFields }), response: { 201: One('member', 'PartyMember') } } }, async (req, reply) => {
    const m = party.createMember(actorOf(req), req.body);
    record(req, 'party_member.create', `party_member:${m.id}`);
    void reply.status(201);
    return { member: m };
  });
  app.patch('/api/party/members/:id', { config: { access: 'party.manage' }, schema: { tags, summary: 'Change a member', params: IdParams, body: Obj({ name: Type.Optional(Line(64)), branch: Type.Optional(Line(64)), ...memberFields }), response: { 200: One('member', 'PartyMember') } } }, async (req) => {
    const m = party.updateMember(actorOf(req), req.params.id, req.body);
    record(req, 'party_member.update', `party_member:${m.id}`, { fields: Object.keys(req.body) });
    return { member: m };
  });

  // — points rules —
  app.get('/api/party/points-rules', { config: { access: 'party.read' }, schema: { tags, summary: 'The points rule table', querystring: NoQuery, response: { 200: Many('rules', 'PointsRule') } } }, async () => ({ rules: party.rules() }));
  app.put(
    '/api/party/points-rules/:code',
    {
      config: { access: 'party.manage' },
      schema: {
        tags,
        summary: 'Add or change a rule (applies to entries recorded from now on)',
        params: Obj({ code: Code }),
        body: Obj({
          name: Type.Optional(Line(64)),
          points: Type.Optional(Points),
          tiers: Type.Optional(Nullable(Type.Array(Obj({ minQuantity: Type.Number({ minimum: 0, maximum: 100000 }), points: Points }), { minItems: 1, maxItems: 20 }))),
          cap: Type.Optional(Nullable(Obj({ period: Type.Union([Type.Literal('month'), Type.Literal('year')]), maxPoints: Type.Number({ minimum: 0, maximum: 100000 }) }))),
          selfClaim: Type.Optional(Type.Boolean()),
          active: Type.Optional(Type.Boolean()),
        }),
        response: { 200: One('rule', 'PointsRule') },
      },
    },
    async (req) => {
      const r = party.setRule(actorOf(req), req.params.code, req.body);
      record(req, 'points_rule.set', `points_rule:${r.id}`, { fields: Object.keys(req.body) });
      return { rule: r };
    },
  );

  // — claims and the ledger —
  app.post(
    '/api/party/claims',
    {
      config: { access: 'party.claim' },
      schema: { tags, summary: 'Claim points for an activity, with photo evidence', body: Obj({ ruleCode: Code, quantity: Type.Optional(Type.Number({ minimum: 0, maximum: 100000 })), description: Text(2000, 1), evidence: Type.Optional(MediaIds(9)), date: DateStr }), response: { 201: One('claim', 'Claim') } },
    },
    async (req, reply) => {
      void reply.status(201);
      return { claim: party.claim(actorOf(req), req.body) };
    },
  );
  app.get('/api/party/claims', { config: { access: 'party.read' }, schema: { tags, summary: 'Mine; secretaries: all', querystring: Obj({ status: Type.Optional(Type.Union(CLAIM_STATUSES.map((s) => Type.Literal(s)))) }), response: { 200: Many('claims', 'Claim') } } }, async (req) => ({
    claims: party.claims(actorOf(req), req.query),
  }));
  app.get('/api/party/claims/:id', { config: { access: 'party.read' }, schema: { tags, summary: 'One claim', params: IdParams, querystring: NoQuery, response: { 200: One('claim', 'Claim') } } }, async (req) => ({ claim: party.claimById(actorOf(req), req.params.id) }));
  app.post('/api/party/claims/:id/approve', { config: { access: 'party.manage' }, schema: { tags, summary: 'Approve: the points enter the ledger', params: IdParams, body: NoteBody, response: { 200: One('claim', 'Claim') } } }, async (req) => ({
    claim: party.approveClaim(actorOf(req), req.params.id, req.body.note),
  }));
  app.post('/api/party/claims/:id/reject', { config: { access: 'party.manage' }, schema: { tags, summary: 'Reject with a reason', params: IdParams, body: ReasonBody, response: { 200: One('claim', 'Claim') } } }, async (req) => ({
    claim: party.rejectClaim(actorOf(req), req.params.id, req.body.reason),
  }));
  app.post('/api/party/claims/:id/withdraw', { config: { access: 'party.claim' }, schema: { tags, summary: 'Withdraw my claim', params: IdParams, body: Obj({}), response: { 200: One('claim', 'Claim') } } }, async (req) => ({
    claim: party.withdrawClaim(actorOf(req), req.params.id),
  }));
  app.post(
    '/api/party/members/:id/points',
    { config: { access: 'party.manage' }, schema: { tags, summary: 'Record an entry by rule (e.g. a deduction)', params: IdParams, body: Obj({ ruleCode: Code, date: DateStr, quantity: Type.Optional(Type.Number({ minimum: 0, maximum: 100000 })), note: Type.Optional(Text(2000)) }), response: { 201: One('member', 'PartyMember') } } },
    async (req, reply) => {
      const m = party.addEntry(actorOf(req), { memberId: req.params.id, ...req.body });
      record(req, 'points.entry', `party_member:${m.id}`, { ruleCode: req.body.ruleCode });
      void reply.status(201);
      return { member: m };
    },
  );
  app.post(
    '/api/party/members/:id/points/:entryId/void',
    { config: { access: 'party.manage' }, schema: { tags, summary: 'Void a wrong entry (kept in the history)', params: Obj({ id: Id, entryId: Text(128, 1) }), body: ReasonBody, response: { 200: One('member', 'PartyMember') } } },
    async (req) => {
      const m = party.voidEntry(actorOf(req), req.params.id, req.params.entryId, req.body.reason);
      record(req, 'points.void', `party_member:${m.id}`, { entryId: req.params.entryId });
      return { member: m };
    },
  );
  app.get('/api/party/members/:id/points', { config: { access: 'party.read' }, schema: { tags, summary: 'A member\'s ledger and total', params: IdParams, querystring: NoQuery, response: { 200: Ref('Ledger') } } }, async (req) => party.ledgerFor(actorOf(req), req.params.id));
  app.get(
    '/api/party/ranking',
    {
      config: { access: 'party.read' },
      schema: { tags, summary: 'TOP10 by ledger points: period YYYY-MM, YYYY-Qn, YYYY or all (default: this month)', querystring: Obj({ period: Type.Optional(Type.String({ pattern: '^(all|\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?)$' })), branch: Type.Optional(Line(64)), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }), response: { 200: Ref('Ranking') } },
    },
    async (req) => party.rankingFor(req.query),
  );

  // — 三会一课 —
  app.post(
    '/api/party/sessions',
    {
      config: { access: 'party.manage' },
      schema: { tags, summary: 'Schedule a session (三会一课 / 主题党日)', body: Obj({ sessionType: Type.Union(SESSION_TYPES.map((s) => Type.Literal(s))), title: Line(200), branch: Line(64), startAt: EpochMs, ...sessionFields }), response: { 201: One('session', 'PartySession') } },
    },
    async (req, reply) => {
      void reply.status(201);
      return { session: party.createSession(actorOf(req), req.body) };
    },
  );
  app.get('/api/party/sessions', { config: { access: 'party.read' }, schema: { tags, summary: 'Sessions, newest first', querystring: Obj({ branch: Type.Optional(Line(64)) }), response: { 200: Many('sessions', 'PartySession') } } }, async (req) => ({ sessions: party.sessions(actorOf(req), req.query) }));
  app.get('/api/party/sessions/:id', { config: { access: 'party.read' }, schema: { tags, summary: 'One session with sign-ins and leave', params: IdParams, querystring: NoQuery, response: { 200: One('session', 'PartySession') } } }, async (req) => ({ session: party.visibleSession(actorOf(req), req.params.id) }));
  app.patch(
    '/api/party/sessions/:id',
    {
      config: { access: 'party.manage' },
      schema: { tags, summary: 'Notice, schedule, minutes, resolution, photos', params: IdParams, body: Obj({ title: Type.Optional(Line(200)), startAt: Type.Optional(EpochMs), minutes: Type.Optional(Nullable(Text(20000))), resolution: Type.Optional(Nullable(Text(4000))), photos: Type.Optional(MediaIds(20)), ...sessionFields }), response: { 200: One('session', 'PartySession') } },
    },
    async (req) => ({ session: party.updateSession(actorOf(req), req.params.id, req.body) }),
  );
  app.post(
    '/api/party/sessions/:id/checkin',
    { config: { access: 'party.attend' }, schema: { tags, summary: 'Sign in (window around the start); secretaries may sign in others', params: IdParams, body: Obj({ mode: Type.Union([Type.Literal('onsite'), Type.Literal('remote')]), memberId: Type.Optional(Id) }), response: { 200: One('session', 'PartySession') } } },
    async (req) => ({ session: party.checkIn(actorOf(req), req.params.id, req.body) }),
  );
  app.post('/api/party/sessions/:id/leave', { config: { access: 'party.attend' }, schema: { tags, summary: 'Ask for leave', params: IdParams, body: ReasonBody, response: { 201: One('session', 'PartySession') } } }, async (req, reply) => {
    void reply.status(201);
    return { session: party.requestLeave(actorOf(req), req.params.id, req.body.reason) };
  });
  app.post(
    '/api/party/sessions/:id/leave/:leaveId',
    { config: { access: 'party.manage' }, schema: { tags, summary: 'Decide a leave request (the session\'s creator)', params: Obj({ id: Id, leaveId: Id }), body: Obj({ approved: Type.Boolean() }), response: { 200: One('session', 'PartySession') } } },
    async (req) => ({ session: party.decideLeave(actorOf(req), req.params.id, req.params.leaveId, req.body.approved) }),
  );
  app.post('/api/party/sessions/:id/finalize', { config: { access: 'party.manage' }, schema: { tags, summary: 'Close the record: attendance points and missed-meeting deductions', params: IdParams, body: Obj({}), response: { 200: Finalized } } }, async (req) => {
    const r = party.finalize(actorOf(req), req.params.id);
    record(req, 'party_session.finalize', `party_session:${req.params.id}`, { attended: r.attended.length, excused: r.excused.length, absent: r.absent.length });
    return r;
  });
  app.post('/api/party/sessions/:id/cancel', { config: { access: 'party.manage' }, schema: { tags, summary: 'Cancel', params: IdParams, body: ReasonBody, response: { 200: One('session', 'PartySession') } } }, async (req) => ({
    session: party.cancelSession(actorOf(req), req.params.id, req.body.reason),
  }));

  // — dues —
  app.get('/api/party/dues', { config: { access: 'party.manage' }, schema: { tags, summary: 'Per member: standard, last paid month, months owed', querystring: Obj({ branch: Type.Optional(Line(64)) }), response: { 200: Dues } } }, async (req) => ({
    dues: party.duesStatus(req.query),
  }));
  app.post(
    '/api/party/members/:id/dues',
    { config: { access: 'party.manage' }, schema: { tags, summary: 'Record a dues payment for one or more months', params: IdParams, body: Obj({ months: Type.Array(Month, { minItems: 1, maxItems: 24, uniqueItems: true }), amountFen: Type.Integer({ minimum: 1, maximum: 100_000_000 }) }), response: { 201: One('member', 'PartyMember') } } },
    async (req, reply) => {
      const m = party.payDues(actorOf(req), req.params.id, req.body);
      record(req, 'dues.paid', `party_member:${m.id}`, { months: req.body.months, amountFen: req.body.amountFen });
      void reply.status(201);
      return { member: m };
    },
  );
  app.post('/api/party/dues/assess', { config: { access: 'party.manage' }, schema: { tags, summary: 'Deduct points for a past month\'s unpaid dues (idempotent)', body: Obj({ month: Month }), response: { 200: Assessed } } }, async (req) => {
    const r = party.assessDues(actorOf(req), req.body.month);
    record(req, 'dues.assess', `month:${req.body.month}`, { deducted: r.deducted.length });
    return r;
  });
}
