import type { Model } from '../oplog/fold.ts';
import { initState } from '../oplog/fold.ts';
import type { EntityBase } from '../oplog/types.ts';
import { assignFields, bool, f, num, obj, str, strList } from './read.ts';
import { markCreated, opTime } from './time.ts';
import { readAttributeValues, type AttributeValues } from './service-attributes.ts';
import { addFact, applyReview, applyStatus, flagReassignment, type Transitions } from './workflow.ts';

/** Photos one ticket may have: checked where photos are attached (the edge's API, the cloud's phone API). */
export const TICKET_MAX_PHOTOS = 9;

/** 随手拍: a villager's photographed report of a problem, handled by the village committee. */
export const TICKET_STATUSES = ['submitted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'duplicate', 'reopened'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_TRANSITIONS: Transitions<TicketStatus> = {
  submitted: ['assigned', 'rejected', 'duplicate'],
  assigned: ['assigned', 'in_progress', 'resolved', 'rejected', 'duplicate'],
  // Back to assigned: the worker hands it back for someone else.
  in_progress: ['assigned', 'resolved'],
  resolved: ['closed', 'reopened'],
  closed: ['reopened'],
  rejected: ['reopened'],
  duplicate: ['reopened'],
  reopened: ['assigned', 'in_progress', 'resolved', 'rejected', 'duplicate'],
};

/** Open311 has two states; "resolved" (fixed, awaiting the reporter) counts as closed, as FixMyStreet's "fixed" does. */
export const OPEN311_STATUS: Record<TicketStatus, 'open' | 'closed'> = {
  submitted: 'open',
  assigned: 'open',
  in_progress: 'open',
  reopened: 'open',
  resolved: 'closed',
  closed: 'closed',
  rejected: 'closed',
  duplicate: 'closed',
};

/**
 * The SLA is the response time the category promises ("someone is sent within
 * 30 minutes"): its clock starts when the ticket is submitted or reopened and
 * stops when work starts (in_progress) or the ticket is settled.
 */
const SLA_STOPS: ReadonlySet<TicketStatus> = new Set(['in_progress', 'resolved', 'closed', 'rejected', 'duplicate']);

interface TicketComment {
  id: string;
  author: string;
  text: string;
  at: number;
}

interface FootageLink {
  id: string;
  cameraId: number;
  startMs: number;
  endMs: number;
  by: string;
  at: number;
}

interface Escalation {
  /** `${round}:${level}`: round counts reopenings, so a reopened ticket can escalate again. */
  id: string;
  level: number;
  at: number;
  by: string;
}

export interface TicketState extends EntityBase {
  category: string | null;
  categoryName: string | null;
  description: string;
  place: string | null;
  lat: number | null;
  lng: number | null;
  /** Answers to the category's extra questions, as checked when the ticket was created. */
  attributes: AttributeValues;
  /** The reporter's user name; null when anonymous (not stored anywhere). */
  reporter: string | null;
  anonymous: boolean;
  photos: string[];
  status: TicketStatus;
  statusNote: string | null;
  assignee: string | null;
  duplicateOf: string | null;
  slaMinutes: number;
  slaStartedAt: number | null;
  slaStoppedAt: number | null;
  /** slaStartedAt + slaMinutes. */
  deadline: number | null;
  reopenCount: number;
  resolvedAt: number | null;
  closedAt: number | null;
  comments: TicketComment[];
  footage: FootageLink[];
  escalations: Escalation[];
}

export const ticketModel: Model<TicketState> = {
  kind: 'ticket',
  init: (id) =>
    initState('ticket', id, {
      category: null,
      categoryName: null,
      description: '',
      place: null,
      lat: null,
      lng: null,
      attributes: {},
      reporter: null,
      anonymous: false,
      photos: [],
      status: 'submitted',
      statusNote: null,
      assignee: null,
      duplicateOf: null,
      slaMinutes: 0,
      slaStartedAt: null,
      slaStoppedAt: null,
      deadline: null,
      reopenCount: 0,
      resolvedAt: null,
      closedAt: null,
      comments: [],
      footage: [],
      escalations: [],
    }),
  apply(s, op) {
    const p = op.payload;
    const at = opTime(op);
    switch (op.type) {
      case 'ticket.created':
        markCreated(s, op);
        s.anonymous = bool(p.anonymous) ?? false;
        s.reporter = s.anonymous ? null : str(p.reporter);
        s.photos = strList(p.photos);
        s.attributes = readAttributeValues(p.attributes);
        s.slaStartedAt = at;
        updateFields(s, p);
        break;
      case 'ticket.updated':
        updateFields(s, obj(p.fields) ?? {});
        break;
      case 'ticket.status': {
        const assigneeBefore = s.assignee;
        const applied = applyStatus(s, op, TICKET_TRANSITIONS);
        flagReassignment(s, op, assigneeBefore, applied);
        if (!applied) break;
        s.statusNote = str(p.note);
        if (s.status === 'assigned') s.assignee = str(p.assignee) ?? s.assignee;
        if (s.status === 'duplicate') s.duplicateOf = str(p.duplicateOf);
        if (s.status === 'resolved') s.resolvedAt = at;
        if (s.status === 'closed') s.closedAt = at;
        if (s.status === 'reopened') {
          s.reopenCount++;
          s.slaStartedAt = at;
          s.slaStoppedAt = null;
          s.resolvedAt = null;
          s.closedAt = null;
        } else if (SLA_STOPS.has(s.status) && s.slaStoppedAt === null) {
          s.slaStoppedAt = at;
        }
        break;
      }
      case 'ticket.comment':
        addFact(s.comments, str(p.commentId) && str(p.text) !== null ? { id: str(p.commentId)!, author: op.actor, text: str(p.text)!, at } : null);
        break;
      case 'ticket.footage': {
        const id = str(p.linkId);
        const cameraId = num(p.cameraId);
        const startMs = num(p.startMs);
        const endMs = num(p.endMs);
        if (id && cameraId !== null && startMs !== null && endMs !== null) addFact(s.footage, { id, cameraId, startMs, endMs, by: op.actor, at });
        break;
      }
      case 'ticket.photo':
        for (const m of strList(p.photos)) if (!s.photos.includes(m)) s.photos.push(m);
        break;
      case 'ticket.escalated': {
        const level = num(p.level);
        const round = num(p.round);
        if (level !== null && round !== null) addFact(s.escalations, { id: `${round}:${level}`, level, at, by: op.actor });
        break;
      }
      case 'ticket.reviewed':
        applyReview(s, op);
        break;
    }
    s.deadline = s.slaStartedAt === null ? null : s.slaStartedAt + s.slaMinutes * 60_000;
    return s;
  },
};

function updateFields(s: TicketState, fields: Record<string, unknown>): void {
  assignFields(s, fields, {
    category: f.str,
    categoryName: f.str,
    slaMinutes: f.num,
    description: f.str,
    place: f.strOrNull,
    lat: f.numOrNull,
    lng: f.numOrNull,
  });
}

/** Whether the response SLA was missed (or is being missed at `now`). */
export function isBreached(t: TicketState, now: number): boolean {
  return t.deadline !== null && (t.slaStoppedAt ?? now) > t.deadline;
}

/**
 * The escalation level a ticket has reached at `now`: 1 once its deadline has
 * passed without a response, 2 once the SLA has been exceeded twice over.
 */
export function dueEscalationLevel(t: TicketState, now: number): number {
  if (t.deadline === null || t.slaStoppedAt !== null || !t.exists) return 0;
  if (now > t.deadline + t.slaMinutes * 60_000) return 2;
  if (now > t.deadline) return 1;
  return 0;
}
