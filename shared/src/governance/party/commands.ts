/**
 * Party building: members, the points ledger (claims, manual entries, the
 * automatic entries of meetings and dues), 三会一课 sessions and dues.
 */
import type { OpDraft } from '../../oplog/types.ts';
import { CunboxError } from '../../platform/errors.ts';
import type { PointsRule } from '../config.ts';
import { defined, forbid, invalid, requireEntity, statusDraft, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';
import { CLAIM_TRANSITIONS, SESSION_TRANSITIONS, monthsOwed, type PartyMemberState, type PartySessionState, type SessionType } from '../party.ts';
import { chinaDate, chinaMonth } from '../time.ts';
import { rulePoints } from '../config.ts';
import { entryDraft, keepsPartyRecords, memberOf, pointsRule, requireDate } from './rules.ts';
import { partyMembers, requireVisibleClaim } from './views.ts';

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

export interface ClaimInput {
  ruleCode: string;
  quantity?: number;
  description: string;
  evidence?: string[];
  date: string;
}

export interface FinalizeResult extends CommandResult {
  /** Member ids by outcome. */
  attended: string[];
  excused: string[];
  absent: string[];
}

export interface AssessResult extends CommandResult {
  /** Member ids whose points were deducted (none: nothing to commit). */
  deducted: string[];
}

export type PointsRuleFields = Partial<Pick<PointsRule, 'name' | 'points' | 'tiers' | 'cap' | 'selfClaim' | 'active'>>;

type Look = GovernanceLookups;

const result = (actor: Actor, entityId: string, drafts: OpDraft[]): CommandResult => ({ actor: actor.username, drafts, entityId });

function ownMember(look: Look, actor: Actor): PartyMemberState {
  const own = memberOf(look, actor.username);
  if (!own) invalid('your account is not linked to a party member');
  return own;
}

function checkMemberFields(f: MemberFields, look: Look): void {
  if (f.joinedOn) requireDate(f.joinedOn);
  if (f.username) {
    if (!look.account(f.username)) invalid(`username: no user ${f.username}`);
    const other = memberOf(look, f.username);
    if (other) throw new CunboxError('CONFLICT', `username: ${f.username} is already linked to member ${other.name}`);
  }
}

const member = (look: Look, id: string) => requireEntity<PartyMemberState>(look, 'party_member', id, 'party member');
const session = (look: Look, id: string) => requireEntity<PartySessionState>(look, 'party_session', id, 'session');
const memberOp = (m: PartyMemberState, type: string, payload: Record<string, unknown>): OpDraft => ({ entityKind: 'party_member', entityId: m.id, type: `party_member.${type}`, payload });
const sessionOp = (s: PartySessionState, type: string, payload: Record<string, unknown>): OpDraft => ({ entityKind: 'party_session', entityId: s.id, type: `party_session.${type}`, payload });

export const partyCommands = {
  // — members —

  createMember(look: Look, actor: Actor, fields: MemberFields & { name: string; branch: string }): CommandResult {
    checkMemberFields(fields, look);
    const id = look.newId();
    return result(actor, id, [{ entityKind: 'party_member', entityId: id, type: 'party_member.created', payload: { fields: defined({ ...fields }) } }]);
  },

  updateMember(look: Look, actor: Actor, id: string, fields: MemberFields): CommandResult {
    const m = member(look, id);
    checkMemberFields(fields, look);
    return result(actor, m.id, [memberOp(m, 'updated', { fields: defined({ ...fields }) })]);
  },

  // — points rules —

  /** Adds or changes a rule; it applies to entries recorded from now on. */
  setRule(look: Look, actor: Actor, code: string, fields: PointsRuleFields): CommandResult {
    if (!pointsRule(look, code) && (fields.name === undefined || (fields.points === undefined && !fields.tiers))) invalid('a new rule needs a name and points or tiers');
    return result(actor, code, [{ entityKind: 'points_rule', entityId: code, type: 'points_rule.set', payload: { fields: defined(fields) } }]);
  },

  // — claims and ledger entries —

  /** A member claims points for an activity, with photos; the secretary approves it into the ledger. */
  claim(look: Look, actor: Actor, input: ClaimInput): CommandResult {
    const own = ownMember(look, actor);
    requireDate(input.date);
    const rule = pointsRule(look, input.ruleCode);
    if (!rule || !rule.active || !rule.selfClaim) invalid(`ruleCode: ${input.ruleCode} cannot be claimed`);
    if (rule.tiers && input.quantity === undefined) invalid(`quantity: ${rule.name} is counted by quantity (e.g. hours)`);
    look.requireMedia(input.evidence ?? [], 'image');
    const id = look.newId();
    return result(actor, id, [
      { entityKind: 'point_claim', entityId: id, type: 'point_claim.created', payload: { memberId: own.id, ruleCode: rule.id, quantity: input.quantity ?? null, description: input.description, evidence: input.evidence ?? [], date: input.date } },
    ]);
  },

  /** Approves a claim and records its ledger entry in the same transaction; not by the claimant. */
  approveClaim(look: Look, actor: Actor, id: string, input: { note?: string } = {}): CommandResult {
    const c = requireVisibleClaim(look, actor, id);
    if (c.createdBy === actor.username) forbid('a claim is approved by someone other than the claimant');
    const rule = pointsRule(look, c.ruleCode ?? '');
    if (!rule) throw new CunboxError('CONFLICT', `rule ${c.ruleCode} no longer exists`);
    const note = input.note ?? null;
    return result(actor, c.id, [statusDraft(c, CLAIM_TRANSITIONS, 'approved', { note }), entryDraft(c.memberId!, `claim:${c.id}`, rule, rulePoints(rule, c.quantity), c.date!, { type: 'claim', id: c.id }, note)]);
  },

  rejectClaim(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const c = requireVisibleClaim(look, actor, id);
    return result(actor, c.id, [statusDraft(c, CLAIM_TRANSITIONS, 'rejected', { note: input.reason })]);
  },

  withdrawClaim(look: Look, actor: Actor, id: string): CommandResult {
    const c = requireVisibleClaim(look, actor, id);
    if (c.createdBy !== actor.username) forbid('only the claimant can withdraw a claim');
    return result(actor, c.id, [statusDraft(c, CLAIM_TRANSITIONS, 'withdrawn')]);
  },

  /** A secretary's entry by rule (e.g. a deduction for leave without make-up). */
  addEntry(look: Look, actor: Actor, memberId: string, input: { ruleCode: string; date: string; quantity?: number; note?: string }): CommandResult {
    const m = member(look, memberId);
    requireDate(input.date);
    const rule = pointsRule(look, input.ruleCode);
    if (!rule || !rule.active) invalid(`ruleCode: no active rule ${input.ruleCode}`);
    return result(actor, m.id, [entryDraft(m.id, `manual:${look.newId()}`, rule, rulePoints(rule, input.quantity ?? null), input.date, { type: 'manual', id: null }, input.note ?? null)]);
  },

  /** Voids a wrong entry; it stays in the history. */
  voidEntry(look: Look, actor: Actor, memberId: string, input: { entryId: string; reason: string }): CommandResult {
    const m = member(look, memberId);
    const e = m.points.find((x) => x.id === input.entryId);
    if (!e) throw new CunboxError('NOT_FOUND', `no entry ${input.entryId}`);
    if (e.voided) throw new CunboxError('CONFLICT', 'entry already voided');
    return result(actor, m.id, [memberOp(m, 'points_voided', { entryId: input.entryId, reason: input.reason })]);
  },

  // — 三会一课 sessions —

  createSession(look: Look, actor: Actor, fields: SessionFields & { sessionType: SessionType; title: string; branch: string; startAt: number }): CommandResult {
    if (fields.photos) look.requireMedia(fields.photos, 'image');
    const id = look.newId();
    return result(actor, id, [{ entityKind: 'party_session', entityId: id, type: 'party_session.created', payload: { fields: defined({ ...fields }) } }]);
  },

  /** Notice, schedule, minutes, resolution, photos. */
  updateSession(look: Look, actor: Actor, id: string, fields: SessionFields): CommandResult {
    const s = session(look, id);
    if (s.status === 'cancelled') throw new CunboxError('INVALID_TRANSITION', 'the session was cancelled');
    if (fields.photos) look.requireMedia(fields.photos, 'image');
    return result(actor, s.id, [sessionOp(s, 'updated', { fields: defined({ ...fields }) })]);
  },

  /**
   * A member signs in, from `checkInBeforeMinutes` before the start to
   * `checkInAfterMinutes` after it; remotely only when the session allows it.
   * A secretary may sign anyone in before the session is finalized (the paper sign-in sheet).
   */
  checkIn(look: Look, actor: Actor, id: string, input: { mode: 'onsite' | 'remote'; memberId?: string }): CommandResult {
    const s = session(look, id);
    if (s.status !== 'scheduled') throw new CunboxError('INVALID_TRANSITION', `the session is ${s.status}`);
    let memberId: string;
    if (input.memberId !== undefined && input.memberId !== memberOf(look, actor.username)?.id) {
      if (!keepsPartyRecords(actor)) forbid('you can sign in only yourself');
      memberId = member(look, input.memberId).id;
    } else {
      memberId = ownMember(look, actor).id;
      const opens = s.startAt! - s.checkInBeforeMinutes * 60_000;
      const closes = s.startAt! + s.checkInAfterMinutes * 60_000;
      if (look.now < opens || look.now > closes) throw new CunboxError('INVALID_TRANSITION', `check-in is open from ${new Date(opens).toISOString()} to ${new Date(closes).toISOString()}`);
    }
    if (input.mode === 'remote' && !s.remoteAllowed) invalid('mode: this session has no remote attendance');
    if (s.attendance.some((a) => a.id === memberId)) throw new CunboxError('CONFLICT', 'already signed in');
    return result(actor, s.id, [sessionOp(s, 'checkin', { memberId, mode: input.mode })]);
  },

  requestLeave(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const s = session(look, id);
    const own = ownMember(look, actor);
    if (s.status !== 'scheduled') throw new CunboxError('INVALID_TRANSITION', `the session is ${s.status}`);
    if (s.leaves.some((l) => l.memberId === own.id && l.decision !== 'rejected')) throw new CunboxError('CONFLICT', 'leave already requested');
    return result(actor, s.id, [sessionOp(s, 'leave', { leaveId: look.newId(), memberId: own.id, reason: input.reason })]);
  },

  /** Leave requests are decided by the session's creator (or an admin). */
  decideLeave(look: Look, actor: Actor, id: string, input: { leaveId: string; approved: boolean }): CommandResult {
    const s = session(look, id);
    if (s.createdBy !== actor.username && actor.role !== 'admin') forbid("leave is decided by the session's creator");
    if (!s.leaves.some((l) => l.id === input.leaveId)) throw new CunboxError('NOT_FOUND', `no leave request ${input.leaveId}`);
    return result(actor, s.id, [sessionOp(s, 'leave_decided', { leaveId: input.leaveId, approved: input.approved })]);
  },

  /**
   * Closes the session's record: every active member of the branch who signed
   * in gets the attendance rule's points, everyone absent without approved
   * leave the missed-meeting deduction. Entry ids are made of the session and
   * the member, so finalizing on two nodes gives each member one entry.
   */
  finalize(look: Look, actor: Actor, id: string): FinalizeResult {
    const s = session(look, id);
    if (look.now < s.startAt!) throw new CunboxError('INVALID_TRANSITION', 'the session has not started yet');
    const attend = pointsRule(look, 'attend_meeting');
    const missed = pointsRule(look, 'missed_meeting');
    const date = chinaDate(s.startAt!);
    const attended: string[] = [];
    const excused: string[] = [];
    const absent: string[] = [];
    const drafts: OpDraft[] = [statusDraft(s, SESSION_TRANSITIONS, 'finalized')];
    for (const m of partyMembers(look.list<PartyMemberState>('party_member'), { branch: s.branch }).filter((x) => x.active)) {
      if (s.attendance.some((a) => a.id === m.id)) {
        attended.push(m.id);
        if (attend?.active) drafts.push(entryDraft(m.id, `session:${s.id}:attend:${m.id}`, attend, attend.points, date, { type: 'session', id: s.id }, null));
      } else if (s.leaves.some((l) => l.memberId === m.id && l.decision === 'approved')) {
        excused.push(m.id);
      } else {
        absent.push(m.id);
        if (missed?.active) drafts.push(entryDraft(m.id, `session:${s.id}:missed:${m.id}`, missed, missed.points, date, { type: 'session', id: s.id }, null));
      }
    }
    return { ...result(actor, s.id, drafts), attended, excused, absent };
  },

  cancelSession(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const s = session(look, id);
    return result(actor, s.id, [statusDraft(s, SESSION_TRANSITIONS, 'cancelled', { note: input.reason })]);
  },

  // — dues —

  payDues(look: Look, actor: Actor, memberId: string, input: { months: string[]; amountFen: number }): CommandResult {
    const m = member(look, memberId);
    const months = [...new Set(input.months)].sort();
    const already = months.filter((x) => m.paidMonths.includes(x));
    if (already.length > 0) throw new CunboxError('CONFLICT', `already paid: ${already.join(', ')}`);
    return result(actor, m.id, [memberOp(m, 'dues_paid', { paymentId: look.newId(), months, amountFen: input.amountFen, standardFen: m.duesStandardFen })]);
  },

  /**
   * Records the "dues not paid" deduction for `month` (a month that has ended)
   * for every active member who owes it. Running it again changes nothing.
   */
  assessDues(look: Look, actor: Actor, input: { month: string }): AssessResult {
    const { month } = input;
    const current = chinaMonth(look.now);
    if (month >= current) invalid(`month: ${month} has not ended yet`);
    const rule = pointsRule(look, 'dues_unpaid');
    if (!rule?.active) throw new CunboxError('CONFLICT', 'the dues_unpaid rule is not active');
    const drafts: OpDraft[] = [];
    const deducted: string[] = [];
    for (const m of partyMembers(look.list<PartyMemberState>('party_member')).filter((x) => x.active)) {
      const entryId = `dues:${month}:${m.id}`;
      if (!monthsOwed(m, current).includes(month) || m.points.some((e) => e.id === entryId)) continue;
      deducted.push(m.id);
      drafts.push(entryDraft(m.id, entryId, rule, rule.points, `${month}-28`, { type: 'dues', id: month }, null));
    }
    return { ...result(actor, `month:${month}`, drafts), deducted };
  },
};
