/**
 * Party building on the phone: the TOP10 ranking and a member's points ledger,
 * computed as the edge computes them (shared rankMembers; an entry from a
 * claim counts only while the claim is approved).
 */
import { chinaMonth, parsePeriod, rankMembers, type PartyMemberState, type PointClaimState, type PointsEntry } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { ID, line, obj, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

const MANAGERS = new Set(['admin', 'party_secretary']);
const PERIOD = { type: 'string', pattern: '^(all|\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?)$' };

/** The edge's PartyService #counts. */
function counts(v: Village): (e: PointsEntry) => boolean {
  const cache = new Map<string, boolean>();
  return (e) => {
    if (e.source.type !== 'claim' || !e.source.id) return true;
    const id = e.source.id;
    if (!cache.has(id)) cache.set(id, v.get<PointClaimState>('point_claim', id)?.status === 'approved');
    return cache.get(id)!;
  };
}

export function partyRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  router.route<unknown, { period?: string; branch?: string; limit?: number }>({
    method: 'GET',
    url: '/party/ranking',
    summary: 'TOP10 by ledger points: period YYYY-MM, YYYY-Qn, YYYY or all (default: this month)',
    reply: replies.ref('Ranking'),
    access: 'party.read',
    query: obj({ period: PERIOD, branch: line(64), limit: { type: 'integer', minimum: 1, maximum: 100 } }),
    handler: async ({ query }, v) => {
      const period = query.period ?? chinaMonth(ctx.now());
      const p = parsePeriod(period);
      if (!p) throw ctx.fail('INVALID_INPUT', `period: ${period}`);
      return { period, ranking: rankMembers(v.list<PartyMemberState>('party_member'), p, { branch: query.branch, limit: query.limit ?? 10, counts: counts(v) }) };
    },
  });

  const ledger = (v: Village, m: PartyMemberState) => {
    const count = counts(v);
    const entries = m.points.map((e) => ({ ...e, counts: count(e) }));
    return { memberId: m.id, name: m.name, total: entries.reduce((sum, e) => sum + (e.counts ? e.effective : 0), 0), entries };
  };

  router.route({
    method: 'GET',
    url: '/party/me/points',
    summary: 'My points ledger and total',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    handler: async ({ user }, v) => {
      const m = v.list<PartyMemberState>('party_member').find((x) => x.username === user.username);
      if (!m) throw ctx.fail('NOT_FOUND', 'your account is not linked to a party member');
      return ledger(v, m);
    },
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/party/members/:id/points',
    summary: 'A member\'s ledger and total (managers, or the member)',
    reply: replies.ref('Ledger'),
    access: 'party.read',
    params: { id: ID },
    handler: async ({ user, params }, v) => {
      const m = v.require<PartyMemberState>('party_member', params.id, 'party member');
      if (!MANAGERS.has(user.role) && m.username !== user.username) throw ctx.fail('FORBIDDEN', 'members see only their own ledger');
      return ledger(v, m);
    },
  });
}
