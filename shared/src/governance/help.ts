import type { Model } from '../oplog/fold.ts';
import { initState } from '../oplog/fold.ts';
import type { EntityBase } from '../oplog/types.ts';
import { assignFields, bool, f, obj, str } from './read.ts';
import { markCreated, opTime } from './time.ts';
import { addFact, applyReview, applyStatus, flagReassignment, type Transitions } from './workflow.ts';

/** A villager's profile for help requests. idNumber, phone and the group flags are sensitive. */
export interface ResidentState extends EntityBase {
  name: string;
  idNumber: string | null;
  phone: string | null;
  address: string | null;
  /** The 网格员 (grid worker) responsible: sees this resident's sensitive fields. */
  gridWorker: string | null;
  /** The resident's own account, if any: may ask for help with one tap. */
  username: string | null;
  /** 低保 (minimum living allowance). */
  dibao: boolean;
  /** 残障 (disability). */
  disabled: boolean;
  /** 老龄 (elderly). */
  elderly: boolean;
  notes: string | null;
}

const residentReaders = {
  name: f.str,
  idNumber: f.strOrNull,
  phone: f.strOrNull,
  address: f.strOrNull,
  gridWorker: f.strOrNull,
  username: f.strOrNull,
  dibao: f.bool,
  disabled: f.bool,
  elderly: f.bool,
  notes: f.strOrNull,
};

export const residentModel: Model<ResidentState> = {
  kind: 'resident',
  init: (id) =>
    initState('resident', id, {
      name: '',
      idNumber: null,
      phone: null,
      address: null,
      gridWorker: null,
      username: null,
      dibao: false,
      disabled: false,
      elderly: false,
      notes: null,
    }),
  apply(s, op) {
    if (op.type === 'resident.created') markCreated(s, op);
    if (op.type === 'resident.created' || op.type === 'resident.updated') assignFields(s, obj(op.payload.fields), residentReaders);
    return s;
  },
};

export const HELP_STATUSES = ['submitted', 'assigned', 'in_progress', 'resolved', 'closed', 'cancelled'] as const;
export type HelpStatus = (typeof HELP_STATUSES)[number];

export const HELP_TRANSITIONS: Transitions<HelpStatus> = {
  submitted: ['assigned', 'cancelled'],
  assigned: ['assigned', 'in_progress', 'resolved', 'cancelled'],
  in_progress: ['assigned', 'resolved'],
  // Back to in_progress: the follow-up found more to do.
  resolved: ['closed', 'in_progress'],
  closed: [],
  cancelled: [],
};

interface FollowUp {
  id: string;
  text: string;
  by: string;
  at: number;
}

export interface HelpRequestState extends EntityBase {
  residentId: string | null;
  type: string | null;
  typeName: string | null;
  description: string;
  urgent: boolean;
  status: HelpStatus;
  statusNote: string | null;
  assignee: string | null;
  followUps: FollowUp[];
}

export const helpRequestModel: Model<HelpRequestState> = {
  kind: 'help_request',
  init: (id) =>
    initState('help_request', id, {
      residentId: null,
      type: null,
      typeName: null,
      description: '',
      urgent: false,
      status: 'submitted',
      statusNote: null,
      assignee: null,
      followUps: [],
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'help_request.created':
        markCreated(s, op);
        s.residentId = str(p.residentId);
        s.type = str(p.type);
        s.typeName = str(p.typeName);
        s.description = str(p.description) ?? '';
        s.urgent = bool(p.urgent) ?? false;
        break;
      case 'help_request.status': {
        const assigneeBefore = s.assignee;
        const applied = applyStatus(s, op, HELP_TRANSITIONS);
        flagReassignment(s, op, assigneeBefore, applied);
        if (applied) {
          s.statusNote = str(p.note);
          if (s.status === 'assigned') s.assignee = str(p.assignee) ?? s.assignee;
        }
        break;
      }
      case 'help_request.followup':
        addFact(s.followUps, str(p.followUpId) && str(p.text) !== null ? { id: str(p.followUpId)!, text: str(p.text)!, by: op.actor, at: opTime(op) } : null);
        break;
      case 'help_request.reviewed':
        applyReview(s, op);
        break;
    }
    return s;
  },
};
