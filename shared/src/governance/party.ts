import type { Model } from '../oplog/fold.ts';
import { initState } from '../oplog/fold.ts';
import type { EntityBase } from '../oplog/types.ts';
import type { PointsCap } from './config.ts';
import { assignFields, bool, f, num, obj, str, strList } from './read.ts';
import { isDate, markCreated, monthsBetween, opTime } from './time.ts';
import { addFact, applyReview, applyStatus, type Transitions } from './workflow.ts';

/**
 * A points ledger entry. Ledgers are never last-writer-wins: entries are
 * append-only facts (union by entryId) and totals are sums. Entry ids made
 * from their cause (`claim:<id>`, `session:<id>:<member>`, `dues:<month>`)
 * make two nodes that record the same cause produce one entry.
 */
export interface PointsEntry {
  id: string;
  ruleCode: string;
  ruleName: string;
  /** As the rule gave it when recorded. */
  points: number;
  /** The rule's cap when recorded. */
  cap: PointsCap | null;
  /** The day the points belong to (Beijing date): decides the ranking period and the cap period. */
  date: string;
  source: { type: 'claim' | 'session' | 'dues' | 'manual'; id: string | null };
  note: string | null;
  by: string;
  at: number;
  /** Points after the cap (computed by the fold, in HLC order) and voids. */
  effective: number;
  voided: boolean;
}

interface DuesPayment {
  id: string;
  months: string[];
  amountFen: number;
  /** The monthly standard when paid. */
  standardFen: number;
  by: string;
  at: number;
}

export interface PartyMemberState extends EntityBase {
  name: string;
  username: string | null;
  branch: string;
  /** 流动党员: lives away, attends remotely. */
  livingAway: boolean;
  joinedOn: string | null;
  /** Monthly dues standard in fen (分). */
  duesStandardFen: number;
  /** First month dues are owed. */
  duesStartMonth: string | null;
  active: boolean;
  points: PointsEntry[];
  payments: DuesPayment[];
  paidMonths: string[];
  lastPaidMonth: string | null;
}

const isSource = (v: unknown): v is PointsEntry['source'] => {
  const o = obj(v);
  return o !== null && ['claim', 'session', 'dues', 'manual'].includes(String(o.type)) && (o.id === null || typeof o.id === 'string');
};
const readCap = (v: unknown): PointsCap | null => {
  const o = obj(v);
  return o && (o.period === 'month' || o.period === 'year') && typeof o.maxPoints === 'number' ? { period: o.period, maxPoints: o.maxPoints } : null;
};

/**
 * Applies caps in fold order: an entry gets what is left of its rule's cap in
 * its period (month or year of its date); voided entries use none of it.
 * Deductions are never capped.
 */
function applyCaps(entries: PointsEntry[]): void {
  const used = new Map<string, number>();
  for (const e of entries) {
    if (e.voided) {
      e.effective = 0;
      continue;
    }
    if (!e.cap || e.points <= 0) {
      e.effective = e.points;
      continue;
    }
    const key = `${e.ruleCode}|${e.cap.period === 'year' ? e.date.slice(0, 4) : e.date.slice(0, 7)}`;
    const u = used.get(key) ?? 0;
    e.effective = Math.max(0, Math.min(e.points, e.cap.maxPoints - u));
    used.set(key, u + e.effective);
  }
}

export const partyMemberModel: Model<PartyMemberState> = {
  kind: 'party_member',
  init: (id) =>
    initState('party_member', id, {
      name: '',
      username: null,
      branch: '',
      livingAway: false,
      joinedOn: null,
      duesStandardFen: 0,
      duesStartMonth: null,
      active: true,
      points: [],
      payments: [],
      paidMonths: [],
      lastPaidMonth: null,
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'party_member.created':
      case 'party_member.updated':
        if (op.type === 'party_member.created') markCreated(s, op);
        assignFields(s, obj(p.fields), {
          name: f.str,
          username: f.strOrNull,
          branch: f.str,
          livingAway: f.bool,
          joinedOn: f.strOrNull,
          duesStandardFen: f.num,
          duesStartMonth: f.strOrNull,
          active: f.bool,
        });
        break;
      case 'party_member.points': {
        const id = str(p.entryId);
        const ruleCode = str(p.ruleCode);
        const points = num(p.points);
        const date = str(p.date);
        if (!id || !ruleCode || points === null || !date || !isDate(date) || s.points.some((e) => e.id === id)) break;
        s.points.push({
          id,
          ruleCode,
          ruleName: str(p.ruleName) ?? ruleCode,
          points,
          cap: readCap(p.cap),
          date,
          source: isSource(p.source) ? { type: p.source.type, id: p.source.id } : { type: 'manual', id: null },
          note: str(p.note),
          by: op.actor,
          at: opTime(op),
          effective: 0,
          voided: false,
        });
        applyCaps(s.points);
        break;
      }
      case 'party_member.points_voided': {
        const e = s.points.find((x) => x.id === str(p.entryId));
        // A void that arrives before its entry (incremental) is re-folded in order later.
        if (e) e.voided = true;
        applyCaps(s.points);
        break;
      }
      case 'party_member.dues_paid': {
        const id = str(p.paymentId);
        const months = strList(p.months).filter((m) => /^\d{4}-(0[1-9]|1[0-2])$/.test(m));
        const amountFen = num(p.amountFen);
        if (!id || months.length === 0 || amountFen === null) break;
        if (addFact(s.payments, { id, months, amountFen, standardFen: num(p.standardFen) ?? s.duesStandardFen, by: op.actor, at: opTime(op) })) {
          s.paidMonths = [...new Set([...s.paidMonths, ...months])].sort();
          s.lastPaidMonth = s.paidMonths[s.paidMonths.length - 1] ?? null;
        }
        break;
      }
    }
    return s;
  },
};

/** Months from the member's first dues month to `currentMonth` (inclusive) without a payment. */
export function monthsOwed(m: PartyMemberState, currentMonth: string): string[] {
  const start = m.duesStartMonth ?? m.joinedOn?.slice(0, 7) ?? null;
  if (!start || m.duesStandardFen <= 0) return [];
  const paid = new Set(m.paidMonths);
  return monthsBetween(start, currentMonth).filter((x) => !paid.has(x));
}

export const CLAIM_STATUSES = ['submitted', 'approved', 'rejected', 'withdrawn'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];
export const CLAIM_TRANSITIONS: Transitions<ClaimStatus> = {
  submitted: ['approved', 'rejected', 'withdrawn'],
  approved: [],
  rejected: [],
  withdrawn: [],
};

/** A member's self-declared item (with a photo), approved by the secretary into the ledger. */
export interface PointClaimState extends EntityBase {
  memberId: string | null;
  ruleCode: string | null;
  quantity: number | null;
  description: string;
  evidence: string[];
  date: string | null;
  status: ClaimStatus;
  statusNote: string | null;
  reviewer: string | null;
}

export const pointClaimModel: Model<PointClaimState> = {
  kind: 'point_claim',
  init: (id) =>
    initState('point_claim', id, {
      memberId: null,
      ruleCode: null,
      quantity: null,
      description: '',
      evidence: [],
      date: null,
      status: 'submitted',
      statusNote: null,
      reviewer: null,
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'point_claim.created':
        markCreated(s, op);
        s.memberId = str(p.memberId);
        s.ruleCode = str(p.ruleCode);
        s.quantity = num(p.quantity);
        s.description = str(p.description) ?? '';
        s.evidence = strList(p.evidence);
        s.date = str(p.date);
        break;
      case 'point_claim.status':
        if (applyStatus(s, op, CLAIM_TRANSITIONS)) {
          s.statusNote = str(p.note);
          if (s.status !== 'withdrawn') s.reviewer = op.actor;
        }
        break;
      case 'point_claim.reviewed':
        applyReview(s, op);
        break;
    }
    return s;
  },
};

/** 三会一课: 支部党员大会, 支部委员会, 党小组会, 党课; and 主题党日. */
export const SESSION_TYPES = ['branch_assembly', 'branch_committee', 'group_meeting', 'party_lecture', 'theme_day'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export const SESSION_STATUSES = ['scheduled', 'finalized', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const SESSION_TRANSITIONS: Transitions<SessionStatus> = {
  scheduled: ['finalized', 'cancelled'],
  finalized: [],
  cancelled: [],
};

interface Attendance {
  /** The member id: one check-in per member (the first in fold order counts). */
  id: string;
  mode: 'onsite' | 'remote';
  by: string;
  at: number;
}

interface LeaveRequest {
  id: string;
  memberId: string;
  reason: string;
  by: string;
  at: number;
  decision: 'pending' | 'approved' | 'rejected';
  decidedBy: string | null;
}

export interface PartySessionState extends EntityBase {
  sessionType: SessionType | null;
  title: string;
  branch: string;
  startAt: number | null;
  durationMinutes: number;
  /** Check-in opens this many minutes before the start and closes this many after. */
  checkInBeforeMinutes: number;
  checkInAfterMinutes: number;
  remoteAllowed: boolean;
  location: string | null;
  notice: string | null;
  minutes: string | null;
  resolution: string | null;
  photos: string[];
  status: SessionStatus;
  attendance: Attendance[];
  leaves: LeaveRequest[];
}

export const partySessionModel: Model<PartySessionState> = {
  kind: 'party_session',
  init: (id) =>
    initState('party_session', id, {
      sessionType: null,
      title: '',
      branch: '',
      startAt: null,
      durationMinutes: 60,
      checkInBeforeMinutes: 20,
      checkInAfterMinutes: 20,
      remoteAllowed: false,
      location: null,
      notice: null,
      minutes: null,
      resolution: null,
      photos: [],
      status: 'scheduled',
      attendance: [],
      leaves: [],
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'party_session.created':
      case 'party_session.updated':
        if (op.type === 'party_session.created') markCreated(s, op);
        assignFields(s, obj(p.fields), {
          sessionType: (v) => ((SESSION_TYPES as readonly unknown[]).includes(v) ? (v as SessionType) : undefined),
          title: f.str,
          branch: f.str,
          startAt: f.num,
          durationMinutes: f.num,
          checkInBeforeMinutes: f.num,
          checkInAfterMinutes: f.num,
          remoteAllowed: f.bool,
          location: f.strOrNull,
          notice: f.strOrNull,
          minutes: f.strOrNull,
          resolution: f.strOrNull,
          photos: f.strList,
        });
        break;
      case 'party_session.checkin': {
        const memberId = str(p.memberId);
        const mode = p.mode === 'remote' ? 'remote' : 'onsite';
        addFact(s.attendance, memberId ? { id: memberId, mode, by: op.actor, at: opTime(op) } : null);
        break;
      }
      case 'party_session.leave': {
        const id = str(p.leaveId);
        const memberId = str(p.memberId);
        addFact(s.leaves, id && memberId ? { id, memberId, reason: str(p.reason) ?? '', by: op.actor, at: opTime(op), decision: 'pending', decidedBy: null } : null);
        break;
      }
      case 'party_session.leave_decided': {
        // Last writer wins per leave request.
        const leave = s.leaves.find((l) => l.id === str(p.leaveId));
        const approved = bool(p.approved);
        if (leave && approved !== null) {
          leave.decision = approved ? 'approved' : 'rejected';
          leave.decidedBy = op.actor;
        }
        break;
      }
      case 'party_session.status':
        applyStatus(s, op, SESSION_TRANSITIONS);
        break;
      case 'party_session.reviewed':
        applyReview(s, op);
        break;
    }
    return s;
  },
};
