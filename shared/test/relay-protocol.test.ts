import t from 'tap';
import { decode, encode, topic, MAX_RELAY_CLIP_MS, type RelayRequestMessage } from '../src/sync/protocol.ts';

const EDGE = '00000000000000e1';
const base = { v: 1, id: '0123456789abcdef0123456789abcdef', cameraId: 3, user: 'zhang', at: 1764554400000, expiresAt: 1764554410000 } as const;
const down = (msg: unknown) => decode(topic(EDGE, 'down/relay'), Buffer.from(JSON.stringify(msg)));
const up = (msg: unknown) => decode(topic(EDGE, 'up/relay'), Buffer.from(JSON.stringify(msg)));

t.test('relay requests: a snapshot carries no range, a clip needs one of at most MAX_RELAY_CLIP_MS', async (t) => {
  const clip: RelayRequestMessage = { ...base, kind: 'clip', fromMs: 1764554000000, toMs: 1764554000000 + MAX_RELAY_CLIP_MS };
  t.match(decode(topic(EDGE, 'down/relay'), encode('down/relay', clip)), { ok: true, channel: 'down/relay', msg: clip });
  t.match(down({ ...base, kind: 'snapshot' }), { ok: true });
  t.match(down({ ...base, kind: 'snapshot', fromMs: 1, toMs: 2 }), { ok: false, reason: /schema/ }, 'a snapshot with a range');
  t.match(down({ ...base, kind: 'clip' }), { ok: false, reason: /schema/ }, 'a clip without a range');
  t.match(down({ ...clip, toMs: clip.fromMs + MAX_RELAY_CLIP_MS + 1 }), { ok: false, reason: /clip range/ }, 'too long');
  t.match(down({ ...clip, toMs: clip.fromMs }), { ok: false, reason: /clip range/ }, 'empty');
  t.match(down({ ...base, kind: 'stream' }), { ok: false, reason: /schema/ }, 'an unknown kind');
  t.match(down({ ...base, kind: 'snapshot', id: 'short' }), { ok: false, reason: /schema/ }, 'a bad id');
});

t.test('a live request carries no range (a renewal is the same message again)', async (t) => {
  const live: RelayRequestMessage = { ...base, kind: 'live' };
  t.match(decode(topic(EDGE, 'down/relay'), encode('down/relay', live)), { ok: true, channel: 'down/relay', msg: live });
  t.match(down({ ...live, fromMs: 1, toMs: 2 }), { ok: false, reason: /schema/ }, 'live with a range');
});

t.test('relay answers: a file by hash, or a refusal, never a mix', async (t) => {
  const served = { v: 1, id: base.id, ok: true, sha256: 'a'.repeat(64), bytes: 10, mime: 'image/jpeg', capturedAt: 1 };
  const refused = { v: 1, id: base.id, ok: false, reason: 'forbidden', message: 'no' };
  t.match(up(served), { ok: true });
  t.match(up({ ...served, mime: 'video/mp4' }), { ok: true });
  t.match(up(refused), { ok: true });
  t.match(up({ ...served, reason: 'forbidden', message: 'mixed' }), { ok: false, reason: /schema/ });
  t.match(up({ ...refused, ok: true }), { ok: false, reason: /schema/ });
  t.match(up({ ...served, mime: 'text/html' }), { ok: false, reason: /schema/ }, 'only the media kinds the relay sends');
  t.match(up({ ...refused, reason: 'because' }), { ok: false, reason: /schema/ });
});
