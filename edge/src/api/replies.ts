import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ROLES } from '../auth/users.ts';
import { ErrorReply, Nullable } from './schemas.ts';

/**
 * What the routes answer, for the OpenAPI document and the clients generated
 * from it. Shapes used by several routes are named components (`Ref('Ticket')`
 * in a route, `#/components/schemas/Ticket` in the document), each defined once.
 *
 * The API serializes replies with JSON.stringify (app.ts): these schemas
 * document and never filter, so a field missing here cannot vanish from a
 * reply. The API tests check every reply against them instead
 * (edge/test/helpers/openapi-check.ts).
 *
 * Governance entities are folded from the op log and grow a field when a new
 * op type does: their components list what a client may rely on and stay open
 * (additionalProperties: true). Everything else is closed.
 */
const Closed = <P extends Record<string, TSchema>>(props: P, opts: { description?: string; $id?: string } = {}) => Type.Object(props, { additionalProperties: false, ...opts });
const Open = <P extends Record<string, TSchema>>(props: P, opts: { description?: string; $id?: string } = {}) => Type.Object(props, { additionalProperties: true, ...opts });
const Ms = Type.Number({ description: 'milliseconds since the epoch' });
const MsOrNull = Nullable(Ms);
const Str = Type.String();
const StrOrNull = Nullable(Type.String());
const Any = Type.Unknown();

/** The fields every folded governance entity has (shared/src/oplog/types.ts). */
const entityBase = {
  kind: Str,
  id: Type.String({ description: 'ULID' }),
  exists: Type.Boolean(),
  createdAt: MsOrNull,
  createdBy: StrOrNull,
  updatedAt: MsOrNull,
  lastHlc: StrOrNull,
  opCount: Type.Integer(),
  conflicts: Type.Array(
    Closed({ opId: Str, hlc: Str, actor: Str, expected: Str, found: Str, to: Str, applied: Type.Boolean(), reviewedBy: StrOrNull }),
    { description: 'status changes that crossed while offline' },
  ),
  needsReview: Type.Boolean(),
};
const Entity = <P extends Record<string, TSchema>>($id: string, props: P, description: string) => Open({ ...entityBase, ...props }, { $id, description });

const User = Closed(
  { id: Type.Integer(), username: Str, displayName: StrOrNull, role: Type.Union(ROLES.map((r) => Type.Literal(r))), disabled: Type.Boolean(), createdAt: Ms, updatedAt: Ms },
  { $id: 'User', description: 'An account (never its password)' },
);
const UserWithCameras = Type.Intersect([Type.Ref('User'), Type.Object({ cameras: Nullable(Type.Array(Type.Integer())) })], { $id: 'UserWithCameras' });
const Token = Closed({ id: Type.Integer(), name: Str, createdAt: Ms, expiresAt: Ms, lastUsedAt: MsOrNull, revokedAt: MsOrNull }, { $id: 'Token', description: 'An API token (never its secret)' });
const Session = Closed({ id: Type.Integer(), createdAt: Ms, lastSeen: Ms, endsAt: Ms }, { $id: 'Session' });
const Ended = Closed({ sessions: Type.Integer(), tokens: Type.Integer() }, { $id: 'Ended', description: 'How many sessions ended and tokens were revoked' });
const AuditEntry = Closed(
  { id: Type.Integer(), at: Ms, actor: StrOrNull, role: StrOrNull, action: Str, target: StrOrNull, detail: Nullable(Type.Object({}, { additionalProperties: true })), ip: StrOrNull, source: Type.Union([Type.Literal('edge'), Type.Literal('cloud')]) },
  { $id: 'AuditEntry' },
);
const HistoryEntry = Closed({ id: Str, hlc: Str, actor: StrOrNull, type: Str, payload: Type.Object({}, { additionalProperties: true }) }, { $id: 'HistoryEntry', description: 'One op of an entity, in order' });
const Media = Closed(
  { id: Str, kind: Type.Union([Type.Literal('image'), Type.Literal('pdf')]), mime: Str, bytes: Type.Integer(), width: Nullable(Type.Integer()), height: Nullable(Type.Integer()), sha256: Str, createdBy: Str, createdAt: Ms },
  { $id: 'Media' },
);

const Ticket = Entity(
  'Ticket',
  {
    category: StrOrNull,
    categoryName: StrOrNull,
    description: Str,
    place: StrOrNull,
    lat: Nullable(Type.Number()),
    lng: Nullable(Type.Number()),
    reporter: StrOrNull,
    anonymous: Type.Boolean(),
    photos: Type.Array(Str),
    status: Str,
    statusNote: StrOrNull,
    assignee: StrOrNull,
    duplicateOf: StrOrNull,
    slaMinutes: Type.Number(),
    deadline: MsOrNull,
    reopenCount: Type.Integer(),
    resolvedAt: MsOrNull,
    closedAt: MsOrNull,
    comments: Type.Array(Open({})),
    footage: Type.Array(Open({})),
    escalations: Type.Array(Open({})),
    breached: Type.Boolean({ description: 'past its SLA deadline' }),
    open311Status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  },
  'A 随手拍 ticket as the viewer may see it',
);
const TicketCategory = Entity('TicketCategory', { name: Str, slaMinutes: Type.Number(), active: Type.Boolean() }, 'A ticket category with its response SLA');
const HelpType = Entity('HelpType', { name: Str, active: Type.Boolean() }, 'A kind of help');
const CertificateType = Entity('CertificateType', { name: Str, template: Str, active: Type.Boolean() }, 'A certificate type and its template');
const PointsRule = Entity('PointsRule', { name: Str, points: Type.Number(), active: Type.Boolean() }, 'A party points rule');
const Announcement = Entity('Announcement', { category: Str, title: Str, body: Str, status: Str, attachments: Type.Array(Str) }, 'A 三务公开 announcement');
const Certificate = Entity('Certificate', { type: Str, applicantName: StrOrNull, idNumber: Nullable(Type.String({ description: 'masked unless the viewer reviews certificates' })), purpose: Str, status: Str }, 'A certificate request');
const Resident = Closed(
  {
    id: Str,
    name: Str,
    address: StrOrNull,
    gridWorker: StrOrNull,
    username: StrOrNull,
    idNumber: StrOrNull,
    phone: StrOrNull,
    dibao: Nullable(Type.Boolean()),
    disabled: Nullable(Type.Boolean()),
    elderly: Nullable(Type.Boolean()),
    notes: StrOrNull,
    sensitive: Type.Boolean({ description: 'the sensitive fields are shown in full (such reads are audited)' }),
  },
  { $id: 'Resident', description: 'A resident as the viewer may see them: null where not shown' },
);
const HelpRequest = Entity('HelpRequest', { type: Str, residentId: StrOrNull, residentName: StrOrNull, status: Str, urgent: Type.Boolean() }, 'A help request with the resident\'s name (not their sensitive fields)');
const PartyMember = Entity('PartyMember', { name: Str, branch: Str, username: StrOrNull, points: Type.Array(Open({})), payments: Type.Array(Open({})), paidMonths: Type.Array(Str), lastPaidMonth: StrOrNull }, 'A party member; others than managers and the member see an empty ledger');
const Claim = Entity('Claim', { ruleCode: Str, status: Str }, 'A points claim');
const PartySession = Entity('PartySession', { sessionType: Str, title: Str, branch: Str, startAt: Ms, status: Str }, 'A 三会一课 session');
const ExportJob = Closed(
  {
    id: Type.Integer(),
    cameraIds: Type.Array(Type.Integer()),
    fromMs: Ms,
    toMs: Ms,
    status: Type.Union(['queued', 'running', 'done', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
    progress: Type.Number(),
    error: StrOrNull,
    reason: Str,
    createdBy: StrOrNull,
    createdAt: Ms,
    startedAt: MsOrNull,
    finishedAt: MsOrNull,
    attempts: Type.Integer(),
    manifestSha256: StrOrNull,
  },
  { $id: 'ExportJob' },
);
const Hold = Closed({ id: Type.Integer(), cameraId: Type.Integer(), startMs: Ms, endMs: Ms, reason: Str, createdBy: StrOrNull, createdAt: Ms, releasedAt: MsOrNull }, { $id: 'Hold', description: 'An evidence hold' });

/** The named components, in the order the document lists them. */
export const COMPONENTS: TSchema[] = [
  Type.Object(ErrorReply.properties, { $id: 'Error', description: 'Every error: a stable code from the error table, a message, sometimes details' }),
  Closed({ ok: Type.Literal(true) }, { $id: 'Ok' }),
  User,
  UserWithCameras,
  Token,
  Session,
  Ended,
  AuditEntry,
  HistoryEntry,
  Media,
  Ticket,
  TicketCategory,
  HelpType,
  CertificateType,
  PointsRule,
  Announcement,
  Certificate,
  Resident,
  HelpRequest,
  PartyMember,
  Claim,
  PartySession,
  ExportJob,
  Hold,
];
export type ComponentName = 'Error' | 'Ok' | 'User' | 'UserWithCameras' | 'Token' | 'Session' | 'Ended' | 'AuditEntry' | 'HistoryEntry' | 'Media' | 'Ticket' | 'TicketCategory' | 'HelpType' | 'CertificateType' | 'PointsRule' | 'Announcement' | 'Certificate' | 'Resident' | 'HelpRequest' | 'PartyMember' | 'Claim' | 'PartySession' | 'ExportJob' | 'Hold';

/** A reference to a named component. */
export const Ref = (name: ComponentName) => Type.Unsafe<unknown>({ $ref: `${name}#` });
/** `{ <key>: <component> }`, the usual reply. */
export const One = (key: string, name: ComponentName) => Closed({ [key]: Ref(name) });
/** `{ <key>: <component>[] }`. */
export const Many = (key: string, name: ComponentName) => Closed({ [key]: Type.Array(Ref(name)) });
export const OkReply = Ref('Ok');
export const HistoryReply = Many('history', 'HistoryEntry');
export { Closed, Open, Ms, MsOrNull, Str, StrOrNull, Any };

/** A reply that is not JSON: its content type(s), documented as bytes or text. */
export const Binary = (description: string, ...types: string[]) => ({
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: t.startsWith('text/') || t.includes('mpegurl') || t.includes('ndjson') ? { type: 'string' } : { type: 'string', format: 'binary' } }])),
});
