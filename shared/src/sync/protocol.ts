/**
 * The edge ↔ cloud wire contract: every MQTT topic, the one schema
 * of its payload, and the decoder both sides run on receipt. The topic map is
 * the only place a topic or payload shape is defined; edge and cloud import it.
 *
 * Topics are `cunbox/v1/{edgeId}/{channel}`. The version is in the topic (a
 * broker ACL pattern can tell versions apart) and in every payload (`v`), so a
 * message copied onto the wrong topic version is still recognised.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Op } from '../oplog/types.ts';
import { ROLES, type Role } from '../auth/roles.ts';

export const PROTOCOL_VERSION = 1;
export const TOPIC_ROOT = `cunbox/v${PROTOCOL_VERSION}`;
/** Larger payloads are dead-lettered unparsed (brokers and clients cope badly with large MQTT payloads: media go on their own channel). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Edge ids are 16 hex digits, like node ids: safe as one topic level and as an MQTT user name. */
export const EDGE_ID_PATTERN = /^[0-9a-f]{16}$/;

/** A batch of ops, in seq order, all of one origin. */
export interface OpsMessage {
  v: 1;
  ops: Op[];
}

export interface SyncEvent {
  /** The edge's event row id: increasing, the event stream's watermark. */
  id: number;
  cameraId: number | null;
  type: string;
  atMs: number;
  detail: Record<string, unknown>;
}

/**
 * Motion and tamper, from either source (the edge's video detector or the
 * camera's own ONVIF alarm), in one model of two rows per episode:
 * - a start row (`motion.start`, `tamper.start`) stored as soon as the source
 *   decides an episode began, dated at its start: the "it is happening now" signal;
 * - a summary row (`motion`, `tamper`) stored when it ended, dated at the same
 *   start, naming the start row (`startEventId`).
 * A start row with no summary naming it is an episode still going on.
 */
export const MOTION_START_EVENT_TYPE = 'motion.start';
/** The event type of detected motion (and, later, of detected objects: same record, `labels` filled). */
export const MOTION_EVENT_TYPE = 'motion';
export const TAMPER_START_EVENT_TYPE = 'tamper.start';
export const TAMPER_EVENT_TYPE = 'tamper';
/** Each start type and the type of the summary that closes it. */
export const EPISODE_TYPES = { [MOTION_START_EVENT_TYPE]: MOTION_EVENT_TYPE, [TAMPER_START_EVENT_TYPE]: TAMPER_EVENT_TYPE } as const;
/** The media kind of an event's thumbnail; its ref is `event-<id>`. */
export const EVENT_THUMBNAIL_KIND = 'event-thumbnail';
/** The media kind of an approved certificate's PDF as phones download it (ID number masked); its ref is certificatePdfRef(id). */
export const CERTIFICATE_PDF_KIND = 'certificate-pdf';
export const certificatePdfRef = (certificateId: string): string => `certificate-${certificateId}`;

/** Who saw it: the edge's video detector, or the camera itself (ONVIF events). */
type EventSource = 'video' | 'onvif';

/** `detail` of a `motion.start` or `tamper.start` row; its `atMs` is the start. */
export interface EpisodeStartDetail {
  v: 1;
  source: EventSource;
  /** Video: the camera's zone; null: the whole picture (a camera without zones, and every ONVIF alarm). */
  zone: string | null;
  /** ONVIF: the topic that raised it. */
  topic?: string;
  /** ONVIF: the camera's own time of it, when plausible. */
  cameraAtMs?: number;
}

/**
 * `detail` of a `motion` row (the summary). The event's `atMs` is when the motion started.
 * An object detector adds `labels` (and may raise `score`) without changing
 * what the other fields mean, so old readers keep working.
 */
export interface MotionEventDetail {
  v: 1;
  /** Absent in rows stored before both sources shared this model (they were all video). */
  source?: EventSource;
  /** The camera's zone the motion was in; null: the whole picture (a camera without zones, ONVIF). */
  zone: string | null;
  endMs: number;
  /** When the moving area was largest: the thumbnail's moment (ONVIF: the start). */
  peakAtMs: number;
  /** 0..1: for motion, the largest share of the picture moving inside the zone; null: the source does not say (ONVIF). */
  score: number | null;
  /** What moved, e.g. ["person"]; empty for motion alone. */
  labels: string[];
  /** The JPEG of the peak frame, uploaded as media (kind EVENT_THUMBNAIL_KIND); null: none (always for ONVIF). */
  thumbnail: { sha256: string; bytes: number } | null;
  /** The `motion.start` row of the same episode; null when it could not be stored. Absent in older rows. */
  startEventId?: number | null;
  /** ONVIF: the topic, and why it ended (`off`: the alarm went off; `stopped`: the source stopped). */
  topic?: string;
  reason?: 'off' | 'stopped';
}

/** `detail` of a `tamper` row (the summary), dated at the start. Only ONVIF raises tamper. */
export interface TamperEventDetail {
  v: 1;
  source: EventSource;
  zone: null;
  endMs: number;
  startEventId: number | null;
  topic: string;
  reason: 'off' | 'stopped';
}

/** Camera events after `after` (the sender's previous watermark), in id order. */
interface EventsMessage {
  v: 1;
  after: number;
  events: SyncEvent[];
}

/**
 * "I have committed everything of this stream up to `seq`" — sent only after
 * the receiver's transaction committed. For ops, `seq` is the highest seq of
 * `origin` below which no seq is missing; for events, the highest event id
 * committed with nothing skipped; for audit (edge → cloud), the highest seq
 * of the cloud's audit entries for the village (`origin`: the cloud's node)
 * committed with nothing skipped.
 */
interface AckMessage {
  v: 1;
  stream: 'ops' | 'events' | 'audit';
  origin: string;
  seq: number;
}

/**
 * Sent by the edge on every (re)connect and answered by the cloud: each side
 * says where it stands, and each resumes sending from the other's watermark.
 */
interface HelloMessage {
  v: 1;
  /** The sender's op-log node id. */
  node: string;
  /** Highest contiguous seq of the peer's ops the sender has committed (0: none). */
  appliedSeq: number;
  /** Cloud → edge only: highest event id committed (0: none). */
  eventsAcked?: number;
  /**
   * Edge → cloud only: the highest seq of the edge's own ops it holds. When the
   * cloud holds more (the edge was restored from an older backup) it sends
   * them back on `down/ops`.
   */
  ownSeq?: number;
  /** Edge → cloud only: highest seq of the cloud's audit entries committed (0: none). Absent from older edges. */
  auditSeq?: number;
}

/**
 * One audit entry the cloud recorded for the village (a phone read of
 * unmasked data, …). `seq` counts per village from 1, without gaps. Like the
 * edge's own audit rows: ids and field names only, never the values read.
 */
export interface SyncAuditEntry {
  seq: number;
  at: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

/** Cloud → edge: the village's audit entries after `after` (the sender's previous watermark), in seq order. */
interface AuditMessage {
  v: 1;
  after: number;
  entries: SyncAuditEntry[];
}

/**
 * Retained; the broker publishes `online: false` as the edge's last will.
 * `at` (epoch ms, strictly increasing per edge, across restarts) is when the
 * state began as far as the edge can know: online, the start of the
 * connection; a clean offline, the stop; the will, the start of the
 * connection whose loss it reports (it is fixed when the edge connects, so
 * it carries the same `at` as that connection's online message). See
 * `presenceIsStale` for the order.
 */
export interface PresenceMessage {
  v: 1;
  online: boolean;
  at: number;
}

/**
 * Whether `next` is older than the presence already `held` and must not
 * replace it: a smaller `at`, or an online with the same `at` as an offline
 * (offline ends the connection that began at `at`; the will of a connection
 * and its online message share their `at`). The same message again is not
 * stale: a cloud that restarts gets the retained one again and must act on it.
 */
export function presenceIsStale(held: Pick<PresenceMessage, 'online' | 'at'> | null, next: Pick<PresenceMessage, 'online' | 'at'>): boolean {
  if (!held) return false;
  if (next.at !== held.at) return next.at < held.at;
  return next.online && !held.online;
}

/** One edge account as the cloud keeps it (for the phone API's logins and roles). */
export interface SyncUser {
  username: string;
  displayName: string | null;
  role: Role;
  /** The edge's scrypt hash, as stored there: the cloud checks phone logins with it and never shows it. */
  passwordHash: string;
  disabled: boolean;
  /** Per-user camera restriction; null: the role decides (see cameraScope). */
  cameras: number[] | null;
}

/**
 * Edge → cloud, after every hello and whenever the accounts change: the
 * village's whole user table (a snapshot, not a diff, so a lost message is
 * repaired by the next one). `version` is a hash of the users; `at` the edge's
 * clock, so a late duplicate of an older snapshot is ignored.
 */
export interface UsersMessage {
  v: 1;
  version: string;
  at: number;
  users: SyncUser[];
}
/** A village has tens to hundreds of accounts; this bound keeps a snapshot well under MAX_PAYLOAD_BYTES. */
export const MAX_SYNC_USERS = 800;

/**
 * Cloud → edge: a phone asks, through the cloud, for something of a camera
 * (docs/design/relay.md). Sent at QoS 0 and never retried: an answer late
 * enough to need a retry is an answer nobody waits for. `user` is the phone
 * user the cloud checked; the edge checks the same user's camera permission
 * again against its own accounts before it answers.
 */
export type RelayRequestMessage = RelayRequestBase & ({ kind: 'snapshot' } | { kind: 'clip'; fromMs: number; toMs: number } | { kind: 'live' });
interface RelayRequestBase {
  v: 1;
  /**
   * 32 hex digits, unique per request: the edge's upload names it (media ref
   * `relay-<id>`; live: the path of its stream upload). A live request is sent
   * again with the same id to keep the stream going (a renewal).
   */
  id: string;
  cameraId: number;
  user: string;
  /** The cloud's clock when it asked, and after which nobody waits for the answer. */
  at: number;
  expiresAt: number;
}
/** The longest clip a phone may ask for through the relay: it travels whole, within one request's wait. */
export const MAX_RELAY_CLIP_MS = 60_000;
/** The media kinds of relayed files (a picture, a clip), uploaded with ref `relay-<request id>`; the cloud keeps them only a while. */
export const RELAY_SNAPSHOT_KIND = 'relay-snapshot';
export const RELAY_CLIP_KIND = 'relay-clip';
export const RELAY_MEDIA_KINDS: readonly string[] = [RELAY_SNAPSHOT_KIND, RELAY_CLIP_KIND];
/** The cloud renews a live request this often while phones watch. */
export const LIVE_RENEWAL_MS = 10_000;
/** The edge ends a live upload when no renewal came for this long. */
export const LIVE_RENEWAL_TIMEOUT_MS = 20_000;
/** Where the edge uploads a live stream (chunked fMP4, edge Basic credentials); `{id}` is the request's. */
export const LIVE_UPLOAD_PATH = '/api/relay/live';
/** Why the edge did not answer a relay request with media. */
const RELAY_REFUSALS = ['forbidden', 'not-found', 'no-footage', 'too-large', 'unavailable', 'busy', 'expired'] as const;
export type RelayRefusal = (typeof RELAY_REFUSALS)[number];
/**
 * Edge → cloud, QoS 0: how a relay request ended. The bytes never travel on
 * MQTT: the edge uploads them over its outbound HTTP connection (the media
 * channel, content-addressed) first, then names them here by hash.
 */
export type RelayReplyMessage =
  | { v: 1; id: string; ok: true; sha256: string; bytes: number; mime: string; capturedAt: number }
  | { v: 1; id: string; ok: false; reason: RelayRefusal; message: string };
/** A relay request id: 32 hex digits. */
const RELAY_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Every topic channel, who publishes it, and its payload type. */
export interface TopicMap {
  'up/ops': OpsMessage;
  'up/events': EventsMessage;
  'up/ack': AckMessage;
  'up/hello': HelloMessage;
  'up/users': UsersMessage;
  'up/relay': RelayReplyMessage;
  'down/ops': OpsMessage;
  'down/ack': AckMessage;
  'down/hello': HelloMessage;
  'down/audit': AuditMessage;
  'down/relay': RelayRequestMessage;
  presence: PresenceMessage;
}
export type Channel = keyof TopicMap;

const HEX16 = '^[0-9a-f]{16}$';
const opSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'origin', 'seq', 'hlc', 'actor', 'entityKind', 'entityId', 'type', 'payload'],
  properties: {
    id: { type: 'string', maxLength: 64, description: '`${origin}.${seq}`: unique everywhere.' },
    origin: { type: 'string', pattern: HEX16, description: 'The node id of the node that made the op.' },
    seq: { type: 'integer', minimum: 1, description: '1, 2, 3 … per origin, without gaps.' },
    hlc: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z-[0-9a-f]{4}-[0-9a-f]{16}$',
      description: 'Hybrid logical clock at the origin when the op was made: UTC time (ms), a hex counter, the origin.',
    },
    actor: { type: 'string', maxLength: 200, description: "Who made it: a user name on the origin, or 'system' / 'anonymous'." },
    entityKind: { type: 'string', minLength: 1, maxLength: 64 },
    entityId: { type: 'string', minLength: 1, maxLength: 128 },
    type: { type: 'string', minLength: 1, maxLength: 64, description: 'The op type (docs/protocol/ops/): what the entity kind\'s fold does with the payload.' },
    payload: { type: 'object' },
  },
} as const;
const v = { const: PROTOCOL_VERSION } as const;
const opsSchema = { type: 'object', additionalProperties: false, required: ['v', 'ops'], properties: { v, ops: { type: 'array', maxItems: 1000, items: opSchema } } } as const;
const ackSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'stream', 'origin', 'seq'],
  properties: {
    v,
    stream: { enum: ['ops', 'events', 'audit'] },
    origin: { type: 'string', pattern: HEX16, description: "ops: the origin acked; events: the edge's node; audit: the cloud's node for the village." },
    seq: { type: 'integer', minimum: 0, description: 'Everything of the stream up to here is committed by the sender of the ack, nothing missing below.' },
  },
} as const;
const helloSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'node', 'appliedSeq'],
  properties: {
    v,
    node: { type: 'string', pattern: HEX16, description: "The sender's op-log node id: the origin of every op it makes." },
    appliedSeq: { type: 'integer', minimum: 0, description: "Highest seq of the peer's ops the sender has committed with none missing below (0: none)." },
    eventsAcked: { type: 'integer', minimum: 0, description: 'Cloud → edge only: highest event id committed (0: none).' },
    ownSeq: { type: 'integer', minimum: 0, description: "Edge → cloud only: the highest seq of the edge's own ops it holds; the cloud sends back any above it." },
    auditSeq: { type: 'integer', minimum: 0, description: "Edge → cloud only: highest seq of the cloud's audit entries committed (0: none)." },
  },
} as const;

const EVENT_TYPE_DOC =
  'camera.online, camera.offline, …; motion.start / tamper.start: an episode began (stored at once); motion / tamper: its summary, stored when it ended, dated at the start and naming the start row (detail.startEventId). A start row no summary names is still going on.';
const EVENT_DETAIL_DOC =
  'Per type. motion.start, tamper.start: {v, source: "video"|"onvif", zone, topic?, cameraAtMs?}. motion: {v, source, zone, endMs, peakAtMs, score (null for onvif), labels, thumbnail ({sha256, bytes} or null), startEventId, topic?, reason?}. tamper: {v, source, zone: null, endMs, startEventId, topic, reason}. Readers ignore fields they do not know.';

export const topicSchemas: Record<Channel, object> = {
  'up/ops': opsSchema,
  'up/events': {
    type: 'object',
    additionalProperties: false,
    required: ['v', 'after', 'events'],
    properties: {
      v,
      after: { type: 'integer', minimum: 0 },
      events: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'cameraId', 'type', 'atMs', 'detail'],
          properties: { id: { type: 'integer', minimum: 1 }, cameraId: { type: ['integer', 'null'] }, type: { type: 'string', maxLength: 64, description: EVENT_TYPE_DOC }, atMs: { type: 'integer', description: 'When it happened; motion and tamper rows (start and summary alike): when the episode started.' }, detail: { type: 'object', description: EVENT_DETAIL_DOC } },
        },
      },
    },
  },
  'up/ack': ackSchema,
  'up/hello': helloSchema,
  'up/users': {
    type: 'object',
    additionalProperties: false,
    required: ['v', 'version', 'at', 'users'],
    properties: {
      v,
      version: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      at: { type: 'integer', minimum: 0 },
      users: {
        type: 'array',
        maxItems: MAX_SYNC_USERS,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'displayName', 'role', 'passwordHash', 'disabled', 'cameras'],
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            displayName: { type: ['string', 'null'], maxLength: 100 },
            role: { enum: [...ROLES] },
            passwordHash: { type: 'string', pattern: '^scrypt\\$', maxLength: 300 },
            disabled: { type: 'boolean' },
            cameras: { type: ['array', 'null'], maxItems: 1024, items: { type: 'integer', minimum: 1 } },
          },
        },
      },
    },
  },
  'down/ops': opsSchema,
  'down/ack': ackSchema,
  'down/hello': helloSchema,
  'down/audit': {
    type: 'object',
    additionalProperties: false,
    required: ['v', 'after', 'entries'],
    properties: {
      v,
      after: { type: 'integer', minimum: 0 },
      entries: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['seq', 'at', 'actor', 'role', 'action', 'target', 'detail', 'ip'],
          properties: {
            seq: { type: 'integer', minimum: 1 },
            at: { type: 'integer', minimum: 0 },
            actor: { type: 'string', minLength: 1, maxLength: 64 },
            role: { type: ['string', 'null'], maxLength: 32 },
            action: { type: 'string', minLength: 1, maxLength: 64 },
            target: { type: ['string', 'null'], maxLength: 200 },
            detail: { type: ['object', 'null'] },
            ip: { type: ['string', 'null'], maxLength: 64 },
          },
        },
      },
    },
  },
  'up/relay': {
    oneOf: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['v', 'id', 'ok', 'sha256', 'bytes', 'mime', 'capturedAt'],
        properties: {
          v,
          id: { type: 'string', pattern: RELAY_ID_PATTERN.source },
          ok: { const: true },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The uploaded file (media channel, kind relay-snapshot or relay-clip, ref relay-<id>).' },
          bytes: { type: 'integer', minimum: 1 },
          mime: { enum: ['image/jpeg', 'video/mp4'] },
          capturedAt: { type: 'integer', minimum: 0, description: "When the picture was taken (a clip: where it starts), by the edge's clock." },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['v', 'id', 'ok', 'reason', 'message'],
        properties: {
          v,
          id: { type: 'string', pattern: RELAY_ID_PATTERN.source },
          ok: { const: false },
          reason: { enum: [...RELAY_REFUSALS], description: 'forbidden: the edge refuses this user this camera; not-found: no such camera; no-footage: nothing recorded in the range; too-large: the clip is larger than the edge may send; unavailable: no picture; busy: too many relays at once; expired: it came too late.' },
          message: { type: 'string', maxLength: 300 },
        },
      },
    ],
  },
  'down/relay': {
    type: 'object',
    required: ['v', 'id', 'kind', 'cameraId', 'user', 'at', 'expiresAt'],
    properties: {
      v,
      id: { type: 'string', pattern: RELAY_ID_PATTERN.source },
      kind: { enum: ['snapshot', 'clip', 'live'], description: `live: stream the camera to the cloud (chunked fMP4, POST ${LIVE_UPLOAD_PATH}/{id}); the cloud sends the same id again every ${LIVE_RENEWAL_MS / 1000} s while phones watch, and the edge stops after ${LIVE_RENEWAL_TIMEOUT_MS / 1000} s without one.` },
      cameraId: { type: 'integer', minimum: 1 },
      user: { type: 'string', minLength: 1, maxLength: 64, description: 'The phone user the cloud checked; the edge checks them again.' },
      at: { type: 'integer', minimum: 0 },
      expiresAt: { type: 'integer', minimum: 0, description: "The cloud's clock; the edge compares it with its own only to drop what is far too late." },
      fromMs: { type: 'integer', minimum: 0, description: 'clip: the range, epoch ms, at most MAX_RELAY_CLIP_MS long.' },
      toMs: { type: 'integer', minimum: 1 },
    },
    oneOf: [
      { additionalProperties: false, properties: { v: true, id: true, kind: { const: 'snapshot' }, cameraId: true, user: true, at: true, expiresAt: true } },
      { additionalProperties: false, required: ['fromMs', 'toMs'], properties: { v: true, id: true, kind: { const: 'clip' }, cameraId: true, user: true, at: true, expiresAt: true, fromMs: true, toMs: true } },
      { additionalProperties: false, properties: { v: true, id: true, kind: { const: 'live' }, cameraId: true, user: true, at: true, expiresAt: true } },
    ],
  },
  presence: { type: 'object', additionalProperties: false, required: ['v', 'online', 'at'], properties: { v, online: { type: 'boolean' }, at: { type: 'integer', description: 'Epoch ms when the state began, strictly increasing per edge.' } } },
};

/** The channels an edge publishes besides its presence: what a broker's ACL lets it write. */
export const UPLINK_CHANNELS: readonly Channel[] = (Object.keys(topicSchemas) as Channel[]).filter((c) => c.startsWith('up/'));

// Compiled on first use: every CLI command loads this module, few decode messages.
let validators: Record<Channel, ValidateFunction> | undefined;
function validatorFor(channel: Channel): ValidateFunction {
  if (!validators) {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    validators = Object.fromEntries(Object.entries(topicSchemas).map(([k, s]) => [k, ajv.compile(s)])) as Record<Channel, ValidateFunction>;
  }
  return validators[channel];
}
const CHANNELS = new Set(Object.keys(topicSchemas));

export function topic(edgeId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${edgeId}/${channel}`;
}

/** What the cloud subscribes to: every edge's uplink and presence. */
export const CLOUD_SUBSCRIPTIONS = ['cunbox/+/+/up/#', 'cunbox/+/+/presence'];

/**
 * The cloud's subscriptions when several cloud workers share one broker (`sharedGroup`: an
 * MQTT 5 shared-subscription group, `$share/<group>/…`): each uplink message goes to one
 * worker of the group. What every worker must see is subscribed plainly: presence (retained,
 * so each worker learns on its subscribe which edges are online and opens their downlink)
 * and relay answers (only the worker that asked waits for one; the others drop it).
 * Why per-edge correctness survives the split: docs/design/cloud-workers.md.
 */
export function cloudSubscriptions(sharedGroup: string | null): string[] {
  if (sharedGroup === null) return CLOUD_SUBSCRIPTIONS;
  const everyWorker: Channel[] = ['up/relay'];
  const split = UPLINK_CHANNELS.filter((c) => !everyWorker.includes(c)).map((c) => `$share/${sharedGroup}/cunbox/+/+/${c}`);
  return [...split, ...everyWorker.map((c) => `cunbox/+/+/${c}`), 'cunbox/+/+/presence'];
}
/** What an edge subscribes to: its own downlink. */
export const edgeSubscriptions = (edgeId: string): string[] => [`${TOPIC_ROOT}/${edgeId}/down/#`];

export type Decoded = { [C in Channel]: { ok: true; edgeId: string; channel: C; msg: TopicMap[C] } }[Channel];
export interface Rejected {
  ok: false;
  /** The edge id when the topic names one (even a wrong-version topic does). */
  edgeId: string | null;
  reason: string;
}

/**
 * Checks a received message against its topic's schema. Never throws: the
 * caller dead-letters a rejection with its reason and carries on.
 */
export function decode(topicName: string, payload: Uint8Array): Decoded | Rejected {
  const parts = topicName.split('/');
  const edgeId = parts[2] !== undefined && EDGE_ID_PATTERN.test(parts[2]) ? parts[2] : null;
  if (parts[0] !== 'cunbox' || parts.length < 4) return { ok: false, edgeId, reason: `not a cunbox topic: ${topicName.slice(0, 200)}` };
  if (parts[1] !== `v${PROTOCOL_VERSION}`) return { ok: false, edgeId, reason: `unsupported protocol version ${parts[1]!.slice(0, 20)}` };
  if (!edgeId) return { ok: false, edgeId, reason: 'bad edge id in topic' };
  const channel = parts.slice(3).join('/');
  if (!CHANNELS.has(channel)) return { ok: false, edgeId, reason: `unknown channel ${channel.slice(0, 100)}` };
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return { ok: false, edgeId, reason: `payload too large (${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES})` };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, edgeId, reason: 'not JSON' };
  }
  if (data !== null && typeof data === 'object' && 'v' in data && (data as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, edgeId, reason: `unsupported message version ${JSON.stringify((data as { v: unknown }).v)}` };
  }
  const validate = validatorFor(channel as Channel);
  if (!validate(data)) {
    const e = validate.errors?.[0];
    return { ok: false, edgeId, reason: `schema: ${e ? `${e.instancePath || '/'} ${e.message ?? ''}` : 'invalid'}` };
  }
  if (channel === 'down/relay') {
    const r = data as RelayRequestMessage;
    if (r.kind === 'clip' && !(r.toMs > r.fromMs && r.toMs - r.fromMs <= MAX_RELAY_CLIP_MS)) return { ok: false, edgeId, reason: `clip range must be 1 ms to ${MAX_RELAY_CLIP_MS} ms long` };
  }
  if (channel.endsWith('/ops')) {
    for (const op of (data as OpsMessage).ops) {
      if (op.id !== `${op.origin}.${op.seq}`) return { ok: false, edgeId, reason: `op id ${op.id} does not match its origin and seq` };
    }
  }
  return { ok: true, edgeId, channel, msg: data } as Decoded;
}

export function encode<C extends Channel>(_channel: C, msg: TopicMap[C]): Buffer {
  return Buffer.from(JSON.stringify(msg));
}

/** Channels whose payloads carry secrets (password hashes): what a dead letter keeps of them is a note, never the bytes. */
const SECRET_CHANNELS: ReadonlySet<string> = new Set<Channel>(['up/users']);

/** What a dead-letter table may keep of a rejected message on `topicName`. */
export function deadLetterCopy(topicName: string, payload: Uint8Array): Uint8Array {
  const channel = topicName.split('/').slice(3).join('/');
  return SECRET_CHANNELS.has(channel) ? Buffer.from(`(${channel} payload not kept: it holds secrets)`) : payload;
}
