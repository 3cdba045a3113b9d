import { PARTY_MANAGERS } from '../../auth/permissions.ts';
import type { OpDraft } from '../../oplog/types.ts';
import { DEFAULT_POINTS_RULES, type PointsRule } from '../config.ts';
import { CunboxError } from '../../platform/errors.ts';
import type { Actor, GovernanceLookups } from '../command.ts';
import { isDate } from '../time.ts';
import type { PartyMemberState, PointClaimState, PointsEntry } from '../party.ts';

/** Who keeps the records sees every member's ledger and every claim; a member their own. */
export function keepsPartyRecords(viewer: Pick<Actor, 'role'>): boolean {
  return PARTY_MANAGERS.has(viewer.role);
}

/** Whether the viewer may read this member's points, payments and dues. */
export function seesLedgerOf(viewer: Actor, m: Pick<PartyMemberState, 'username'>): boolean {
  return keepsPartyRecords(viewer) || m.username === viewer.username;
}

/** A member as the viewer sees them: another member's ledger and dues are left out. */
export function memberView(viewer: Actor, m: PartyMemberState): PartyMemberState {
  return seesLedgerOf(viewer, m) ? m : { ...m, points: [], payments: [], paidMonths: [], lastPaidMonth: null };
}

export function canSeeClaim(viewer: Actor, c: PointClaimState): boolean {
  return keepsPartyRecords(viewer) || c.createdBy === viewer.username;
}

/** The member linked to an account, if any. */
export function memberOf(look: Pick<GovernanceLookups, 'list'>, username: string): PartyMemberState | undefined {
  return look.list<PartyMemberState>('party_member').find((m) => m.username === username);
}

/** A points rule that exists (built in or added), active or not. */
export function pointsRule(look: Pick<GovernanceLookups, 'getOrInit'>, code: string): PointsRule | undefined {
  const r = look.getOrInit<PointsRule>('points_rule', code);
  return r.exists ? r : undefined;
}

/** Every rule: the built-in ones and those added, by code. */
export function pointsRules(look: Pick<GovernanceLookups, 'getOrInit' | 'list'>): PointsRule[] {
  const codes = new Set([...Object.keys(DEFAULT_POINTS_RULES), ...look.list<PointsRule>('points_rule').map((c) => c.id)]);
  return [...codes].sort().map((code) => look.getOrInit<PointsRule>('points_rule', code));
}

/**
 * Whether a ledger entry counts: one from a claim counts only while the claim
 * is approved (a claim's entry and its status arrive as two ops, which sync
 * may deliver apart).
 */
export function claimCounts(look: Pick<GovernanceLookups, 'get'>): (e: PointsEntry) => boolean {
  const cache = new Map<string, boolean>();
  return (e) => {
    if (e.source.type !== 'claim' || !e.source.id) return true;
    const id = e.source.id;
    if (!cache.has(id)) cache.set(id, look.get<PointClaimState>('point_claim', id)?.status === 'approved');
    return cache.get(id)!;
  };
}

/** The pattern lets 2026-02-30 through; the calendar does not. */
export function requireDate(date: string): void {
  if (!isDate(date)) throw new CunboxError('INVALID_INPUT', `date: ${date} is not a calendar date`);
}

/** A ledger entry for a rule, as the rule stands now (later rule changes do not rewrite it). */
export function entryDraft(memberId: string, entryId: string, rule: PointsRule, points: number, date: string, source: PointsEntry['source'], note: string | null): OpDraft {
  return {
    entityKind: 'party_member',
    entityId: memberId,
    type: 'party_member.points',
    payload: { entryId, ruleCode: rule.id, ruleName: rule.name, points, cap: rule.cap, date, source, note },
  };
}
