/**
 * The body (`payload`) of every governance op type, as JSON Schema (draft-07,
 * the dialect `protocol.ts` validates with): what a conforming peer sends.
 * `scripts/protocol-docs.ts` publishes these in docs/protocol/, edge and cloud
 * check every op they make against them (`opDraftProblem`), and the tests hold
 * the golden ops and the folds' op types against them.
 *
 * The folds stay total readers (read.ts): an op from a newer peer may carry
 * fields this table does not name, and a field of the wrong type reads as
 * absent. So a payload may carry more properties than listed here; a receiver
 * ignores those it does not know.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { OpDraft } from '../oplog/types.ts';
import { ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATUSES } from './announcement.ts';
import { CERTIFICATE_STATUSES } from './certificate.ts';
import { HELP_STATUSES } from './help.ts';
import { CLAIM_STATUSES, SESSION_STATUSES, SESSION_TYPES } from './party.ts';
import { TICKET_STATUSES } from './ticket.ts';
import { DATE_PATTERN, MONTH_PATTERN } from './time.ts';

export interface OpTypeSpec {
  /** The entity kind every op of this type changes (`Op.entityKind`). */
  entityKind: string;
  /** One line for the docs: what the op means. */
  summary: string;
  /** JSON Schema of `Op.payload`. */
  payload: Record<string, unknown>;
}

const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const num = { type: 'number' } as const;
const numOrNull = { type: ['number', 'null'] } as const;
const bool = { type: 'boolean' } as const;
const strList = { type: 'array', items: str } as const;
const date = { type: 'string', pattern: DATE_PATTERN } as const;
const cap = { type: ['object', 'null'], required: ['period', 'maxPoints'], properties: { period: { enum: ['month', 'year'] }, maxPoints: num } } as const;
const tiers = { type: ['array', 'null'], items: { type: 'object', required: ['minQuantity', 'points'], properties: { minQuantity: num, points: num } } } as const;

const body = (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({ type: 'object', required, properties });
/** `{fields: {…}}`: last-writer-wins per field; only the fields present change. */
const fieldsBody = (fields: Record<string, unknown>): Record<string, unknown> => body({ fields: body(fields) }, ['fields']);
/**
 * `<kind>.status`: the status its author saw (`from`, for conflict detection) and the one wanted;
 * an assignment also says who its author saw responsible (`fromAssignee`: crossed reassignments).
 */
const statusBody = (statuses: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> =>
  body({ from: { enum: [...statuses] }, to: { enum: [...statuses] }, note: strOrNull, ...extra }, ['from', 'to']);
/** `<kind>.reviewed`: someone looked at these conflicting status ops. */
const reviewedBody = body({ opIds: { type: 'array', items: str } }, ['opIds']);

const ticketFields = { category: str, categoryName: str, slaMinutes: num, description: str, place: strOrNull, lat: numOrNull, lng: numOrNull };
const residentFields = { name: str, idNumber: strOrNull, phone: strOrNull, address: strOrNull, gridWorker: strOrNull, username: strOrNull, dibao: bool, disabled: bool, elderly: bool, notes: strOrNull };
const certificateFields = { type: str, typeName: str, template: str, applicantName: str, purpose: str, details: str, residentId: strOrNull, idNumber: strOrNull, address: strOrNull };
const announcementFields = { category: { enum: [...ANNOUNCEMENT_CATEGORIES] }, title: str, body: str, attachments: strList };
const memberFields = { name: str, username: strOrNull, branch: str, livingAway: bool, joinedOn: strOrNull, duesStandardFen: num, duesStartMonth: strOrNull, active: bool };
const sessionFields = {
  sessionType: { enum: [...SESSION_TYPES] },
  title: str,
  branch: str,
  startAt: num,
  durationMinutes: num,
  checkInBeforeMinutes: num,
  checkInAfterMinutes: num,
  remoteAllowed: bool,
  location: strOrNull,
  notice: strOrNull,
  minutes: strOrNull,
  resolution: strOrNull,
  photos: strList,
};

/** Every op type the governance models fold, keyed by `Op.type`. */
export const OP_TYPES: Readonly<Record<string, OpTypeSpec>> = {
  'ticket.created': {
    entityKind: 'ticket',
    summary: 'A villager reports a problem (随手拍); the category, its name and SLA are copied in.',
    payload: body({ ...ticketFields, photos: strList, anonymous: bool, reporter: strOrNull }, ['category', 'description']),
  },
  'ticket.updated': { entityKind: 'ticket', summary: 'Fields of a ticket change.', payload: fieldsBody(ticketFields) },
  'ticket.status': {
    entityKind: 'ticket',
    summary: 'A ticket moves through its workflow (assigned, resolved, reopened, …).',
    payload: statusBody(TICKET_STATUSES, { assignee: strOrNull, fromAssignee: strOrNull, duplicateOf: strOrNull }),
  },
  'ticket.comment': { entityKind: 'ticket', summary: 'A comment; the author is the op actor.', payload: body({ commentId: str, text: str }, ['commentId', 'text']) },
  'ticket.footage': {
    entityKind: 'ticket',
    summary: 'A span of a camera recording is linked to the ticket.',
    payload: body({ linkId: str, cameraId: num, startMs: num, endMs: num }, ['linkId', 'cameraId', 'startMs', 'endMs']),
  },
  'ticket.photo': { entityKind: 'ticket', summary: 'Photos (media ids) are added.', payload: body({ photos: strList }, ['photos']) },
  'ticket.escalated': {
    entityKind: 'ticket',
    summary: 'The SLA was missed: escalation level 1 or 2 of the given reopen round.',
    payload: body({ level: { type: 'integer', minimum: 1 }, round: { type: 'integer', minimum: 0 } }, ['level', 'round']),
  },
  'ticket.reviewed': { entityKind: 'ticket', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
  'ticket_category.set': {
    entityKind: 'ticket_category',
    summary: 'A ticket category (entity id: its code) is created or changed.',
    payload: fieldsBody({ name: str, slaMinutes: num, active: bool }),
  },
  'resident.created': { entityKind: 'resident', summary: "A resident's profile.", payload: fieldsBody(residentFields) },
  'resident.updated': { entityKind: 'resident', summary: "Fields of a resident's profile change.", payload: fieldsBody(residentFields) },
  'help_request.created': {
    entityKind: 'help_request',
    summary: 'A resident asks for help of a type.',
    payload: body({ residentId: strOrNull, type: str, typeName: str, description: str, urgent: bool }, ['type']),
  },
  'help_request.status': { entityKind: 'help_request', summary: 'A help request moves through its workflow.', payload: statusBody(HELP_STATUSES, { assignee: strOrNull, fromAssignee: strOrNull }) },
  'help_request.followup': { entityKind: 'help_request', summary: 'A follow-up note.', payload: body({ followUpId: str, text: str }, ['followUpId', 'text']) },
  'help_request.reviewed': { entityKind: 'help_request', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
  'help_type.set': { entityKind: 'help_type', summary: 'A help type (entity id: its code) is created or changed.', payload: fieldsBody({ name: str, active: bool }) },
  'certificate.created': {
    entityKind: 'certificate',
    summary: "A certificate is requested; the type's name and template and the profile's details are copied in.",
    payload: body(certificateFields, ['type', 'purpose']),
  },
  'certificate.updated': { entityKind: 'certificate', summary: 'Fields of a certificate request change.', payload: fieldsBody(certificateFields) },
  'certificate.status': {
    entityKind: 'certificate',
    summary: 'A certificate is reviewed, approved (with its verification code), rejected or revoked.',
    payload: statusBody(CERTIFICATE_STATUSES, { verificationCode: strOrNull }),
  },
  'certificate.reviewed': { entityKind: 'certificate', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
  'certificate_type.set': {
    entityKind: 'certificate_type',
    summary: 'A certificate type (entity id: its code) is created or changed.',
    payload: fieldsBody({ name: str, template: str, active: bool }),
  },
  'announcement.created': { entityKind: 'announcement', summary: 'A draft announcement.', payload: body(announcementFields, ['title']) },
  'announcement.updated': { entityKind: 'announcement', summary: 'Fields of an announcement change.', payload: fieldsBody(announcementFields) },
  'announcement.status': { entityKind: 'announcement', summary: 'An announcement is sent for review, published, rejected or withdrawn.', payload: statusBody(ANNOUNCEMENT_STATUSES) },
  'announcement.reviewed': { entityKind: 'announcement', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
  'party_member.created': { entityKind: 'party_member', summary: 'A party member.', payload: fieldsBody(memberFields) },
  'party_member.updated': { entityKind: 'party_member', summary: "Fields of a party member's record change.", payload: fieldsBody(memberFields) },
  'party_member.points': {
    entityKind: 'party_member',
    summary: "Points are recorded by a rule (the rule's name and cap as they were then); the fold applies caps in HLC order.",
    payload: body(
      {
        entryId: str,
        ruleCode: str,
        ruleName: strOrNull,
        points: num,
        cap,
        date,
        source: { type: 'object', required: ['type', 'id'], properties: { type: { enum: ['claim', 'session', 'dues', 'manual'] }, id: strOrNull } },
        note: strOrNull,
      },
      ['entryId', 'ruleCode', 'points', 'date'],
    ),
  },
  'party_member.points_voided': { entityKind: 'party_member', summary: 'A points entry is voided.', payload: body({ entryId: str, reason: strOrNull }, ['entryId']) },
  'party_member.dues_paid': {
    entityKind: 'party_member',
    summary: 'Dues are paid for these months (YYYY-MM), amounts in fen.',
    payload: body({ paymentId: str, months: { type: 'array', items: { type: 'string', pattern: MONTH_PATTERN } }, amountFen: num, standardFen: num }, ['paymentId', 'months', 'amountFen']),
  },
  'point_claim.created': {
    entityKind: 'point_claim',
    summary: 'A member claims points by a rule, with evidence (media ids).',
    payload: body({ memberId: str, ruleCode: str, quantity: numOrNull, description: str, evidence: strList, date }, ['memberId', 'ruleCode', 'date']),
  },
  'point_claim.status': { entityKind: 'point_claim', summary: 'A claim is approved, rejected or withdrawn.', payload: statusBody(CLAIM_STATUSES) },
  'point_claim.reviewed': { entityKind: 'point_claim', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
  'points_rule.set': {
    entityKind: 'points_rule',
    summary: 'A points rule (entity id: its code) is created or changed.',
    payload: fieldsBody({ name: str, points: num, tiers, cap, selfClaim: bool, active: bool }),
  },
  'party_session.created': { entityKind: 'party_session', summary: 'A meeting (三会一课) is scheduled.', payload: fieldsBody(sessionFields) },
  'party_session.updated': { entityKind: 'party_session', summary: 'Fields of a meeting change (minutes, resolution, photos, …).', payload: fieldsBody(sessionFields) },
  'party_session.checkin': { entityKind: 'party_session', summary: 'A member checks in, on site or remotely.', payload: body({ memberId: str, mode: { enum: ['onsite', 'remote'] } }, ['memberId']) },
  'party_session.leave': { entityKind: 'party_session', summary: 'A member asks for leave.', payload: body({ leaveId: str, memberId: str, reason: str }, ['leaveId', 'memberId']) },
  'party_session.leave_decided': { entityKind: 'party_session', summary: 'A leave request is approved or refused.', payload: body({ leaveId: str, approved: bool }, ['leaveId', 'approved']) },
  'party_session.status': { entityKind: 'party_session', summary: 'A meeting is finalized or cancelled.', payload: statusBody(SESSION_STATUSES) },
  'party_session.reviewed': { entityKind: 'party_session', summary: 'Conflicting status changes were looked at.', payload: reviewedBody },
};

// Compiled on first use, as protocol.ts does: most processes that load this module never commit.
let validators: Map<string, ValidateFunction> | undefined;
const KINDS = new Set(Object.values(OP_TYPES).map((s) => s.entityKind));

/**
 * Why a locally made op would break the published contract (an op type its
 * governance kind does not have, or a body its schema refuses), or null.
 * Checked where ops are made, never on ops received: a peer's op is stored and
 * folded whatever it holds (the folds read it totally). Kinds outside the
 * governance models (a test's own) are not this table's business.
 */
export function opDraftProblem(d: Pick<OpDraft, 'entityKind' | 'type' | 'payload'>): string | null {
  if (!KINDS.has(d.entityKind)) return null;
  const spec = Object.prototype.hasOwnProperty.call(OP_TYPES, d.type) ? OP_TYPES[d.type] : undefined;
  if (!spec || spec.entityKind !== d.entityKind) return `op type ${d.type} is not one of ${d.entityKind}'s (docs/protocol/)`;
  if (!validators) {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    validators = new Map(Object.entries(OP_TYPES).map(([type, s]) => [type, ajv.compile(s.payload)]));
  }
  const validate = validators.get(d.type)!;
  if (validate(d.payload)) return null;
  const e = validate.errors?.[0];
  return `op ${d.type}: payload${e ? `${e.instancePath} ${e.message ?? ''}` : ' invalid'}`;
}
