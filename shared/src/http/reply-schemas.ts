/**
 * JSON Schemas of the governance records both the edge's API and the cloud's
 * phone API send, for their OpenAPI documents: one definition, two servers.
 * Each has an `$id`, so a server that adds it (fastify's addSchema) publishes
 * it once as #/components/schemas/<$id> and refers to it from every route.
 *
 * Records are folded from the op log and grow a field when a new op type
 * does: the schemas list what a client may rely on and stay open
 * (additionalProperties: true). Shapes made for the API are closed.
 */
import { ANNOUNCEMENT_STATUSES } from '../governance/announcement.ts';
import { CERTIFICATE_STATUSES } from '../governance/certificate.ts';
import { HELP_STATUSES } from '../governance/help.ts';
import { CLAIM_STATUSES, SESSION_STATUSES } from '../governance/party.ts';
import { TICKET_STATUSES } from '../governance/ticket.ts';
import { ROLES } from '../auth/roles.ts';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const strOrNull: Schema = { type: ['string', 'null'] };
const ms: Schema = { type: 'number', description: 'milliseconds since the epoch' };
const msOrNull: Schema = { type: ['number', 'null'], description: 'milliseconds since the epoch' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
const numOrNull: Schema = { type: ['number', 'null'] };
const array = (items: Schema): Schema => ({ type: 'array', items });
const openObject: Schema = { type: 'object', additionalProperties: true };
const oneOf = (values: readonly string[]): Schema => ({ type: 'string', enum: [...values] });

/** An object whose every listed property is present; `open` lets it carry more. */
export function objectSchema(properties: Record<string, Schema>, opts: { open?: boolean; optional?: string[]; $id?: string; description?: string } = {}): Schema {
  const optional = new Set(opts.optional ?? []);
  return {
    ...(opts.$id ? { $id: opts.$id } : {}),
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    additionalProperties: opts.open ?? false,
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    properties,
  };
}

/** Every folded record has these (oplog/types.ts EntityBase). */
const entityBase: Record<string, Schema> = {
  kind: str,
  id: { type: 'string', description: 'ULID' },
  exists: bool,
  createdAt: msOrNull,
  createdBy: strOrNull,
  updatedAt: msOrNull,
  lastHlc: strOrNull,
  opCount: int,
  conflicts: {
    ...array(
      objectSchema(
        {
          opId: str,
          hlc: str,
          actor: str,
          expected: str,
          found: str,
          to: str,
          applied: bool,
          reviewedBy: strOrNull,
          assignee: { ...objectSchema({ found: str, to: str }), description: 'an assignment that crossed another: the worker the fold had (found) and the one this op named (to)' },
        },
        { optional: ['assignee'] },
      ),
    ),
    description: 'status changes and assignments that crossed while offline',
  },
  needsReview: bool,
};
const record = ($id: string, description: string, properties: Record<string, Schema>, optional: string[] = []) => objectSchema({ ...entityBase, ...properties }, { $id, description, open: true, optional });

/** A resident as a viewer may see them (governance/resident-view.ts): null where not shown. */
const ResidentSchema = objectSchema(
  {
    id: str,
    name: str,
    address: strOrNull,
    gridWorker: strOrNull,
    username: strOrNull,
    idNumber: strOrNull,
    phone: strOrNull,
    dibao: { type: ['boolean', 'null'] },
    disabled: { type: ['boolean', 'null'] },
    elderly: { type: ['boolean', 'null'] },
    notes: strOrNull,
    sensitive: { type: 'boolean', description: 'the sensitive fields are shown in full (such reads are audited)' },
    createdAt: msOrNull,
    updatedAt: msOrNull,
  },
  { $id: 'Resident', description: 'A resident as the viewer may see them: null where not shown' },
);

const TicketSchema = record(
  'Ticket',
  'A 随手拍 ticket as the viewer may see it',
  {
    category: strOrNull,
    categoryName: strOrNull,
    description: str,
    place: strOrNull,
    lat: numOrNull,
    lng: numOrNull,
    reporter: { type: ['string', 'null'], description: 'shown to staff and to the reporter only' },
    anonymous: bool,
    photos: array(str),
    status: oneOf(TICKET_STATUSES),
    statusNote: strOrNull,
    assignee: strOrNull,
    duplicateOf: strOrNull,
    slaMinutes: num,
    slaStartedAt: { ...msOrNull, description: 'when the SLA clock started (milliseconds since the epoch)' },
    slaStoppedAt: { ...msOrNull, description: 'when the SLA clock stopped: resolved, rejected or a duplicate (milliseconds since the epoch)' },
    deadline: msOrNull,
    reopenCount: int,
    resolvedAt: msOrNull,
    closedAt: msOrNull,
    comments: array(objectSchema({ id: str, author: str, text: str, at: ms }, { open: true })),
    footage: array(openObject),
    escalations: array(openObject),
    breached: { type: 'boolean', description: 'past its SLA deadline (in the views for users, not in the cloud operator\'s list)' },
    open311Status: { enum: ['open', 'closed'], description: 'as breached' },
  },
  ['breached', 'open311Status'],
);
const TicketCategorySchema = record('TicketCategory', 'A ticket category with its response SLA', { name: str, slaMinutes: num, active: bool });
const HelpTypeSchema = record('HelpType', 'A kind of help', { name: str, active: bool });
const CertificateTypeSchema = record('CertificateType', 'A certificate type and its template', { name: str, template: str, active: bool });
const PointsRuleSchema = record('PointsRule', 'A party points rule', { name: str, points: num, selfClaim: { type: 'boolean', description: 'members may claim it themselves' }, active: bool });
const AnnouncementSchema = record('Announcement', 'A 三务公开 announcement', {
  category: strOrNull,
  title: str,
  body: str,
  status: oneOf(ANNOUNCEMENT_STATUSES),
  statusNote: strOrNull,
  reviewer: strOrNull,
  publishedAt: msOrNull,
  attachments: array(str),
});
const CertificateSchema = record('Certificate', 'A certificate request', {
  type: str,
  applicantName: strOrNull,
  idNumber: { type: ['string', 'null'], description: 'masked unless the viewer reviews certificates (always masked on the phone)' },
  purpose: str,
  status: oneOf(CERTIFICATE_STATUSES),
  pdf: { enum: ['ready', 'pending', null], description: "phone API only: an approved certificate's PDF has reached the cloud (ready: GET …/pdf) or is still on its way (pending); null unless approved" },
}, ['pdf']);
const HelpRequestSchema = record('HelpRequest', 'A help request with its resident\'s name', {
  type: str,
  typeName: strOrNull,
  residentId: strOrNull,
  residentName: strOrNull,
  description: str,
  status: oneOf(HELP_STATUSES),
  statusNote: strOrNull,
  assignee: strOrNull,
  urgent: bool,
  followUps: array(objectSchema({ id: str, text: str, by: str, at: ms }, { open: true })),
});
const PartyMemberSchema = record('PartyMember', 'A party member; only managers and the member see the ledger', {
  name: str,
  branch: str,
  username: strOrNull,
  points: array(objectSchema({ effective: { type: 'number', description: 'what the entry adds after its cap' }, voided: bool }, { open: true })),
  payments: array(openObject),
  paidMonths: array(str),
  lastPaidMonth: strOrNull,
});
const ClaimSchema = record('Claim', 'A points claim', { memberId: strOrNull, ruleCode: str, status: oneOf(CLAIM_STATUSES) });
const PartySessionSchema = record('PartySession', 'A 三会一课 session', {
  sessionType: str,
  title: str,
  branch: str,
  startAt: ms,
  status: oneOf(SESSION_STATUSES),
  attendance: array(objectSchema({ id: { type: 'string', description: 'the member' }, mode: oneOf(['onsite', 'remote']), by: str, at: ms }, { open: true })),
});

/** A member's points ledger and total (entries that count only). */
const LedgerSchema = objectSchema(
  { memberId: str, name: str, total: num, entries: array(objectSchema({ counts: { type: 'boolean', description: 'whether the entry counts toward the total' } }, { open: true })) },
  { $id: 'Ledger', description: 'A member\'s ledger and total' },
);
/** TOP10 and the like. */
const RankingSchema = objectSchema({ period: str, ranking: array(objectSchema({ rank: int, memberId: str, name: str, branch: str, points: num })) }, { $id: 'Ranking', description: 'Members by ledger points in the period, ties sharing a rank' });

/** The records, in the order a document lists them. */
export const RECORD_SCHEMAS: Schema[] = [
  TicketSchema,
  TicketCategorySchema,
  HelpTypeSchema,
  CertificateTypeSchema,
  PointsRuleSchema,
  AnnouncementSchema,
  CertificateSchema,
  ResidentSchema,
  HelpRequestSchema,
  PartyMemberSchema,
  ClaimSchema,
  PartySessionSchema,
  LedgerSchema,
  RankingSchema,
];

/** Every error of both servers: a stable code from the error table, a message, sometimes details. */
export const ErrorSchema = objectSchema(
  { error: objectSchema({ code: { type: 'string', description: 'stable code from the error table, e.g. INVALID_INPUT' }, message: str, details: array(str) }, { optional: ['details'] }) },
  { $id: 'Error', description: 'Every error: a stable code from the error table, a message, sometimes details' },
);

/** What a picker of assignees lists (governance/command.ts Assignee): both servers answer their pickers with it. */
export const AssigneeSchema = objectSchema(
  { username: str, displayName: strOrNull, role: oneOf(ROLES) },
  { $id: 'Assignee', description: 'An account a ticket or help request may be assigned to, as a picker shows it (never more of the account)' },
);

/** `{ $ref }` to a schema added under its `$id`. */
export const refTo = (id: string): Schema => ({ $ref: `${id}#` });
