/**
 * Writes docs/protocol/: the JSON Schema of every sync topic's payload and of
 * every governance op type's body, taken from the definitions the code itself
 * validates with (`topicSchemas` in shared/src/sync/protocol.ts, `OP_TYPES` in
 * shared/src/governance/op-schemas.ts, `mediaClaimSchema`), and a README index
 * whose examples are the golden payloads the protocol tests decode. Run it
 * after changing any of those (`npm run protocol:docs`); a test fails while
 * docs/protocol/ is not what this writes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAX_PAYLOAD_BYTES, OP_TYPES, PROTOCOL_VERSION, TOPIC_ROOT, mediaClaimSchema, topicSchemas, type Channel } from '@cunbox/shared';

const ROOT = join(import.meta.dirname, '..');
export const PROTOCOL_DOCS_DIR = join(ROOT, 'docs/protocol');
const GOLDEN_DIR = join(ROOT, 'shared/test/golden');
const DRAFT = 'http://json-schema.org/draft-07/schema#';
const ID_BASE = 'https://cunbox.invalid/protocol/v1';

/** Who publishes each channel and what it is for: every channel of the topic map must have one. */
const CHANNEL_DOCS: Record<Channel, { from: string; summary: string }> = {
  'up/hello': { from: 'edge → cloud', summary: "Sent on every (re)connect (again every resend interval until answered): the edge's op-log node id (`node`) and its watermarks of what it has committed from the cloud." },
  'down/hello': { from: 'cloud → edge', summary: "The answer to `up/hello` (or unasked after a cloud restart): the cloud's node id for the village and its watermarks of the edge's ops and events." },
  'up/ops': { from: 'edge → cloud', summary: "A batch of the edge's own ops, in seq order." },
  'down/ops': { from: 'cloud → edge', summary: "A batch of the cloud's own ops for the village (or the edge's own, sent back to an edge restored from an older backup), in seq order." },
  'up/events': { from: 'edge → cloud', summary: 'Camera events with id above `after`, in id order.' },
  'up/ack': { from: 'edge → cloud', summary: 'Everything of the stream up to `seq` is committed on the edge (cumulative; sent only after the commit).' },
  'down/ack': { from: 'cloud → edge', summary: 'Everything of the stream up to `seq` is committed in the cloud (cumulative; sent only after the commit).' },
  'up/users': { from: 'edge → cloud', summary: "The village's whole user table as one snapshot (with the edge's scrypt hashes; never logged, never dead-lettered)." },
  'down/audit': { from: 'cloud → edge', summary: "The cloud's audit entries for the village with seq above `after`." },
  'down/relay': { from: 'cloud → edge (QoS 0)', summary: 'A phone asks for a camera\'s picture, a clip or live view through the cloud; the edge checks the user\'s camera permission itself, uploads the picture or clip over its HTTP media channel and answers on `up/relay`; for live view it streams fMP4 in one chunked POST to `/api/relay/live/{id}` while the cloud renews the request (same id). See docs/design/relay.md.' },
  'up/relay': { from: 'edge → cloud (QoS 0)', summary: 'How a relay request ended: the uploaded file by its SHA-256, or a refusal with its reason.' },
  presence: { from: 'edge (retained; also its MQTT last will)', summary: 'Online/offline with the time the state began; see docs/design/sync.md, "Presence".' },
};

const fileOfChannel = (c: Channel): string => `topics/${c.replace('/', '-')}.schema.json`;
const fileOfOpType = (type: string): string => `ops/${type}.schema.json`;
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

function topicDoc(c: Channel): object {
  const d = CHANNEL_DOCS[c];
  return { $schema: DRAFT, $id: `${ID_BASE}/${fileOfChannel(c)}`, title: `${TOPIC_ROOT}/{edgeId}/${c}`, description: `${d.from}. ${d.summary}`, ...topicSchemas[c] };
}

/** An op of one type: the envelope's fields are in the ops topics' schema; this pins `type`, `entityKind` and the body. */
function opDoc(type: string): object {
  const spec = OP_TYPES[type]!;
  return {
    $schema: DRAFT,
    $id: `${ID_BASE}/${fileOfOpType(type)}`,
    title: type,
    description: spec.summary,
    type: 'object',
    required: ['type', 'entityKind', 'payload'],
    properties: { type: { const: type }, entityKind: { const: spec.entityKind }, payload: spec.payload },
  };
}

interface Golden {
  file: string;
  topic: string;
  ok: boolean;
}

function readme(channels: Channel[], opTypes: string[]): string {
  const manifest = JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as Golden[];
  const example = (c: Channel): string | undefined => {
    const g = manifest.find((m) => m.ok && m.topic === `${TOPIC_ROOT}/00000000000000e1/${c}`);
    return g && JSON.stringify(JSON.parse(readFileSync(join(GOLDEN_DIR, g.file), 'utf8')));
  };
  const lines = [
    '# The cunbox sync protocol, v1 (generated: `npm run protocol:docs`; do not edit)',
    '',
    'What an edge and the cloud say to each other, precisely enough to write another client.',
    'The transport and the guarantees (what an ack promises, how a stream resumes) are in',
    '`docs/design/sync.md`; media files travel over HTTP (tus), see `docs/design/media-sync.md`.',
    'Every schema here is JSON Schema **draft-07**, generated from the very definitions the',
    'edge and the cloud validate with, so the two cannot differ.',
    '',
    '## Transport',
    `- MQTT 3.1.1 or 5, QoS 1. Topics: \`${TOPIC_ROOT}/{edgeId}/{channel}\`; the edge id is 16 lowercase hex digits and is the edge's MQTT user name; its password is the one pairing returned.`,
    `- Payloads are UTF-8 JSON objects with \`"v": ${PROTOCOL_VERSION}\`; at most ${MAX_PAYLOAD_BYTES} bytes. A receiver dead-letters (keeps with the reason, never acts on) a payload that fails its schema, and the stream goes on.`,
    `- An edge publishes only its own \`up/…\` channels and \`presence\` (retained, also its last will), and subscribes to \`${TOPIC_ROOT}/{edgeId}/down/#\`.`,
    '- Each side resends from the other\'s watermark after `hello`; duplicates are harmless (an op is identified by `origin.seq`).',
    '',
    '## Topics',
    '',
    '| channel | from → to | schema | example (a golden payload the tests decode) |',
    '|---|---|---|---|',
    ...channels.map((c) => {
      const ex = example(c);
      return `| \`${c}\` | ${CHANNEL_DOCS[c].from} | [${fileOfChannel(c)}](${fileOfChannel(c)}) | ${ex ? `\`${ex.length > 160 ? `${ex.slice(0, 157)}…` : ex}\`` : ''} |`;
    }),
    '',
    '`up/hello` example, in full:',
    '',
    '```json',
    example('up/hello') ?? '',
    '```',
    '',
    '`node` is the sender\'s op-log node id (16 hex digits): every op it makes carries it as `origin`.',
    '`appliedSeq` is the highest seq of the peer\'s ops it has committed with none missing below.',
    '',
    '## Ops',
    'An op (inside `up/ops` / `down/ops`) changes one entity: `{id, origin, seq, hlc, actor, entityKind, entityId, type, payload}`;',
    '`id` is `origin.seq`; `seq` counts 1, 2, 3 … per origin without gaps; `hlc` is the hybrid logical clock',
    '(`<ISO time, ms>-<4 hex counter>-<origin>`), which orders the fold. Receivers fold ops in HLC order with total',
    'readers: a body field of the wrong type reads as absent, and fields a receiver does not know are ignored, so',
    'the body schemas below allow more properties than they name. Status ops carry the status their author saw',
    '(`from`): two changes made without seeing each other become a recorded conflict (`*.reviewed` clears it).',
    '',
    'Example (golden `up-ops.json`):',
    '',
    '```json',
    example('up/ops') ?? '',
    '```',
    '',
    '| op type | entity kind | what it means | schema |',
    '|---|---|---|---|',
    ...opTypes.map((t) => `| \`${t}\` | \`${OP_TYPES[t]!.entityKind}\` | ${OP_TYPES[t]!.summary} | [${fileOfOpType(t)}](${fileOfOpType(t)}) |`),
    '',
    '## Media',
    '`POST /api/media/claims` (HTTP Basic `edgeId:password`) takes [media/claim.schema.json](media/claim.schema.json); the bytes then go by tus 1.0 to `/api/media/uploads` (see `docs/design/media-sync.md`).',
    '',
  ];
  return lines.join('\n');
}

/** Every file of docs/protocol/, path relative to it → content. */
export function renderProtocolDocs(): Map<string, string> {
  const channels = (Object.keys(topicSchemas) as Channel[]).sort();
  const opTypes = Object.keys(OP_TYPES).sort();
  const files = new Map<string, string>();
  for (const c of channels) {
    if (!CHANNEL_DOCS[c]) throw new Error(`channel ${c} has no description in scripts/protocol-docs.ts`);
    files.set(fileOfChannel(c), json(topicDoc(c)));
  }
  for (const t of opTypes) files.set(fileOfOpType(t), json(opDoc(t)));
  files.set('media/claim.schema.json', json({ $schema: DRAFT, $id: `${ID_BASE}/media/claim.schema.json`, title: 'POST /api/media/claims', ...mediaClaimSchema }));
  files.set('README.md', readme(channels, opTypes));
  return files;
}

/** Replaces `dir`'s generated files with what renderProtocolDocs gives (removing ones that no longer exist). */
export function writeProtocolDocs(dir: string): void {
  for (const sub of ['topics', 'ops', 'media']) rmSync(join(dir, sub), { recursive: true, force: true });
  for (const [rel, text] of renderProtocolDocs()) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** Every file under `dir`, relative paths. */
export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeProtocolDocs(PROTOCOL_DOCS_DIR);
  console.log(`wrote ${renderProtocolDocs().size} files to docs/protocol/`);
}
