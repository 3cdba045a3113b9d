import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { OP_TYPES, decode, governanceModels, type OpsMessage } from '@cunbox/shared';
import { tmpDir } from '@cunbox/test-support/tmp';
import { PROTOCOL_DOCS_DIR, listFiles, writeProtocolDocs } from './protocol-docs.ts';

const ENTITY_KINDS: readonly string[] = governanceModels.map((m) => m.kind);
const GOLDEN = join(import.meta.dirname, '../shared/test/golden');
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as Array<{ file: string; topic: string; ok: boolean }>;

t.test('docs/protocol/ is what `npm run protocol:docs` writes now', async (t) => {
  const dir = tmpDir(t, 'cunbox-protocol-docs-');
  writeProtocolDocs(dir);
  const fresh = listFiles(dir).sort();
  const committed = listFiles(PROTOCOL_DOCS_DIR).sort();
  t.same(committed, fresh, 'the same files (run `npm run protocol:docs`)');
  for (const f of fresh) {
    const want = readFileSync(join(dir, f), 'utf8');
    let have = '';
    try {
      have = readFileSync(join(PROTOCOL_DOCS_DIR, f), 'utf8');
    } catch {
      // listed as missing above
    }
    if (have !== want) t.fail(`docs/protocol/${f} is out of date: run \`npm run protocol:docs\``);
  }
});

/** The published schemas, compiled by a JSON Schema validator on their own (not through decode). */
function publishedValidators(): { topic: (channel: string) => ValidateFunction; op: (type: string) => ValidateFunction | undefined } {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });
  const load = (rel: string): ValidateFunction => ajv.compile(JSON.parse(readFileSync(join(PROTOCOL_DOCS_DIR, rel), 'utf8')) as object);
  const ops = new Map(readdirSync(join(PROTOCOL_DOCS_DIR, 'ops')).map((f) => [f.replace(/\.schema\.json$/, ''), load(join('ops', f))]));
  const topics = new Map(readdirSync(join(PROTOCOL_DOCS_DIR, 'topics')).map((f) => [f.replace(/\.schema\.json$/, ''), load(join('topics', f))]));
  return { topic: (c) => topics.get(c.replace('/', '-'))!, op: (type) => ops.get(type) };
}

t.test('every golden payload is judged by the published schemas as decode() judges it', async (t) => {
  const v = publishedValidators();
  for (const g of manifest) {
    const raw = readFileSync(join(GOLDEN, g.file), 'utf8');
    const parts = g.topic.split('/');
    // Wrong topic version and not-JSON are refused before any schema; the rest is the schema's to judge.
    if (parts[1] !== 'v1' || !g.file.endsWith('.json')) continue;
    const channel = parts.slice(3).join('/');
    const msg = JSON.parse(raw) as unknown;
    const d = decode(g.topic, Buffer.from(raw));
    const validate = v.topic(channel);
    t.ok(validate, `a schema for ${channel}`);
    // bad-op-id passes the schema: the id = origin.seq rule is a check beyond it (see the README).
    const schemaOk = d.ok || !/schema|version/.test(d.reason);
    t.equal(validate(msg), schemaOk, `${g.file} on ${channel}: ${JSON.stringify(validate.errors?.[0] ?? null)}`);
    if (g.ok && channel.endsWith('/ops')) {
      for (const op of (msg as OpsMessage).ops) {
        const vo = v.op(op.type);
        t.ok(vo, `${g.file}: op type ${op.type} is published`);
        t.ok(vo?.(op), `${g.file}: ${op.type} body: ${JSON.stringify(vo?.errors?.[0] ?? null)}`);
      }
    }
  }
  const channels = new Set(manifest.filter((g) => g.ok).map((g) => g.topic.split('/').slice(3).join('/')));
  t.ok(channels.size >= 10, `golden payloads cover every channel (${[...channels].join(', ')})`);
});

t.test('an op body that breaks its published schema is refused by it', async (t) => {
  const v = publishedValidators();
  const bad = { type: 'ticket.status', entityKind: 'ticket', payload: { from: 'submitted', to: 'teleported' } };
  t.notOk(v.op('ticket.status')!(bad));
  t.notOk(v.op('ticket.status')!({ ...bad, entityKind: 'resident', payload: { from: 'submitted', to: 'assigned' } }), 'the entity kind is pinned');
  t.ok(v.op('ticket.status')!({ ...bad, payload: { from: 'submitted', to: 'assigned', assignee: 'liwei', note: null } }));
});

t.test('every op type the governance folds name has a schema, of a known entity kind', async (t) => {
  const src = join(import.meta.dirname, '../shared/src/governance');
  const named = new Set<string>();
  for (const f of readdirSync(src).filter((f) => f.endsWith('.ts') && f !== 'op-schemas.ts')) {
    for (const m of readFileSync(join(src, f), 'utf8').matchAll(/'([a-z_]+)\.([a-z_]+)'/g)) if (ENTITY_KINDS.includes(m[1]!)) named.add(`${m[1]}.${m[2]}`);
  }
  // The configurable lists fold `${kind}.set` (config.ts builds the type from the kind).
  for (const k of ['ticket_category', 'help_type', 'certificate_type', 'points_rule']) named.add(`${k}.set`);
  t.ok(named.size >= 34, `${named.size} op types found in the folds`);
  t.same([...named].filter((n) => !OP_TYPES[n]), [], 'every folded op type has a schema');
  for (const [type, spec] of Object.entries(OP_TYPES)) {
    t.ok(ENTITY_KINDS.includes(spec.entityKind), `${type}: entity kind ${spec.entityKind} is folded`);
    t.ok(type.startsWith(`${spec.entityKind}.`), `${type} belongs to ${spec.entityKind}`);
  }
});
