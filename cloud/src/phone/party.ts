/**
 * Party building on the phone: the TOP10 ranking and a member's points
 * ledger, answered by the shared views over the village's store.
 */
import { memberOf, ledgerReply, rankingReply, requireEntity, type PartyMemberState } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { ID, line, obj, type PhoneContext } from './context.ts';
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
    handler: async ({ query }, v) => rankingReply(v.lookups(), query),
  });

  router.route({
    method: 'GET',
    url: '/party/me/points',
    summary: 'My points ledger and total',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    handler: async ({ user }, v) => {
      const m = memberOf(v, user.username);
      if (!m) throw ctx.fail('NOT_FOUND', 'your account is not linked to a party member');
      return ledgerReply(user, m, v);
    },
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/party/members/:id/points',
    summary: 'A member\'s ledger and total (managers, or the member)',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    params: { id: ID },
    handler: async ({ user, params }, v) => ledgerReply(user, requireEntity<PartyMemberState>(v, 'party_member', params.id, 'party member'), v),
  });
}
