import {
  duesStatus,
  ledgerReply,
  memberLedger,
  memberOf,
  partyCommands as commands,
  partyMembers,
  partyRanking,
  pointsRule,
  pointsRules,
  rankingReply,
  requireEntity,
  requireVisibleClaim,
  requireVisibleSession,
  visibleClaims,
  visibleSessions,
  type ClaimInput,
  type DuesStatus,
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
import { execute, lookupsOf, type Actor, type GovContext } from './common.ts';

export type { DuesStatus, MemberFields, SessionFields };

/**
 * Party building on the edge: members, the points ledger, TOP10 rankings,
 * 三会一课 sessions and dues. Every rule is a shared command or view; this
 * reads the op store, runs it and commits what it answers.
 */
export class PartyService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  // — members —

  createMember(actor: Actor, fields: MemberFields & { name: string; branch: string }): PartyMemberState {
    return this.member(execute(this.#ctx, commands.createMember, actor, fields));
  }

  updateMember(actor: Actor, id: string, fields: MemberFields): PartyMemberState {
    execute(this.#ctx, commands.updateMember, actor, id, fields);
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
    execute(this.#ctx, commands.setRule, actor, code, fields);
    return this.rule(code)!;
  }

  // — points: claims, manual entries, ledger, rankings —

  claim(actor: Actor, input: ClaimInput): PointClaimState {
    return this.claimById(actor, execute(this.#ctx, commands.claim, actor, input));
  }

  claims(viewer: Actor, filter: { status?: string } = {}): PointClaimState[] {
    return visibleClaims(this.#ctx.store.list<PointClaimState>('point_claim'), viewer, filter);
  }

  claimById(viewer: Actor, id: string): PointClaimState {
    return requireVisibleClaim(this.#ctx.store, viewer, id);
  }

  /** Approves a claim and records its ledger entry in the same transaction. */
  approveClaim(actor: Actor, id: string, note?: string): PointClaimState {
    execute(this.#ctx, commands.approveClaim, actor, id, { note });
    return this.claimById(actor, id);
  }

  rejectClaim(actor: Actor, id: string, reason: string): PointClaimState {
    execute(this.#ctx, commands.rejectClaim, actor, id, { reason });
    return this.claimById(actor, id);
  }

  withdrawClaim(actor: Actor, id: string): PointClaimState {
    execute(this.#ctx, commands.withdrawClaim, actor, id);
    return this.claimById(actor, id);
  }

  /** A secretary's entry (e.g. a deduction for leave without make-up). */
  addEntry(actor: Actor, input: { memberId: string; ruleCode: string; date: string; quantity?: number; note?: string }): PartyMemberState {
    const { memberId, ...entry } = input;
    execute(this.#ctx, commands.addEntry, actor, memberId, entry);
    return this.member(memberId);
  }

  voidEntry(actor: Actor, memberId: string, entryId: string, reason: string): PartyMemberState {
    execute(this.#ctx, commands.voidEntry, actor, memberId, { entryId, reason });
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
    return rankingReply(lookupsOf(this.#ctx), query);
  }

  ranking(period: RankingPeriod, opts: { branch?: string; limit?: number } = {}): RankRow[] {
    return partyRanking(this.#ctx.store, period, opts);
  }

  // — 三会一课 sessions —

  createSession(actor: Actor, fields: SessionFields & { sessionType: SessionType; title: string; branch: string; startAt: number }): PartySessionState {
    return this.session(execute(this.#ctx, commands.createSession, actor, fields));
  }

  /** Notice, schedule, minutes, resolution, photos. */
  updateSession(actor: Actor, id: string, fields: SessionFields): PartySessionState {
    execute(this.#ctx, commands.updateSession, actor, id, fields);
    return this.session(id);
  }

  session(id: string): PartySessionState {
    return requireEntity<PartySessionState>(this.#ctx.store, 'party_session', id, 'session');
  }

  /** The sessions `viewer` may see (visibleSessions), of one branch if asked. */
  sessions(viewer: Actor, filter: { branch?: string } = {}): PartySessionState[] {
    return visibleSessions(this.#ctx.store, viewer, filter);
  }

  /** One session as `viewer` may see it: another branch's answers NOT_FOUND. */
  visibleSession(viewer: Actor, id: string): PartySessionState {
    return requireVisibleSession(this.#ctx.store, viewer, id);
  }

  checkIn(actor: Actor, id: string, input: { mode: 'onsite' | 'remote'; memberId?: string }): PartySessionState {
    execute(this.#ctx, commands.checkIn, actor, id, input);
    return this.session(id);
  }

  requestLeave(actor: Actor, id: string, reason: string): PartySessionState {
    execute(this.#ctx, commands.requestLeave, actor, id, { reason });
    return this.session(id);
  }

  decideLeave(actor: Actor, id: string, leaveId: string, approved: boolean): PartySessionState {
    execute(this.#ctx, commands.decideLeave, actor, id, { leaveId, approved });
    return this.session(id);
  }

  finalize(actor: Actor, id: string): { session: PartySessionState; attended: string[]; excused: string[]; absent: string[] } {
    const r = commands.finalize(lookupsOf(this.#ctx), actor, id);
    this.#ctx.store.commit(r.actor, r.drafts);
    return { session: this.session(id), attended: r.attended, excused: r.excused, absent: r.absent };
  }

  cancelSession(actor: Actor, id: string, reason: string): PartySessionState {
    execute(this.#ctx, commands.cancelSession, actor, id, { reason });
    return this.session(id);
  }

  // — dues —

  payDues(actor: Actor, memberId: string, input: { months: string[]; amountFen: number }): PartyMemberState {
    execute(this.#ctx, commands.payDues, actor, memberId, input);
    return this.member(memberId);
  }

  duesStatus(opts: { branch?: string } = {}): DuesStatus[] {
    return duesStatus(this.#ctx.store.list<PartyMemberState>('party_member'), this.#ctx.clock.now(), opts);
  }

  /** The "dues not paid" deduction for a month that has ended; running it again changes nothing. */
  assessDues(actor: Actor, month: string): { deducted: string[] } {
    const r = commands.assessDues(lookupsOf(this.#ctx), actor, { month });
    // Nothing owed: no transaction, no empty change to sync.
    if (r.drafts.length > 0) this.#ctx.store.commit(r.actor, r.drafts);
    return { deducted: r.deducted };
  }
}
