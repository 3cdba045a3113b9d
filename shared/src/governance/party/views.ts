import { CunboxError } from '../../platform/errors.ts';
import { forbid, requireEntity, type Actor, type GovernanceLookups } from '../command.ts';
import { monthsOwed, type PartyMemberState, type PartySessionState, type PointClaimState, type PointsEntry } from '../party.ts';
import { parsePeriod, rankMembers, type RankRow, type RankingPeriod } from '../ranking.ts';
import { chinaMonth } from '../time.ts';
import { allows } from '../../auth/permissions.ts';
import { canSeeClaim, claimCounts, keepsPartyRecords, memberOf, seesLedgerOf } from './rules.ts';

/** Members of `all`, of one branch if given, by name. */
export function partyMembers(all: readonly PartyMemberState[], filter: { branch?: string } = {}): PartyMemberState[] {
  return all.filter((m) => !filter.branch || m.branch === filter.branch).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
}

/** Sessions of `all` (newest first, as stored), of one branch if given. */
function partySessions(all: readonly PartySessionState[], filter: { branch?: string } = {}): PartySessionState[] {
  return all.filter((s) => !filter.branch || s.branch === filter.branch);
}

/**
 * Which branch's sessions the viewer may see: the record keepers and those who
 * oversee the party's work without attending its meetings (a cadre) every
 * branch (`'all'`); a member their own; an account that attends meetings but
 * is not yet linked to a member none (`null`), since it has no branch.
 */
function sessionScope(look: Pick<GovernanceLookups, 'list'>, viewer: Actor): 'all' | string | null {
  if (keepsPartyRecords(viewer)) return 'all';
  const own = memberOf(look, viewer.username);
  if (own) return own.branch;
  return allows(viewer.role, 'party.attend') ? null : 'all';
}

/** The sessions the viewer may see (sessionScope), of one branch if asked. */
export function visibleSessions(look: Pick<GovernanceLookups, 'list'>, viewer: Actor, filter: { branch?: string } = {}): PartySessionState[] {
  const scope = sessionScope(look, viewer);
  if (scope === null || (scope !== 'all' && filter.branch && filter.branch !== scope)) return [];
  return partySessions(look.list<PartySessionState>('party_session'), scope === 'all' ? filter : { branch: scope });
}

/** One session the viewer may see (sessionScope); any other answers as if it did not exist. */
export function requireVisibleSession(look: Pick<GovernanceLookups, 'list' | 'get'>, viewer: Actor, id: string): PartySessionState {
  const s = requireEntity<PartySessionState>(look, 'party_session', id, 'session');
  const scope = sessionScope(look, viewer);
  if (scope === 'all' || scope === s.branch) return s;
  throw new CunboxError('NOT_FOUND', `no session ${id}`);
}

/** The claims the viewer may see: the record keepers all, a member their own. */
export function visibleClaims(all: readonly PointClaimState[], viewer: Actor, filter: { status?: string } = {}): PointClaimState[] {
  return all.filter((c) => (!filter.status || c.status === filter.status) && canSeeClaim(viewer, c));
}

/** One claim; one the viewer may not see answers as if it did not exist. */
export function requireVisibleClaim(look: Pick<GovernanceLookups, 'get'>, viewer: Actor, id: string): PointClaimState {
  const c = look.get<PointClaimState>('point_claim', id);
  if (!c || !canSeeClaim(viewer, c)) throw new CunboxError('NOT_FOUND', `no claim ${id}`);
  return c;
}

export interface Ledger {
  member: PartyMemberState;
  entries: Array<PointsEntry & { counts: boolean }>;
  total: number;
}

/** A member's entries, each marked whether it counts, and the total of those that do. */
export function memberLedger(member: PartyMemberState, look: Pick<GovernanceLookups, 'get'>): Ledger {
  const counts = claimCounts(look);
  const entries = member.points.map((e) => ({ ...e, counts: counts(e) }));
  return { member, entries, total: entries.reduce((sum, e) => sum + (e.counts ? e.effective : 0), 0) };
}

/** A ledger as the APIs answer it. */
export interface LedgerReply {
  memberId: string;
  name: string;
  total: number;
  entries: Ledger['entries'];
}

/** The ledger as the API answers it, for the record keepers or the member. */
export function ledgerReply(viewer: Actor, member: PartyMemberState, look: Pick<GovernanceLookups, 'get'>): LedgerReply {
  if (!seesLedgerOf(viewer, member)) forbid('members see only their own ledger');
  const l = memberLedger(member, look);
  return { memberId: member.id, name: member.name, total: l.total, entries: l.entries };
}

/** TOP-N by the points that count. */
export function partyRanking(look: Pick<GovernanceLookups, 'get' | 'list'>, period: RankingPeriod, opts: { branch?: string; limit?: number } = {}): RankRow[] {
  return rankMembers(partyMembers(look.list<PartyMemberState>('party_member')), period, { ...opts, counts: claimCounts(look) });
}

/** The ranking a request asks for: period YYYY-MM, YYYY-Qn, YYYY or all; this month when none is given. */
export function rankingReply(look: Pick<GovernanceLookups, 'get' | 'list' | 'now'>, query: { period?: string; branch?: string; limit?: number }): { period: string; ranking: RankRow[] } {
  const period = query.period ?? chinaMonth(look.now);
  const p = parsePeriod(period);
  if (!p) throw new CunboxError('INVALID_INPUT', `period: ${period}`);
  return { period, ranking: partyRanking(look, p, { branch: query.branch, limit: query.limit ?? 10 }) };
}

export interface DuesStatus {
  memberId: string;
  name: string;
  branch: string;
  standardFen: number;
  lastPaidMonth: string | null;
  monthsOwed: string[];
  owedFen: number;
}

/** Per active member: the standard, the last month paid and the months owed up to this month. */
export function duesStatus(all: readonly PartyMemberState[], now: number, filter: { branch?: string } = {}): DuesStatus[] {
  const current = chinaMonth(now);
  return partyMembers(all, filter)
    .filter((m) => m.active)
    .map((m) => {
      const owed = monthsOwed(m, current);
      return { memberId: m.id, name: m.name, branch: m.branch, standardFen: m.duesStandardFen, lastPaidMonth: m.lastPaidMonth, monthsOwed: owed, owedFen: owed.length * m.duesStandardFen };
    });
}
