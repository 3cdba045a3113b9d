/**
 * Party building on the phone: the TOP10 ranking and a member's points
 * ledger, points claims, and 三会一课 check-in and leave, answered and decided
 * by the shared views and commands over the village's store.
 */
import { memberOf, ledgerReply, partyCommands, visibleSessions, pointsRules, rankingReply, requireEntity, visibleClaims, type Actor, type ClaimInput, type CommandResult, type GovernanceLookups, type PartyMemberState, type PartySessionState, type PointClaimState } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { CODE, ID, line, obj, text, type PhoneContext } from './context.ts';
import { PHOTO_IDS } from './photos.ts';
import { replies } from '../openapi.ts';

const PERIOD = { type: 'string', pattern: '^(all|\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?)$' };

export function partyRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  router.route<unknown, { period?: string; branch?: string; limit?: number }>({
    method: 'GET',
    url: '/party/ranking',
    summary: 'TOP10 by ledger points: period YYYY-MM, YYYY-Qn, YYYY or all (default: this month)',
    reply: replies.ref('Ranking'),
    access: 'party.read',
    query: obj({ period: PERIOD, branch: line(64), limit: { type: 'integer', minimum: 1, maximum: 100 } }),
    handler: async ({ query }, v) => v.read((look) => rankingReply(look, query)),
  });

  router.route({
    method: 'GET',
    url: '/party/me/points',
    summary: 'My points ledger and total',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    handler: async ({ user }, v) =>
      v.read((look) => {
        const m = memberOf(look, user.username);
        if (!m) throw ctx.fail('NOT_FOUND', 'your account is not linked to a party member');
        return ledgerReply(user, m, look);
      }),
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/party/members/:id/points',
    summary: 'A member\'s ledger and total (managers, or the member)',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    params: { id: ID },
    handler: async ({ user, params }, v) => v.read((look) => ledgerReply(user, requireEntity<PartyMemberState>(look, 'party_member', params.id, 'party member'), look)),
  });

  router.route({
    method: 'GET',
    url: '/party/points-rules',
    summary: 'The points rules a member may claim themselves',
    reply: replies.many('rules', 'PointsRule'),
    access: 'party.claim',
    handler: async (_c, v) => ({ rules: (await v.read(pointsRules)).filter((r) => r.active && r.selfClaim) }),
  });

  router.route({
    method: 'GET',
    url: '/party/claims',
    summary: 'Claims I may see (mine; record keepers: all), newest first',
    reply: replies.many('claims', 'Claim'),
    access: 'party.read',
    handler: async ({ user }, v) => ({ claims: visibleClaims(await v.list<PointClaimState>('point_claim'), user) }),
  });

  router.route<ClaimInput>({
    method: 'POST',
    url: '/party/claims',
    summary: 'Claim points for an activity (photos uploaded first, POST /media); the secretary approves it',
    reply: replies.one('claim', 'Claim'),
    access: 'party.claim',
    status: 201,
    idempotent: true,
    body: obj({ ruleCode: CODE, quantity: { type: 'number', minimum: 0, maximum: 10000 }, description: text(2000, 1), evidence: PHOTO_IDS, date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }, ['ruleCode', 'description', 'date']),
    handler: async ({ user, body }, v) => ({ claim: await v.require<PointClaimState>('point_claim', await v.run(partyCommands.claim, user, body), 'claim') }),
  });

  router.route({
    method: 'GET',
    url: '/party/sessions',
    summary: '三会一课 sessions I may see (a member: my branch; record keepers and cadres: all), newest first',
    reply: replies.many('sessions', 'PartySession'),
    access: 'party.read',
    handler: async ({ user }, v) => ({ sessions: await v.read((look) => visibleSessions(look, user)) }),
  });

  // A leave request is a new record (201), a sign-in a change to the session (200): as on the edge.
  const sessionAction = <B>(path: string, status: 200 | 201, body: object, command: (look: GovernanceLookups, actor: Actor, id: string, input: B) => CommandResult) =>
    router.route<B, unknown, { id: string }>({
      method: 'POST',
      url: `/party/sessions/:id/${path}`,
      summary: `三会一课: ${path}`,
      reply: replies.one('session', 'PartySession'),
      access: 'party.attend',
      status,
      params: { id: ID },
      body,
      handler: async ({ user, body: b, params }, v) => ({ session: await v.require<PartySessionState>('party_session', await v.run(command, user, params.id, b), 'session') }),
    });
  sessionAction<{ mode: 'onsite' | 'remote' }>('check-in', 200, obj({ mode: { enum: ['onsite', 'remote'] } }, ['mode']), partyCommands.checkIn);
  sessionAction<{ reason: string }>('leave', 201, obj({ reason: text(2000, 1) }, ['reason']), partyCommands.requestLeave);
}
