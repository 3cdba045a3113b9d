import {
  CLAIM_TRANSITIONS,
  DEFAULT_POINTS_RULES,
  SESSION_TRANSITIONS,
  chinaDate,
  chinaMonth,
  isDate,
  monthsOwed,
  newId,
  rankMembers,
  rulePoints,
  type OpDraft,
  type PartyMemberState,
  type PartySessionState,
  type PointClaimState,
  type PointsEntry,
  type PointsRule,
  type RankRow,
  type RankingPeriod,
  type SessionType,
} from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { defined, forbid, newEntityId, requireEntity, statusDraft, type Actor, type GovContext } from './common.ts';

const MANAGERS = new Set(['admin', 'party_secretary']);

export interface MemberFields {
  name?: string;
  username?: string | null;
  branch?: string;
  livingAway?: boolean;
  joinedOn?: string | null;
  duesStandardFen?: number;
  duesStartMonth?: string | null;
  active?: boolean;
}

export interface SessionFields {
  sessionType?: SessionType;
  title?: string;
  branch?: string;
  startAt?: number;
  durationMinutes?: number;
  checkInBeforeMinutes?: number;
  checkInAfterMinutes?: number;
  remoteAllowed?: boolean;
  location?: string | null;
  notice?: string | null;
  minutes?: string | null;
  resolution?: string | null;
  photos?: string[];
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

/**
 * Party building: members, the points ledger (claims, automatic entries from
 * meetings and dues), TOP10 rankings, 三会一课 sessions and dues.
 */
export class PartyService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  // — members —

  createMember(actor: Actor, fields: MemberFields & { name: string; branch: string }): PartyMemberState {
    this.#checkMemberFields(fields);
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_member', entityId: id, type: 'party_member.created', payload: { fields: defined({ ...fields }) } }]);
    return this.member(id);
  }

  updateMember(actor: Actor, id: string, fields: MemberFields): PartyMemberState {
    this.member(id);
    this.#checkMemberFields(fields);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_member', entityId: id, type: 'party_member.updated', payload: { fields: defined({ ...fields }) } }]);
    return this.member(id);
  }

  member(id: string): PartyMemberState {
    return requireEntity<PartyMemberState>(this.#ctx, 'party_member', id, 'party member');
  }

  members(filter: { branch?: string } = {}): PartyMemberState[] {
    const all = this.#ctx.store.list<PartyMemberState>('party_member', filter.branch ? { filter: "json_extract(state, '$.branch') = ?", params: [filter.branch] } : {});
    return all.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  }

  memberOf(username: string): PartyMemberState | undefined {
    return this.#ctx.store.list<PartyMemberState>('party_member', { filter: "json_extract(state, '$.username') = ?", params: [username], limit: 1 })[0];
  }

  #checkMemberFields(f: MemberFields): void {
    if (f.joinedOn) checkDate(f.joinedOn);
    if (f.username) {
      if (!this.#ctx.users.getByUsername(f.username)) throw new CunboxError('INVALID_INPUT', `username: no user ${f.username}`);
      const other = this.memberOf(f.username);
      if (other) throw new CunboxError('CONFLICT', `username: ${f.username} is already linked to member ${other.name}`);
    }
  }

  // — points rules —

  rules(): PointsRule[] {
    const stored = this.#ctx.store.list<PointsRule>('points_rule');
    const codes = new Set([...Object.keys(DEFAULT_POINTS_RULES), ...stored.map((c) => c.id)]);
    return [...codes].sort().map((code) => this.#ctx.store.getOrInit<PointsRule>('points_rule', code));
  }

  rule(code: string): PointsRule | undefined {
    const r = this.#ctx.store.getOrInit<PointsRule>('points_rule', code);
    return r.exists ? r : undefined;
  }

  setRule(actor: Actor, code: string, fields: Partial<Pick<PointsRule, 'name' | 'points' | 'tiers' | 'cap' | 'selfClaim' | 'active'>>): PointsRule {
    if (!this.rule(code) && (fields.name === undefined || (fields.points === undefined && !fields.tiers))) throw new CunboxError('INVALID_INPUT', 'a new rule needs a name and points or tiers');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'points_rule', entityId: code, type: 'points_rule.set', payload: { fields: defined(fields) } }]);
    return this.rule(code)!;
  }

  // — points: claims, manual entries, ledger, rankings —

  claim(actor: Actor, input: { ruleCode: string; quantity?: number; description: string; evidence?: string[]; date: string }): PointClaimState {
    const member = this.memberOf(actor.username);
    if (!member) throw new CunboxError('INVALID_INPUT', 'your account is not linked to a party member');
    checkDate(input.date);
    const rule = this.rule(input.ruleCode);
    if (!rule || !rule.active || !rule.selfClaim) throw new CunboxError('INVALID_INPUT', `ruleCode: ${input.ruleCode} cannot be claimed`);
    if (rule.tiers && input.quantity === undefined) throw new CunboxError('INVALID_INPUT', `quantity: ${rule.name} is counted by quantity (e.g. hours)`);
    this.#ctx.media.requireAll(input.evidence ?? [], 'image');
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [
      { entityKind: 'point_claim', entityId: id, type: 'point_claim.created', payload: { memberId: member.id, ruleCode: rule.id, quantity: input.quantity ?? null, description: input.description, evidence: input.evidence ?? [], date: input.date } },
    ]);
    return this.claimById(actor, id);
  }

  claims(viewer: Actor, filter: { status?: string } = {}): PointClaimState[] {
    const all = this.#ctx.store.list<PointClaimState>('point_claim', filter.status ? { filter: "json_extract(state, '$.status') = ?", params: [filter.status] } : {});
    return MANAGERS.has(viewer.role) ? all : all.filter((c) => c.createdBy === viewer.username);
  }

  claimById(viewer: Actor, id: string): PointClaimState {
    const c = requireEntity<PointClaimState>(this.#ctx, 'point_claim', id, 'claim');
    if (!MANAGERS.has(viewer.role) && c.createdBy !== viewer.username) throw new CunboxError('NOT_FOUND', `no claim ${id}`);
    return c;
  }

  /** Approves a claim and records its ledger entry in the same transaction. */
  approveClaim(actor: Actor, id: string, note?: string): PointClaimState {
    const c = this.claimById(actor, id);
    if (c.createdBy === actor.username) forbid('a claim is approved by someone other than the claimant');
    const rule = this.rule(c.ruleCode ?? '');
    if (!rule) throw new CunboxError('CONFLICT', `rule ${c.ruleCode} no longer exists`);
    const entry = this.#entryDraft(c.memberId!, `claim:${c.id}`, rule, rulePoints(rule, c.quantity), c.date!, { type: 'claim', id: c.id }, note ?? null);
    this.#ctx.store.commit(actor.username, [statusDraft(c, CLAIM_TRANSITIONS, 'approved', { note: note ?? null }), entry]);
    return this.claimById(actor, id);
  }

  rejectClaim(actor: Actor, id: string, reason: string): PointClaimState {
    const c = this.claimById(actor, id);
    this.#ctx.store.commit(actor.username, [statusDraft(c, CLAIM_TRANSITIONS, 'rejected', { note: reason })]);
    return this.claimById(actor, id);
  }

  withdrawClaim(actor: Actor, id: string): PointClaimState {
    const c = this.claimById(actor, id);
    if (c.createdBy !== actor.username) forbid('only the claimant can withdraw a claim');
    this.#ctx.store.commit(actor.username, [statusDraft(c, CLAIM_TRANSITIONS, 'withdrawn')]);
    return this.claimById(actor, id);
  }

  /** A secretary's entry (e.g. a deduction for leave without make-up). */
  addEntry(actor: Actor, input: { memberId: string; ruleCode: string; date: string; quantity?: number; note?: string }): PartyMemberState {
    this.member(input.memberId);
    checkDate(input.date);
    const rule = this.rule(input.ruleCode);
    if (!rule || !rule.active) throw new CunboxError('INVALID_INPUT', `ruleCode: no active rule ${input.ruleCode}`);
    this.#ctx.store.commit(actor.username, [this.#entryDraft(input.memberId, `manual:${newId(this.#ctx.clock.now())}`, rule, rulePoints(rule, input.quantity ?? null), input.date, { type: 'manual', id: null }, input.note ?? null)]);
    return this.member(input.memberId);
  }

  voidEntry(actor: Actor, memberId: string, entryId: string, reason: string): PartyMemberState {
    const m = this.member(memberId);
    const e = m.points.find((x) => x.id === entryId);
    if (!e) throw new CunboxError('NOT_FOUND', `no entry ${entryId}`);
    if (e.voided) throw new CunboxError('CONFLICT', 'entry already voided');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_member', entityId: memberId, type: 'party_member.points_voided', payload: { entryId, reason } }]);
    return this.member(memberId);
  }

  /** Whether a ledger entry counts: one from a claim counts only while the claim is approved. */
  #counts(): (e: PointsEntry) => boolean {
    const cache = new Map<string, boolean>();
    return (e) => {
      if (e.source.type !== 'claim' || !e.source.id) return true;
      const id = e.source.id;
      if (!cache.has(id)) cache.set(id, this.#ctx.store.get<PointClaimState>('point_claim', id)?.status === 'approved');
      return cache.get(id)!;
    };
  }

  ledger(memberId: string): { member: PartyMemberState; entries: Array<PointsEntry & { counts: boolean }>; total: number } {
    const member = this.member(memberId);
    const counts = this.#counts();
    const entries = member.points.map((e) => ({ ...e, counts: counts(e) }));
    return { member, entries, total: entries.reduce((sum, e) => sum + (e.counts ? e.effective : 0), 0) };
  }

  ranking(period: RankingPeriod, opts: { branch?: string; limit?: number } = {}): RankRow[] {
    return rankMembers(this.members(), period, { ...opts, counts: this.#counts() });
  }

  #entryDraft(memberId: string, entryId: string, rule: PointsRule, points: number, date: string, source: PointsEntry['source'], note: string | null): OpDraft {
    return {
      entityKind: 'party_member',
      entityId: memberId,
      type: 'party_member.points',
      payload: { entryId, ruleCode: rule.id, ruleName: rule.name, points, cap: rule.cap, date, source, note },
    };
  }

  // — 三会一课 sessions —

  createSession(actor: Actor, fields: SessionFields & { sessionType: SessionType; title: string; branch: string; startAt: number }): PartySessionState {
    if (fields.photos) this.#ctx.media.requireAll(fields.photos, 'image');
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_session', entityId: id, type: 'party_session.created', payload: { fields: defined({ ...fields }) } }]);
    return this.session(id);
  }

  /** Notice, schedule, minutes, resolution, photos. */
  updateSession(actor: Actor, id: string, fields: SessionFields): PartySessionState {
    const s = this.session(id);
    if (s.status === 'cancelled') throw new CunboxError('INVALID_TRANSITION', 'the session was cancelled');
    if (fields.photos) this.#ctx.media.requireAll(fields.photos, 'image');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_session', entityId: id, type: 'party_session.updated', payload: { fields: defined({ ...fields }) } }]);
    return this.session(id);
  }

  session(id: string): PartySessionState {
    return requireEntity<PartySessionState>(this.#ctx, 'party_session', id, 'session');
  }

  sessions(filter: { branch?: string } = {}): PartySessionState[] {
    return this.#ctx.store.list<PartySessionState>('party_session', filter.branch ? { filter: "json_extract(state, '$.branch') = ?", params: [filter.branch] } : {});
  }

  /**
   * A member signs in, from `checkInBeforeMinutes` before the start to
   * `checkInAfterMinutes` after it; remotely only when the session allows it.
   * A secretary may sign anyone in before the session is finalized (the paper sign-in sheet).
   */
  checkIn(actor: Actor, id: string, input: { mode: 'onsite' | 'remote'; memberId?: string }): PartySessionState {
    const s = this.session(id);
    if (s.status !== 'scheduled') throw new CunboxError('INVALID_TRANSITION', `the session is ${s.status}`);
    let memberId: string;
    if (input.memberId !== undefined && input.memberId !== this.memberOf(actor.username)?.id) {
      if (!MANAGERS.has(actor.role)) forbid('you can sign in only yourself');
      memberId = this.member(input.memberId).id;
    } else {
      const own = this.memberOf(actor.username);
      if (!own) throw new CunboxError('INVALID_INPUT', 'your account is not linked to a party member');
      memberId = own.id;
      const now = this.#ctx.clock.now();
      const opens = s.startAt! - s.checkInBeforeMinutes * 60_000;
      const closes = s.startAt! + s.checkInAfterMinutes * 60_000;
      if (now < opens || now > closes) throw new CunboxError('INVALID_TRANSITION', `check-in is open from ${new Date(opens).toISOString()} to ${new Date(closes).toISOString()}`);
    }
    if (input.mode === 'remote' && !s.remoteAllowed) throw new CunboxError('INVALID_INPUT', 'mode: this session has no remote attendance');
    if (s.attendance.some((a) => a.id === memberId)) throw new CunboxError('CONFLICT', 'already signed in');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_session', entityId: id, type: 'party_session.checkin', payload: { memberId, mode: input.mode } }]);
    return this.session(id);
  }

  requestLeave(actor: Actor, id: string, reason: string): PartySessionState {
    const s = this.session(id);
    const own = this.memberOf(actor.username);
    if (!own) throw new CunboxError('INVALID_INPUT', 'your account is not linked to a party member');
    if (s.status !== 'scheduled') throw new CunboxError('INVALID_TRANSITION', `the session is ${s.status}`);
    if (s.leaves.some((l) => l.memberId === own.id && l.decision !== 'rejected')) throw new CunboxError('CONFLICT', 'leave already requested');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_session', entityId: id, type: 'party_session.leave', payload: { leaveId: newId(this.#ctx.clock.now()), memberId: own.id, reason } }]);
    return this.session(id);
  }

  /** Leave requests are decided by the session's creator (or an admin). */
  decideLeave(actor: Actor, id: string, leaveId: string, approved: boolean): PartySessionState {
    const s = this.session(id);
    if (s.createdBy !== actor.username && actor.role !== 'admin') forbid('leave is decided by the session\'s creator');
    if (!s.leaves.some((l) => l.id === leaveId)) throw new CunboxError('NOT_FOUND', `no leave request ${leaveId}`);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'party_session', entityId: id, type: 'party_session.leave_decided', payload: { leaveId, approved } }]);
    return this.session(id);
  }

  /**
   * Closes the session's record: every active member of the branch who signed
   * in gets the attendance rule's points, everyone absent without approved
   * leave the missed-meeting deduction. Entry ids are made of the session and
   * the member, so finalizing on two nodes gives each member one entry.
   */
  finalize(actor: Actor, id: string): { session: PartySessionState; attended: string[]; excused: string[]; absent: string[] } {
    const s = this.session(id);
    if (this.#ctx.clock.now() < s.startAt!) throw new CunboxError('INVALID_TRANSITION', 'the session has not started yet');
    const attend = this.rule('attend_meeting');
    const missed = this.rule('missed_meeting');
    const date = chinaDate(s.startAt!);
    const attended: string[] = [];
    const excused: string[] = [];
    const absent: string[] = [];
    const drafts: OpDraft[] = [statusDraft(s, SESSION_TRANSITIONS, 'finalized')];
    for (const m of this.members({ branch: s.branch }).filter((x) => x.active)) {
      if (s.attendance.some((a) => a.id === m.id)) {
        attended.push(m.id);
        if (attend?.active) drafts.push(this.#entryDraft(m.id, `session:${s.id}:attend:${m.id}`, attend, attend.points, date, { type: 'session', id: s.id }, null));
      } else if (s.leaves.some((l) => l.memberId === m.id && l.decision === 'approved')) {
        excused.push(m.id);
      } else {
        absent.push(m.id);
        if (missed?.active) drafts.push(this.#entryDraft(m.id, `session:${s.id}:missed:${m.id}`, missed, missed.points, date, { type: 'session', id: s.id }, null));
      }
    }
    this.#ctx.store.commit(actor.username, drafts);
    return { session: this.session(id), attended, excused, absent };
  }

  cancelSession(actor: Actor, id: string, reason: string): PartySessionState {
    const s = this.session(id);
    this.#ctx.store.commit(actor.username, [statusDraft(s, SESSION_TRANSITIONS, 'cancelled', { note: reason })]);
    return this.session(id);
  }

  // — dues —

  payDues(actor: Actor, memberId: string, input: { months: string[]; amountFen: number }): PartyMemberState {
    const m = this.member(memberId);
    const months = [...new Set(input.months)].sort();
    const already = months.filter((x) => m.paidMonths.includes(x));
    if (already.length > 0) throw new CunboxError('CONFLICT', `already paid: ${already.join(', ')}`);
    this.#ctx.store.commit(actor.username, [
      { entityKind: 'party_member', entityId: memberId, type: 'party_member.dues_paid', payload: { paymentId: newId(this.#ctx.clock.now()), months, amountFen: input.amountFen, standardFen: m.duesStandardFen } },
    ]);
    return this.member(memberId);
  }

  duesStatus(opts: { branch?: string } = {}): DuesStatus[] {
    const current = chinaMonth(this.#ctx.clock.now());
    return this.members(opts)
      .filter((m) => m.active)
      .map((m) => {
        const owed = monthsOwed(m, current);
        return { memberId: m.id, name: m.name, branch: m.branch, standardFen: m.duesStandardFen, lastPaidMonth: m.lastPaidMonth, monthsOwed: owed, owedFen: owed.length * m.duesStandardFen };
      });
  }

  /**
   * Records the "dues not paid" deduction for `month` (a month that has ended)
   * for every active member who owes it. Running it again changes nothing.
   */
  assessDues(actor: Actor, month: string): { deducted: string[] } {
    const current = chinaMonth(this.#ctx.clock.now());
    if (month >= current) throw new CunboxError('INVALID_INPUT', `month: ${month} has not ended yet`);
    const rule = this.rule('dues_unpaid');
    if (!rule?.active) throw new CunboxError('CONFLICT', 'the dues_unpaid rule is not active');
    const drafts: OpDraft[] = [];
    const deducted: string[] = [];
    for (const m of this.members().filter((x) => x.active)) {
      const entryId = `dues:${month}:${m.id}`;
      if (!monthsOwed(m, current).includes(month) || m.points.some((e) => e.id === entryId)) continue;
      deducted.push(m.id);
      drafts.push(this.#entryDraft(m.id, entryId, rule, rule.points, `${month}-28`, { type: 'dues', id: month }, null));
    }
    if (drafts.length > 0) this.#ctx.store.commit(actor.username, drafts);
    return { deducted };
  }
}

/** The pattern lets 2026-02-30 through; the calendar does not. */
function checkDate(date: string): void {
  if (!isDate(date)) throw new CunboxError('INVALID_INPUT', `date: ${date} is not a calendar date`);
}
