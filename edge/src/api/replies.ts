import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ROLES } from '../auth/users.ts';
import { AssigneeSchema, ErrorSchema, RECORD_SCHEMAS } from '@cunbox/shared';
import { Nullable } from './schemas.ts';

/**
 * What the routes answer, for the OpenAPI document and the clients generated
 * from it. Shapes used by several routes are named components (`Ref('Ticket')`
 * in a route, `#/components/schemas/Ticket` in the document), each defined once:
 * the governance records the cloud's phone API sends too are in
 * shared/src/http/reply-schemas.ts, the edge's own below.
 *
 * The API serializes replies with JSON.stringify (plainJsonSerializer): these
 * schemas document and never filter, so a field missing here cannot vanish
 * from a reply. The API tests check every reply against them instead
 * (edge/test/helpers/openapi-check.ts).
 */
const Closed = <P extends Record<string, TSchema>>(props: P, opts: { description?: string; $id?: string } = {}) => Type.Object(props, { additionalProperties: false, ...opts });
export const Open = <P extends Record<string, TSchema>>(props: P, opts: { description?: string; $id?: string } = {}) => Type.Object(props, { additionalProperties: true, ...opts });
const Ms = Type.Number({ description: 'milliseconds since the epoch' });
const MsOrNull = Nullable(Ms);
const Str = Type.String();
const StrOrNull = Nullable(Type.String());

const userFields = { id: Type.Integer(), username: Str, displayName: StrOrNull, role: Type.Union(ROLES.map((r) => Type.Literal(r))), disabled: Type.Boolean(), createdAt: Ms, updatedAt: Ms };
const User = Closed(userFields, { $id: 'User', description: 'An account (never its password)' });
const UserWithCameras = Closed(
  { ...userFields, cameras: Nullable(Type.Array(Type.Integer(), { description: 'the only cameras this account may watch; null: every camera its role may see' })) },
  { $id: 'UserWithCameras', description: 'An account with its camera restriction' },
);
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
  Type.Unsafe(ErrorSchema),
  Closed({ ok: Type.Literal(true) }, { $id: 'Ok', description: 'Done' }),
  User,
  UserWithCameras,
  Type.Unsafe(AssigneeSchema),
  Token,
  Session,
  Ended,
  AuditEntry,
  HistoryEntry,
  Media,
  ExportJob,
  Hold,
  ...RECORD_SCHEMAS.map((s) => Type.Unsafe(s)),
];
export type ComponentName = 'Error' | 'Ok' | 'User' | 'UserWithCameras' | 'Assignee' | 'Token' | 'Session' | 'Ended' | 'AuditEntry' | 'HistoryEntry' | 'Media' | 'Ticket' | 'TicketCategory' | 'HelpType' | 'CertificateType' | 'PointsRule' | 'Announcement' | 'Certificate' | 'Resident' | 'HelpRequest' | 'PartyMember' | 'Claim' | 'PartySession' | 'Ledger' | 'Ranking' | 'ExportJob' | 'Hold';

/** A reference to a named component. */
export const Ref = (name: ComponentName) => Type.Unsafe<unknown>({ $ref: `${name}#` });
/** `{ <key>: <component> }`, the usual reply. */
export const One = (key: string, name: ComponentName) => Closed({ [key]: Ref(name) });
/** `{ <key>: <component>[] }`. */
export const Many = (key: string, name: ComponentName) => Closed({ [key]: Type.Array(Ref(name)) });
export const OkReply = Ref('Ok');
export const HistoryReply = Many('history', 'HistoryEntry');
export { Closed, Ms, MsOrNull, Str, StrOrNull };

/** A reply that is not JSON: its content type(s), documented as bytes or text. */
export const Binary = (description: string, ...types: string[]) => ({
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: t.startsWith('text/') || t.includes('mpegurl') || t.includes('ndjson') ? { type: 'string' } : { type: 'string', format: 'binary' } }])),
});
