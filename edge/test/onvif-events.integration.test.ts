// ONVIF events as a motion/tamper source, against the camera simulator over
// loopback with real SOAP: PullPoint subscribe, long poll, renew, resubscribe
// after the camera forgets the subscription, zero timestamps, a camera without
// the Events service, garbage replies. Fake time drives only our waits (merge
// gap, backoff, renew schedule); protocol round trips run in real time.
import t, { type Test } from 'tap';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { startCamsim, type Camsim, type SimCamera } from '../../scripts/camsim/camsim.ts';
import { openDatabase } from '../src/db/database.ts';
import { EventStore } from '../src/events/event-store.ts';
import { silentLogger } from '../src/log.ts';
import { parseOnvifAddress } from '../src/onvif/address.ts';
import { CameraEvents, type CameraEventsSettings } from '../src/onvif/events/camera-events.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { silentServer } from './helpers/silent-server.ts';

const MERGE_GAP_MS = 10_000;

/** Open client sockets of this process to a port on loopback. */
function socketsTo(port: number): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h instanceof Socket && h.remotePort === port && !h.destroyed).length;
}

let sim: Camsim;
t.before(async () => {
  // cam0, cam1: Events service; cam1 sends zero times; cam2: no Events service.
  sim = await startCamsim({ cameras: 3, zeroTimeCameras: [1], noEventsCameras: [2] });
});
t.teardown(() => sim?.stop());

function setup(t: Test, cam: SimCamera, settings: Partial<CameraEventsSettings> = {}) {
  const time = fakeClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  const store = new EventStore({ db, clock: time.clock });
  const source = new CameraEvents({
    cameraId: 7,
    target: parseOnvifAddress(cam.urls.onvif),
    credentials: { username: cam.user, password: cam.password },
    clock: time.clock,
    log: silentLogger(),
    sink: store,
    settings: { mergeGapMs: MERGE_GAP_MS, requestTimeoutMs: 3_000, ...settings },
    random: () => 0.5,
  });
  t.teardown(async () => {
    await source.stop();
    db.close();
  });
  /** Waits in real time (the protocol) while fake time moves on in small steps (our timers). */
  const until = async (what: string, cond: () => boolean | Promise<boolean>, opts: { tickMs?: number; realMs?: number } = {}) => {
    const deadline = Date.now() + (opts.realMs ?? 30_000);
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status ${JSON.stringify(source.status())}`);
      if (opts.tickMs) await time.tick(opts.tickMs);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const subscribed = () => until('a subscription', async () => source.status().state === 'subscribed' && (await sim.control.state())[cam.index]!.events!.subscriptions > 0);
  return { time, store, source, until, subscribed };
}

t.test('a motion alarm becomes one stored event with a start and an end', async (t) => {
  const cam = sim.cameras[0]!;
  const { time, store, source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  await until('the Initialized states', () => source.status().received === 4);
  t.same(store.list(), [], 'the Initialized "off" states at subscribe time store nothing');

  const onAt = time.clock.now();
  t.equal(await sim.control.event(0, 'motion', true), 1, 'one subscription reached');
  await until('motion.start', () => store.list({ type: 'motion.start' }).length === 1);
  const start = store.list({ type: 'motion.start' })[0]!;
  t.equal(start.cameraId, 7);
  t.equal(start.atMs, onAt, 'stamped on receipt with our clock');
  t.match(start.detail, { v: 1, source: 'onvif', zone: null, topic: 'VideoSource/MotionAlarm' });
  t.type(start.detail['cameraAtMs'], 'number', "the camera's own time kept when it is a real one");

  await time.tick(3_000);
  // Each step waits until the notification is in, so fake time cannot run past the gap between them.
  let received = source.status().received;
  for (const [kind, state] of [['motion', false], ['cell_motion', true], ['cell_motion', false]] as const) {
    await sim.control.event(0, kind, state);
    received++;
    await until(`${kind} ${state}`, () => source.status().received === received);
    if (kind === 'motion') await time.tick(MERGE_GAP_MS / 2); // a short gap: less than the merge gap
  }
  t.same(store.list({ type: 'motion' }), [], 'no summary while waiting out the gap');
  const offAt = time.clock.now();
  await until('the motion summary after the merge gap', () => store.list({ type: 'motion' }).length === 1, { tickMs: 1_000 });
  t.equal(store.list({ type: 'motion.start' }).length, 1, 'motion again within the merge gap did not start a second event');
  const end = store.list({ type: 'motion' })[0]!;
  t.equal(end.atMs, onAt, 'the summary is dated at the start, like a video motion event');
  t.equal(end.detail['endMs'], offAt, 'the end is when the last alarm went off, not when the gap ran out');
  t.equal((end.detail['endMs'] as number) - end.atMs, offAt - onAt, 'its duration');
  t.match(end.detail, { v: 1, source: 'onvif', zone: null, peakAtMs: onAt, score: null, labels: [], thumbnail: null, startEventId: start.id, reason: 'off' });
  t.same(source.status().open, []);
});

t.test('a tamper alarm becomes a tamper event; ending the source closes an open one', async (t) => {
  const cam = sim.cameras[0]!;
  const { store, source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  await sim.control.event(0, 'tamper', true);
  await until('tamper.start', () => store.list({ type: 'tamper.start' }).length === 1);
  const tamperStart = store.list({ type: 'tamper.start' })[0]!;
  t.match(tamperStart.detail, { v: 1, source: 'onvif', zone: null, topic: 'VideoSource/GlobalSceneChange/ImagingService' });
  t.equal(store.list({ type: 'motion.start' }).length, 0, 'tamper is not motion');
  await source.stop();
  t.match(store.list({ type: 'tamper' }), [{ atMs: tamperStart.atMs, detail: { v: 1, source: 'onvif', startEventId: tamperStart.id, reason: 'stopped' } }], 'no episode is left without an end');
  await until('the camera freed the subscription', async () => (await sim.control.state())[0]!.events!.subscriptions === 0);
  await sim.control.event(0, 'tamper', false);
});

t.test('after the camera forgets the subscription (restart) the edge subscribes again and the next event arrives', async (t) => {
  const cam = sim.cameras[0]!;
  const { store, source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  const created = (await sim.control.state())[0]!.events!.subscriptionsCreated;
  await sim.control.fault(0, 'drop_subscription');
  // The pending pull fails at once; the backoff runs on fake time.
  await until('a new subscription', async () => source.status().subscriptions === 2 && source.status().state === 'subscribed', { tickMs: 1_000 });
  t.equal((await sim.control.state())[0]!.events!.subscriptionsCreated, created + 1, 'one new subscription, no storm');
  t.match(source.status().lastError, /malformed|reply|subscription/i, 'the failure is kept for status');
  await sim.control.event(0, 'motion', true);
  await until('motion.start after resubscribing', () => store.list({ type: 'motion.start' }).length === 1);
  await sim.control.event(0, 'motion', false);
});

t.test('a camera that restarts (refuses connections for a while, forgets the subscription) is subscribed again once it is back', async (t) => {
  const cam = sim.cameras[0]!;
  const { time, store, source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  await sim.control.fault(0, 'drop_subscription');
  await sim.control.fault(0, 'offline');
  t.teardown(() => sim.control.clear(0, 'offline'));
  await until('unreachable', () => source.status().state === 'retrying' && /no answer from the ONVIF service/.test(source.status().lastError ?? ''), { tickMs: 1_000 });
  const failedAt = source.status().subscriptions;
  // Refused attempts, each after a longer wait.
  for (let i = 0; i < 3; i++) {
    await time.tick(10_000);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(source.status().state, 'retrying', 'still retrying while the camera is away');
  await sim.control.clear(0, 'offline');
  await until('subscribed again', () => source.status().state === 'subscribed' && source.status().subscriptions === failedAt + 1, { tickMs: 5_000, realMs: 60_000 });
  await subscribed();
  await sim.control.event(0, 'motion', true);
  await until('motion.start after the restart', () => store.list({ type: 'motion.start' }).length === 1);
  await sim.control.event(0, 'motion', false);
});

t.test('renews before the subscription would end (schedule on fake time)', async (t) => {
  const cam = sim.cameras[0]!;
  const { time, source, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  const before = (await sim.control.state())[0]!.events!.renewals;
  // The package asks for 2 minutes; with a whole long poll as margin, renewing falls due after 50 s.
  await time.tick(55_000);
  await sim.control.event(0, 'blurry', true); // ends the current long poll
  const deadline = Date.now() + 20_000;
  while ((await sim.control.state())[0]!.events!.renewals === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok((await sim.control.state())[0]!.events!.renewals > before, 'Renew sent');
  t.equal(source.status().subscriptions, 1, 'the same subscription kept');
  await sim.control.event(0, 'blurry', false);
});

t.test('a camera sending 0000-00-00T00:00:00Z: events stamped on receipt', async (t) => {
  const cam = sim.cameras[1]!;
  const { time, store, source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  await time.tick(7_000);
  const at = time.clock.now();
  await sim.control.event(1, 'motion', true);
  await until('motion.start', () => store.list({ type: 'motion.start' }).length === 1);
  const ev = store.list({ type: 'motion.start' })[0]!;
  t.equal(ev.atMs, at, 'our clock, not year 0');
  t.notOk('cameraAtMs' in ev.detail, 'no camera time recorded');
  // Its subscription times are zero too: we assume a short life and renew before every pull.
  await sim.control.event(1, 'motion', false);
  await until('a renewal', async () => (await sim.control.state())[1]!.events!.renewals > 0);
  t.equal(source.status().subscriptions, 1);
});

t.test('a camera without the Events service is skipped cleanly', async (t) => {
  const cam = sim.cameras[2]!;
  const { store, source, until } = setup(t, cam);
  source.start();
  await until('unsupported', () => source.status().state === 'unsupported');
  t.same(store.list(), []);
  t.equal(source.status().lastError, null, 'not an error');
  await source.stop();
  t.equal(source.status().state, 'stopped');
});

t.test('garbage SOAP never crashes the process; events flow again once the camera answers properly', async (t) => {
  const cam = sim.cameras[0]!;
  const { store, source, until, subscribed } = setup(t, cam);
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => void crashes.push(err);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  t.teardown(() => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });
  source.start();
  await subscribed();
  await until('the Initialized states', () => source.status().received === 4);
  await sim.control.fault(0, 'garbage_soap');
  await sim.control.event(0, 'motion', true); // the pending long poll's answer is garbage
  await until('the pull failed', () => source.status().state === 'retrying' && /malformed/.test(source.status().lastError ?? ''));
  // Subscribing again meets garbage too, several times over.
  const failures = new Set<number>();
  await until('three more failed attempts', () => {
    const at = source.status().retryAt;
    if (at !== null) failures.add(at);
    return failures.size >= 4;
  }, { tickMs: 5_000 });
  t.match(source.status().lastError, /malformed/);
  await sim.control.clear(0, 'garbage_soap');
  await until('subscribed after the camera recovered', () => source.status().state === 'subscribed', { tickMs: 5_000, realMs: 60_000 });
  await subscribed();
  // The alarm raised meanwhile comes as the new subscription's initial state.
  await until('motion.start', () => store.list({ type: 'motion.start' }).length === 1);
  await sim.control.event(0, 'motion', false);
  t.same(crashes, [], 'nothing escaped');
});

t.test('a refused login waits at least a minute before the next try (cameras lock accounts)', async (t) => {
  const cam = sim.cameras[0]!;
  const { time, source, until, subscribed } = setup(t, cam);
  await sim.control.fault(0, 'refuse_auth');
  t.teardown(() => sim.control.clear(0, 'refuse_auth'));
  source.start();
  await until('the refusal', () => source.status().state === 'retrying');
  t.match(source.status().lastError, /refused the ONVIF user name or password/);
  t.ok(source.status().retryAt! - time.clock.now() >= 60_000, `next try in ${source.status().retryAt! - time.clock.now()} ms`);
  await sim.control.clear(0, 'refuse_auth');
  await time.tick(61_000);
  await subscribed();
  t.equal(source.status().retryAt, null);
});

t.test('stop ends a long poll even when the camera cannot take the Unsubscribe', async (t) => {
  const cam = sim.cameras[0]!;
  const { source, until, subscribed } = setup(t, cam);
  source.start();
  await subscribed();
  await until('the Initialized states', () => source.status().received === 4);
  await until('the long poll in flight', () => socketsTo(cam.onvifPort) === 1);
  // Offline closes the camera's listening socket; the long poll's connection stays open on its side.
  await sim.control.fault(0, 'offline');
  t.teardown(() => sim.control.clear(0, 'offline'));
  t.equal(socketsTo(cam.onvifPort), 1, 'the long poll is open');
  await source.stop();
  await new Promise((r) => setImmediate(r));
  t.equal(socketsTo(cam.onvifPort), 0, 'no connection to the camera is left behind');
});

t.test('stop during a connect the camera never answers leaves no socket or timer behind', async (t) => {
  const { port, held } = await silentServer(t);
  const time = fakeClock();
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const source = new CameraEvents({
    cameraId: 1,
    target: parseOnvifAddress(`127.0.0.1:${port}`),
    credentials: { username: 'admin', password: 'pw' },
    clock: time.clock,
    log: silentLogger(),
    sink: new EventStore({ db, clock: time.clock }),
    settings: { requestTimeoutMs: 20_000 },
  });
  source.start();
  const deadline = Date.now() + 10_000;
  while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(source.status().state, 'connecting');
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  await source.stop();
  t.equal(socketsTo(port), 0, 'the connection is closed');
  // The request's deadline (80 s here) must not keep the process alive; it goes once the reset is seen.
  const until = Date.now() + 5_000;
  while (timers() >= before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.ok(timers() < before, "the request's deadline timer is gone");
});
