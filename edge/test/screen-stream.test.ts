import t, { type Test } from 'tap';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CameraStatus } from '../src/recorder/types.ts';
import { apiHarness } from './helpers/api.ts';

interface SseEvent {
  event: string;
  id?: string;
  data?: any;
}

/** An EventSource as a browser runs it, over a real loopback connection. */
function openStream(port: number, headers: Record<string, string>): Promise<{ res: IncomingMessage; events: SseEvent[]; comments: string[]; next: (pred: (e: SseEvent) => boolean) => Promise<SseEvent>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/screen/stream', headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters: Array<{ pred: (e: SseEvent) => boolean; done: (e: SseEvent) => void }> = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const e: SseEvent = { event: 'message' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
            else if (line.startsWith('retry: ')) e.event = 'retry';
          }
          if (e.data === undefined && e.event !== 'retry') continue;
          events.push(e);
          for (const w of [...waiters]) if (w.pred(e)) (waiters.splice(waiters.indexOf(w), 1), w.done(e));
        }
      });
      const next = (pred: (e: SseEvent) => boolean) =>
        new Promise<SseEvent>((done, fail) => {
          const seen = events.find(pred);
          if (seen) return done(seen);
          waiters.push({ pred, done });
          res.once('close', () => fail(new Error('stream closed')));
        });
      resolve({ res, events, comments, next, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function listening(t: Test, screen: NonNullable<NonNullable<Parameters<typeof apiHarness>[1]>['screen']> = {}) {
  const h = await apiHarness(t, { screen });
  const made = await h.as.admin.post('/api/kiosks', { username: 'office-tv' });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (h.app.server.address() as AddressInfo).port;
  return { h, port, auth: { authorization: `Bearer ${made.body.token as string}` }, kioskId: made.body.kiosk.id as number };
}

t.test('the stream: the whole summary on connect, then deltas of what changed; Last-Event-ID skips what the screen has', async (t) => {
  const { h, port, auth } = await listening(t);
  // A change while no screen listens, and a cached summary older than its TTL: the first screen gets it whole.
  t.equal((await h.app.inject({ url: '/api/screen/summary', headers: auth })).json().summary.tickets.today, 0);
  await h.as.villager.post('/api/tickets', { category: 'other', description: '路灯不亮', place: '三组' });
  await h.advance(3000);
  const s = await openStream(port, auth);
  t.equal(s.res.statusCode, 200);
  t.match(s.res.headers['content-type'], /^text\/event-stream/);
  t.equal(s.res.headers['cache-control'], 'no-store');
  const first = await s.next((e) => e.event === 'summary');
  t.same(s.events.map((e) => e.event), ['retry', 'summary'], 'nothing before the whole summary');
  t.equal(first.data.tickets.today, 1);
  t.ok(s.events.some((e) => e.event === 'retry'), 'a retry hint for the reconnect');

  await h.as.villager.post('/api/tickets', { category: 'garbage', description: '桥下垃圾', place: '村口桥' });
  await h.as.villager.post('/api/tickets', { category: 'parking', description: '乱停', place: '二组' });
  await h.advance(1500);
  const delta = await s.next((e) => e.event === 'delta');
  t.equal(delta.data.tickets.today, 3, 'both tickets in one debounced delta');
  t.notOk('announcements' in delta.data, 'unchanged sections are left out');
  t.notOk('cameras' in delta.data);
  t.not(delta.id, first.id);
  t.equal(s.events.filter((e) => e.event === 'delta').length, 1, 'one delta for the burst');

  await h.advance(15_000);
  t.ok(s.comments.includes('keep-alive'), 'a heartbeat comment while nothing changes');

  const again = await openStream(port, { ...auth, 'last-event-id': delta.id! });
  await new Promise((r) => setTimeout(r, 100));
  await h.advance(1);
  t.same(again.events.filter((e) => e.event === 'summary'), [], 'the screen has this version: no summary resent');
  const stale = await openStream(port, { ...auth, 'last-event-id': first.id! });
  t.equal((await stale.next((e) => e.event === 'summary')).data.tickets.today, 3, 'an older version gets the whole summary');
  for (const x of [s, again, stale]) x.close();
});

t.test('1000 streams opened and closed leave no subscriber or listener behind; the cap refuses the one too many', async (t) => {
  const { h, port, auth } = await listening(t, { feed: { maxClients: 10 } });
  const feed = h.screen!;
  t.equal(h.signal.listenerCount, 1);
  for (let batch = 0; batch < 100; batch++) {
    const streams = await Promise.all(Array.from({ length: 10 }, () => openStream(port, auth)));
    await Promise.all(streams.map((s) => s.next((e) => e.event === 'summary')));
    if (batch === 0) {
      t.equal(feed.subscriberCount, 10);
      const refused = await openStream(port, auth);
      t.equal(refused.res.statusCode, 503, 'the eleventh screen is refused');
      refused.close();
    }
    for (const s of streams) s.close();
    for (let i = 0; i < 200 && feed.subscriberCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(feed.subscriberCount, 0, 'every closed stream left the feed');
  t.equal(h.signal.listenerCount, 1, 'the feed listens once, whatever the number of screens');
  const conns = await new Promise<number>((r) => h.app.server.getConnections((_e: Error | null, n: number) => r(n)));
  t.equal(conns, 0, 'no connection left open');
});

t.test('a revoked screen loses its open stream at the next heartbeat', async (t) => {
  const { h, port, auth, kioskId } = await listening(t);
  const s = await openStream(port, auth);
  await s.next((e) => e.event === 'summary');
  const closed = new Promise<void>((r) => s.res.once('close', r));
  await h.as.admin.delete(`/api/kiosks/${kioskId}`);
  await h.advance(15_000);
  await closed;
  t.equal(h.screen!.subscriberCount, 0);
});

t.test('a client that stops reading costs one summary, not a queue: it gets the latest state when it reads again', async (t) => {
  // 300 cameras with long names: ~37 KB per delta, so 1000 changes would queue 37 MB; the kernel's socket buffers on loopback take a few MB.
  let version = 0;
  const cams = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, name: `摄像头-${i + 1}-${'路口'.repeat(20)}`, zone: `区${i % 8}`, enabled: true }));
  const states = (): CameraStatus[] => cams.map((c) => ({ cameraId: c.id, name: c.name, state: 'recording', since: version, lastError: null, lastSegmentAt: null, starts: 1, nextAttemptAt: null }));
  const { h, port, auth } = await listening(t, { sources: { cameras: () => cams, cameraStates: states }, feed: { debounceMs: 10 } });
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', r));
  let received = 0;
  let text = '';
  socket.on('data', (b: Buffer) => {
    received += b.length;
    text = (text + b.toString('utf8')).slice(-200_000);
  });
  socket.write(`GET /api/screen/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: ${auth.authorization}\r\n\r\n`);
  for (let i = 0; i < 50 && !text.includes('event: summary'); i++) await new Promise((r) => setTimeout(r, 20));
  socket.pause();
  const CHANGES = 1000;
  let deltaBytes = 0;
  for (let i = 0; i < CHANGES; i++) {
    version++;
    h.screen!.changed();
    await h.advance(10);
    if (i === 0) deltaBytes = JSON.stringify(h.screen!.current().summary.cameras).length;
  }
  t.ok(deltaBytes > 30_000, `one delta is ${deltaBytes} bytes`);
  socket.resume();
  const wanted = `"since":${version}`;
  for (let i = 0; i < 500 && !(text.includes('event: summary') && text.lastIndexOf(wanted) > text.lastIndexOf('event: summary')); i++) await new Promise((r) => setTimeout(r, 20));
  const lastSummary = text.lastIndexOf('event: summary');
  t.ok(lastSummary > 0 && text.indexOf(wanted, lastSummary) > 0, 'after catching up the screen holds the latest state, as a whole summary');
  t.ok(received < (CHANGES * deltaBytes) / 4, `${received} bytes sent for ${CHANGES} changes of ${deltaBytes} bytes: the missed deltas were dropped`);
  socket.destroy();
});
