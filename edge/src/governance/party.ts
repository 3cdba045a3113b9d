import {
  addPointsEntry,
  approveClaim,
  assessDues,
  cancelSession,
  checkIn,
  claimPoints,
  createMember,
  createSession,
  decideLeave,
  duesStatus,
  finalizeSession,
  ledgerReply,
  memberLedger,
  memberOf,
  partyMembers,
  partyRanking,
  partySessions,
  payDues,
  pointsRule,
  pointsRules,
  rankingReply,
  rejectClaim,
  requestLeave,
  requireEntity,
  requireVisibleClaim,
  setPointsRule,
  updateMember,
  updateSession,
  visibleClaims,
  voidPointsEntry,
  withdrawClaim,
  type ClaimInput,
  type CommandResult,
  type DuesStatus,
  type GovernanceLookups,
  type Ledger,
  type LedgerReply,
  type MemberFields,
  type PartyMemberState,
  type PartySessionState,
  type PointClaimState,
  type PointsRule,
  type PointsRuleFields,
  type RankRow,
  type RankingPeriod,
  type SessionFields,
  type SessionType,
} from '@cunbox/shared';
import type { Actor, GovContext } from './common.ts';
import { edgeLookups } from './lookups.ts';

export type { DuesStatus, MemberFields, SessionFields };

/**
 * Party building on the edge: members, the points ledger, TOP10 rankings,
 * 三会一课 sessions and dues. Every rule is a shared command or view; this
 * reads the op store, calls it and commits what it answers.
 */
export class PartyService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  #look(): GovernanceLookups {
    return edgeLookups(this.#ctx);
  }

  #commit(r: CommandResult): void {
    if (r.drafts.length > 0) this.#ctx.store.commit(r.actor, r.drafts);
  }

  // — members —

  createMember(actor: Actor, fields: MemberFields & { name: string; branch: string }): PartyMemberState {
    const r = createMember(actor, fields, this.#look());
    this.#commit(r);
    return this.member(r.entityId);
  }

  updateMember(actor: Actor, id: string, fields: MemberFields): PartyMemberState {
    this.#commit(updateMember(this.member(id), actor, fields, this.#look()));
    return this.member(id);
  }

  member(id: string): PartyMemberState {
    return requireEntity<PartyMemberState>(this.#ctx.store, 'party_member', id, 'party member');
  }

  members(filter: { branch?: string } = {}): PartyMemberState[] {
    return partyMembers(this.#ctx.store.list<PartyMemberState>('party_member'), filter);
  }

  memberOf(username: string): PartyMemberState | undefined {
    return memberOf(this.#ctx.store, username);
  }

  // — points rules —

  rules(): PointsRule[] {
    return pointsRules(this.#ctx.store);
  }

  rule(code: string): PointsRule | undefined {
    return pointsRule(this.#ctx.store, code);
  }

  setRule(actor: Actor, code: string, fields: PointsRuleFields): PointsRule {
    this.#commit(setPointsRule(actor, code, fields, this.#look()));
    return this.rule(code)!;
  }

  // — points: claims, manual entries, ledger, rankings —

  claim(actor: Actor, input: ClaimInput): PointClaimState {
    const r = claimPoints(actor, input, this.#look());
    this.#commit(r);
    return this.claimById(actor, r.entityId);
  }

  claims(viewer: Actor, filter: { status?: string } = {}): PointClaimState[] {
    return visibleClaims(this.#ctx.store.list<PointClaimState>('point_claim'), viewer, filter);
  }

  claimById(viewer: Actor, id: string): PointClaimState {
    return requireVisibleClaim(this.#ctx.store, viewer, id);
  }

  /** Approves a claim and records its ledger entry in the same transaction. */
  approveClaim(actor: Actor, id: string, note?: string): PointClaimState {
    this.#commit(approveClaim(this.claimById(actor, id), actor, { note }, this.#look()));
    return this.claimById(actor, id);
  }

  rejectClaim(actor: Actor, id: string, reason: string): PointClaimState {
    this.#commit(rejectClaim(this.claimById(actor, id), actor, { reason }));
    return this.claimById(actor, id);
  }

  withdrawClaim(actor: Actor, id: string): PointClaimState {
    this.#commit(withdrawClaim(this.claimById(actor, id), actor));
    return this.claimById(actor, id);
  }

  /** A secretary's entry (e.g. a deduction for leave without make-up). */
  addEntry(actor: Actor, input: { memberId: string; ruleCode: string; date: string; quantity?: number; note?: string }): PartyMemberState {
    const { memberId, ...rest } = input;
    this.#commit(addPointsEntry(this.member(memberId), actor, rest, this.#look()));
    return this.member(memberId);
  }

  voidEntry(actor: Actor, memberId: string, entryId: string, reason: string): PartyMemberState {
    this.#commit(voidPointsEntry(this.member(memberId), actor, { entryId, reason }));
    return this.member(memberId);
  }

  ledger(memberId: string): Ledger {
    return memberLedger(this.member(memberId), this.#ctx.store);
  }

  /** The ledger as the viewer may read it (the record keepers, or the member). */
  ledgerFor(viewer: Actor, memberId: string): LedgerReply {
    return ledgerReply(viewer, this.member(memberId), this.#ctx.store);
  }

  /** The ranking a request asks for (this month when no period is given). */
  rankingFor(query: { period?: string; branch?: string; limit?: number }): { period: string; ranking: RankRow[] } {
    return rankingReply(this.#look(), query);
  }

  ranking(period: RankingPeriod, opts: { branch?: string; limit?: number } = {}): RankRow[] {
    return partyRanking(this.#look(), period, opts);
  }

  // — 三会一课 sessions —

  createSession(actor: Actor, fields: SessionFields & { sessionType: SessionType; title: string; branch: string; startAt: number }): PartySessionState {
    const r = createSession(actor, fields, this.#look());
    this.#commit(r);
    return this.session(r.entityId);
  }

  /** Notice, schedule, minutes, resolution, photos. */
  updateSession(actor: Actor, id: string, fields: SessionFields): PartySessionState {
    this.#commit(updateSession(this.session(id), actor, fields, this.#look()));
    return this.session(id);
  }

  session(id: string): PartySessionState {
    return requireEntity<PartySessionState>(this.#ctx.store, 'party_session', id, 'session');
  }

  sessions(filter: { branch?: string } = {}): PartySessionState[] {
    return partySessions(this.#ctx.store.list<PartySessionState>('party_session'), filter);
  }

  checkIn(actor: Actor, id: string, input: { mode: 'onsite' | 'remote'; memberId?: string }): PartySessionState {
    this.#commit(checkIn(this.session(id), actor, input, this.#look()));
    return this.session(id);
  }

  requestLeave(actor: Actor, id: string, reason: string): PartySessionState {
    this.#commit(requestLeave(this.session(id), actor, { reason }, this.#look()));
    return this.session(id);
  }

  decideLeave(actor: Actor, id: string, leaveId: string, approved: boolean): PartySessionState {
    this.#commit(decideLeave(this.session(id), actor, { leaveId, approved }));
    return this.session(id);
  }

  finalize(actor: Actor, id: string): { session: PartySessionState; attended: string[]; excused: string[]; absent: string[] } {
    const r = finalizeSession(this.session(id), actor, this.#look());
    this.#commit(r);
    return { session: this.session(id), attended: r.attended, excused: r.excused, absent: r.absent };
  }

  cancelSession(actor: Actor, id: string, reason: string): PartySessionState {
    this.#commit(cancelSession(this.session(id), actor, { reason }));
    return this.session(id);
  }

  // — dues —

  payDues(actor: Actor, memberId: string, input: { months: string[]; amountFen: number }): PartyMemberState {
    this.#commit(payDues(this.member(memberId), actor, input, this.#look()));
    return this.member(memberId);
  }

  duesStatus(opts: { branch?: string } = {}): DuesStatus[] {
    return duesStatus(this.#ctx.store.list<PartyMemberState>('party_member'), this.#ctx.clock.now(), opts);
  }

  /** The "dues not paid" deduction for a month that has ended; running it again changes nothing. */
  assessDues(actor: Actor, month: string): { deducted: string[] } {
    const r = assessDues(actor, { month }, this.#look());
    this.#commit(r);
    return { deducted: r.deducted };
  }
}
