import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PAYLOAD_BYTES, decode, encode, topic } from '../src/sync/protocol.ts';

const GOLDEN = join(import.meta.dirname, 'golden');
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as Array<{ file: string; topic: string; ok: boolean; reason?: string }>;

t.test('golden payloads decode (or are rejected) as recorded', async (t) => {
  for (const g of manifest) {
    const d = decode(g.topic, readFileSync(join(GOLDEN, g.file)));
    t.equal(d.ok, g.ok, `${g.file} on ${g.topic}`);
    if (!d.ok) t.match(d.reason, g.reason ?? '', `${g.file}: reason`);
    else t.equal(d.edgeId, '00000000000000e1');
  }
});

t.test('encode → decode round trip keeps the message', async (t) => {
  const msg = JSON.parse(readFileSync(join(GOLDEN, 'up-ops.json'), 'utf8'));
  const d = decode(topic('00000000000000e1', 'up/ops'), encode('up/ops', msg));
  t.ok(d.ok);
  if (d.ok) t.same(d.msg, msg);
});

t.test('oversized, unknown channel and bad edge id are rejected, never thrown', async (t) => {
  const big = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 32);
  const r1 = decode(topic('00000000000000e1', 'up/ops'), big);
  t.equal(r1.ok, false);
  if (!r1.ok) t.match(r1.reason, 'too large');
  const r2 = decode('cunbox/v1/00000000000000e1/up/nope', Buffer.from('{}'));
  t.equal(r2.ok, false);
  const r3 = decode('cunbox/v1/NOT-AN-ID/up/ops', Buffer.from('{}'));
  t.equal(r3.ok, false);
  if (!r3.ok) t.equal(r3.edgeId, null);
});
