import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PAYLOAD_BYTES, decode, encode, presenceIsStale, topic } from '../src/sync/protocol.ts';

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

t.test('presence order: a newer at wins; at the same at, offline (the will) ends the online', async (t) => {
  const on = (at: number) => ({ online: true, at });
  const off = (at: number) => ({ online: false, at });
  t.notOk(presenceIsStale(null, off(1)), 'nothing held yet');
  t.notOk(presenceIsStale(on(100), off(100)), "the will of the connection that began at 100");
  t.notOk(presenceIsStale(on(100), off(250)), 'a clean stop');
  t.ok(presenceIsStale(off(250), off(100)), 'the will of that connection after its clean stop');
  t.ok(presenceIsStale(on(300), off(100)), "an old connection's will after the edge reconnected");
  t.ok(presenceIsStale(off(100), on(100)), 'its own online after the will');
  t.notOk(presenceIsStale(on(100), on(100)), 'the same presence again (a restarted cloud gets it retained)');
  t.notOk(presenceIsStale(off(250), on(300)), 'back online');

  // Whatever order they arrive in, the one presence left is the newest, for every order of a stream.
  const stream = [on(100), off(100), on(200), off(250), on(300), off(300)];
  const newest = off(300);
  for (let k = 0; k < 200; k++) {
    const shuffled = [...stream].sort(() => Math.random() - 0.5);
    let held: { online: boolean; at: number } | null = null;
    for (const p of shuffled) if (!presenceIsStale(held, p)) held = p;
    if (JSON.stringify(held) !== JSON.stringify(newest)) t.fail(`order ${JSON.stringify(shuffled)} ends at ${JSON.stringify(held)}`);
  }
});
