/**
 * The reconnecting MQTT peer against a real broker (Aedes, in-process on
 * loopback) with its retries on a fake clock: a retry happens when, and only
 * when, the test moves time on.
 */
import t, { type Test } from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { ReconnectingMqttPeer, type MqttPeerDeps } from '../src/platform/mqtt-peer.ts';
import type { Clock } from '../src/platform/clock.ts';
import { fakeClock } from '@cunbox/test-support/fake-clock';

const silent = { info: () => undefined, warn: () => undefined };

async function waitFor(what: string, cond: () => boolean, boundMs = 20_000): Promise<void> {
  const until = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Aedes on a loopback port that can be stopped and started again on the same port, dropping every client. */
async function broker(t: Test) {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        aedes.handle(s);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  await listen();
  t.teardown(async () => {
    if (server?.listening) await down();
    await new Promise<void>((r) => aedes.close(() => r()));
  });
  return { url: () => `mqtt://127.0.0.1:${port}`, down, up: listen };
}

function peer(url: string, clock: Clock, over: Partial<MqttPeerDeps> = {}) {
  const received: string[] = [];
  let ready = 0;
  let downs = 0;
  const p = new ReconnectingMqttPeer({
    url,
    connectOptions: () => ({ clientId: `peer-${Math.random().toString(36).slice(2)}`, clean: true, connectTimeout: 2000, protocolVersion: 4 }),
    subscriptions: ['test/in/#'],
    clock,
    random: () => 0,
    backoff: { baseMs: 1000, maxMs: 8000 },
    log: silent,
    label: 'test',
    onReady: () => ready++,
    onMessage: (topic, payload) => received.push(`${topic} ${payload.toString()}`),
    onDown: () => downs++,
    ...over,
  });
  return { p, received, ready: () => ready, downs: () => downs };
}

async function publishFromOutside(url: string, topic: string, payload: string): Promise<void> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  await c.publishAsync(topic, payload, { qos: 1 });
  await c.endAsync();
}

t.test('subscribes on connect, and again after the broker comes back, retrying only as fake time passes', async (t) => {
  const b = await broker(t);
  const { clock, fake } = fakeClock();
  const delays: number[] = [];
  const timed: Clock = { ...clock, setTimeout: (fn, ms) => (delays.push(ms), clock.setTimeout(fn, ms)) };
  const { p, received, ready, downs } = peer(b.url(), timed);
  p.start();
  t.teardown(() => p.stop());
  await waitFor('first connection ready', () => ready() === 1);
  t.ok(p.connected);
  await publishFromOutside(b.url(), 'test/in/a', 'one');
  await waitFor('first message', () => received.length === 1);
  t.same(received, ['test/in/a one']);

  await b.down();
  await waitFor('the drop is seen', () => downs() === 1 && delays.length === 1);
  t.notOk(p.connected);
  t.same(delays, [500], 'the first retry waits half of base at least (random() = 0)');
  // The broker is still down: the retry fails, and the next waits twice as long.
  fake.tick(500);
  await waitFor('second retry scheduled', () => delays.length === 2);
  t.same(delays, [500, 1000]);
  await b.up();
  // Real time passes, fake time does not: no attempt is made behind the clock's back.
  await new Promise((r) => setTimeout(r, 300));
  t.equal(ready(), 1, 'no reconnect before the clock says so');
  fake.tick(1000);
  await waitFor('reconnected and subscribed again', () => ready() === 2);
  await publishFromOutside(b.url(), 'test/in/b', 'two');
  await waitFor('message after the reconnect', () => received.length === 2);
  t.same(received, ['test/in/a one', 'test/in/b two'], 'the subscription was made again on the new session');

  // A later drop starts the backoff over: the successful connection reset it.
  await b.down();
  await waitFor('third retry scheduled', () => delays.length === 3);
  t.equal(delays[2], 500);
  await b.up();
  fake.tick(500);
  await waitFor('back again', () => ready() === 3);
});

t.test('stop() during a backoff cancels the retry; a stopped peer stays down', async (t) => {
  const b = await broker(t);
  const { clock, fake } = fakeClock();
  const { p, ready, downs } = peer(b.url(), clock);
  p.start();
  await waitFor('connected', () => ready() === 1);
  await b.down();
  await waitFor('drop seen', () => downs() === 1);
  await b.up();
  await p.stop();
  fake.tick(60_000);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(ready(), 1, 'no reconnect after stop');
  t.notOk(p.connected);
  t.equal(fake.countTimers(), 0, 'no timer left behind');
});

t.test('stop() with a goodbye sends it, then disconnects cleanly', async (t) => {
  const b = await broker(t);
  const { clock } = fakeClock();
  const { p, ready } = peer(b.url(), clock);
  const seen: string[] = [];
  const watcher = await mqtt.connectAsync(b.url(), { reconnectPeriod: 0, protocolVersion: 4 });
  t.teardown(() => watcher.endAsync());
  await watcher.subscribeAsync('test/out/#', { qos: 1 });
  watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  p.start();
  await waitFor('connected', () => ready() === 1);
  p.publish('test/out/x', 'hello');
  await p.stop({ goodbye: (c) => c.publishAsync('test/out/bye', 'offline', { qos: 1 }) });
  await waitFor('both delivered', () => seen.length === 2);
  t.same(seen, ['test/out/x hello', 'test/out/bye offline']);
  t.notOk(p.connected);
});
