import t from 'tap';
import type { Test } from 'tap';
import { CameraRecorder, defaultRecorderSettings, type RecorderSettings } from '../src/recorder/camera-recorder.ts';
import type { ClosedSegment, RecorderSink } from '../src/recorder/types.ts';
import { Layout } from '../src/storage/layout.ts';
import { silentLogger } from '../src/log.ts';
import { Backoff } from '../src/recorder/backoff.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { fakeSpawner, type FakeFfmpeg } from './helpers/fake-ffmpeg.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

function setup(t: Test, opts: { onSpawn?: (p: FakeFfmpeg) => void; settings?: Partial<RecorderSettings>; lastOnline?: boolean } = {}) {
  const time = fakeClock();
  const { spawner, spawned } = fakeSpawner(opts.onSpawn);
  const events: Array<{ type: string; detail: Record<string, unknown>; at: number }> = [];
  const segments: ClosedSegment[] = [];
  const anchors = new Map<number, number>();
  let runs = 0;
  const sink: RecorderSink = {
    beginRun: () => ++runs,
    setRunPid: () => {},
    setRunAnchor: (runId, a) => void anchors.set(runId, a),
    endRun: () => {},
    segmentClosed: async (s) => void segments.push(s),
    cameraEvent: (_id, type, detail) => void events.push({ type, detail, at: time.clock.now() }),
    lastKnownOnline: () => opts.lastOnline,
  };
  const rec = new CameraRecorder({
    camera: { id: 7, name: 'cam7', zone: null, mainUrl: 'rtsp://127.0.0.1:8554/main', subUrl: null, username: 'admin', password: 's3cret', hasPassword: true, enabled: true, retentionDays: null, source: 'cli', createdAt: 0, updatedAt: 0 },
    clock: time.clock,
    spawner,
    log: silentLogger(),
    layout: new Layout(tmpDir(t)),
    settings: { ...defaultRecorderSettings, ...opts.settings },
    sink,
    random: () => 0.5,
  });
  return { time, spawned, events, segments, anchors, rec };
}

t.test('a healthy stream: connecting → recording, segments dated by the camera clock mapped to ours', async (t) => {
  const s = setup(t);
  s.rec.start();
  t.equal(s.rec.status().state, 'connecting');
  const p = s.spawned[0]!;
  t.notMatch(p.args.join(' '), /s3cret|admin/, 'no credentials on the command line');
  await s.time.tick(0);
  t.match(p.inputText, /^ffconcat version 1\.0\nfile 'rtsp:\/\/admin:s3cret@127\.0\.0\.1:8554\/main'\n/, 'the URL arrives on the input pipe');
  p.opened();
  p.progress(0); // printed before anything is written (probing): no clock sample
  await s.time.tick(1000);
  const t0 = s.time.clock.now();
  p.progress(500_000); // stream time 0.5 s written by t0: stream 0 was at t0 - 500 at the latest
  await s.time.tick(200);
  t.equal(s.rec.status().state, 'recording');
  t.same(s.events.map((e) => e.type), ['camera.online'], 'first connection of a new camera is announced');
  const anchor = s.anchors.get(1)!;
  t.ok(anchor >= t0 - 500 && anchor <= t0 - 300, `the run anchor (${anchor - t0} ms) is stored for dating a crash leftover`);
  await s.time.tick(1000);
  p.progress(); // a second later and on time: no change
  await s.time.tick(1000);
  p.progress(400_000); // read 800 ms late: a busy event loop, not a new offset
  p.segmentClosed('/x/1_000000.ts', 0, 1.9);
  await s.time.tick(200);
  t.equal(s.segments.length, 1);
  t.match(s.segments[0], { runId: 1, seq: 0, startMs: anchor, endMs: anchor + 1900 }, 'the late read did not move it');
  t.ok(s.segments[0]!.file.endsWith('/recordings/7/incoming/1_000000.ts'));
  await s.rec.stop();
  t.equal(p.stdinText, 'q', 'asked ffmpeg to quit with q');
  t.same(p.signals, [], 'no signal needed when ffmpeg obeys q');
  t.equal(s.rec.status().state, 'stopped');
});

t.test('a stall: offline event within the watchdog window, restart, online again', async (t) => {
  const s = setup(t, { settings: { watchdogMs: 10_000 }, lastOnline: true });
  s.rec.start();
  const p1 = s.spawned[0]!;
  p1.obeysQ = false; // blocked in a network read, as ffmpeg is on a stalled socket
  p1.opened();
  for (let i = 0; i < 5; i++) {
    p1.progress();
    await s.time.tick(1000);
  }
  t.equal(s.rec.status().state, 'recording');
  t.same(s.events, [], 'already known online: no event repeated after an edge restart');
  const stallStart = s.time.clock.now();
  await s.time.tick(12_000);
  t.equal(s.rec.status().state, 'stalled');
  t.equal(s.events[0]?.type, 'camera.offline');
  t.ok(s.events[0]!.at - stallStart <= 11_000, `offline after ${s.events[0]!.at - stallStart} ms`);
  t.match(s.rec.status().lastError, { kind: 'timeout' });
  t.same(p1.signals, ['SIGTERM'], 'q ignored, so SIGTERM followed');
  await s.time.tick(5_000);
  t.equal(s.spawned.length, 2, 'restarted after backoff');
  const p2 = s.spawned[1]!;
  p2.opened();
  p2.progress();
  await s.time.tick(200);
  t.equal(s.rec.status().state, 'recording');
  t.same(s.events.map((e) => e.type), ['camera.offline', 'camera.online']);
  await s.rec.stop();
});

t.test('wrong password: auth-failed state and bounded restarts', async (t) => {
  const s = setup(t, {
    onSpawn: (p) =>
      setImmediate(() => {
        p.say("[rtsp @ 0x55d] method DESCRIBE failed: 401 Unauthorized");
        p.say("rtsp://admin:s3cret@127.0.0.1:8554/main: Server returned 401 Unauthorized (authorization failed)");
        p.exit(1);
      }),
  });
  s.rec.start();
  await s.time.tick(10 * 60_000);
  t.equal(s.rec.status().state, 'auth-failed');
  t.match(s.rec.status().lastError, { kind: 'auth' });
  t.ok(s.spawned.length <= 11, `${s.spawned.length} starts in 10 minutes (auth retries at most once a minute)`);
  t.ok(s.spawned.length >= 5, 'but it keeps trying');
  t.same(s.events.map((e) => e.type), ['camera.offline'], 'one offline event, not one per attempt');
  t.notMatch(JSON.stringify(s.rec.status()) + s.rec.stderrTail().join('\n'), /s3cret/, 'password never in status or stderr tail');
  await s.rec.stop();
});

t.test('a camera that refuses at once cannot cause a spawn storm', async (t) => {
  const s = setup(t, {
    onSpawn: (p) =>
      setImmediate(() => {
        p.say('[tcp @ 0x1] Connection to tcp://127.0.0.1:8554?timeout=0 failed: Connection refused');
        p.exit(1);
      }),
  });
  s.rec.start();
  await s.time.tick(10 * 60_000);
  t.equal(s.rec.status().state, 'offline');
  t.match(s.rec.status().lastError, { kind: 'refused' });
  t.ok(s.spawned.length <= 11, `${s.spawned.length} starts in 10 minutes (budget 10 per 10 minutes)`);
  await s.rec.stop();
});

t.test('stop escalates q → SIGTERM → SIGKILL for an ffmpeg that ignores both', async (t) => {
  const s = setup(t, { settings: { stopGraceMs: 1000 } });
  s.rec.start();
  const p = s.spawned[0]!;
  p.obeysQ = false;
  p.obeysTerm = false;
  const stopping = s.rec.stop();
  await s.time.tick(2500);
  await stopping;
  t.same(p.signals, ['SIGTERM', 'SIGKILL']);
  t.equal(s.rec.status().state, 'stopped');
});

t.test('backoff grows with jitter and resets after a healthy run', async (t) => {
  const b = new Backoff({ baseMs: 1000, maxMs: 8000, budget: 100, windowMs: 60_000 }, () => 1);
  t.same([b.next(0), b.next(0), b.next(0), b.next(0), b.next(0)], [1000, 2000, 4000, 8000, 8000]);
  b.reset();
  t.equal(b.next(0), 1000);
  const lo = new Backoff({ baseMs: 1000, maxMs: 8000, budget: 100, windowMs: 60_000 }, () => 0);
  t.equal(lo.next(0), 500, 'jitter never below half the step');
  const budget = new Backoff({ baseMs: 10, maxMs: 10, budget: 3, windowMs: 60_000 }, () => 1);
  for (const at of [0, 1, 2]) budget.recordStart(at);
  t.equal(budget.next(3), 59_997, 'budget spent: wait until the oldest start leaves the window');
});

t.test('stop waits for the segment-list line ffmpeg prints as it quits', async (t) => {
  // Node reports a child's exit before it has read the child's last pipe output:
  // the last segment is announced after 'exit', and stop() must still index it.
  const s = setup(t);
  s.rec.start();
  const p = s.spawned[0]!;
  p.opened();
  p.progress();
  await s.time.tick(200);
  p.obeysQ = false;
  p.stdin.on('data', () => p.exitBeforeLastSegment(0, ['/x/1_000000.ts', 0, 3.2]));
  await s.rec.stop();
  t.equal(s.segments.length, 1, 'the last segment was handed to the index before stop() returned');
  t.equal(s.rec.status().state, 'stopped');
});

t.test('a recorder being stopped never starts ffmpeg again', async (t) => {
  t.test('ffmpeg exits on its own (SIGTERM to the process group) just before stop()', async (t) => {
    const s = setup(t);
    s.rec.start();
    const p = s.spawned[0]!;
    p.opened();
    p.progress();
    await s.time.tick(200);
    // systemd signals every process of the unit: ffmpeg quits at the same moment the edge is told to.
    p.exitBeforeLastSegment(255, ['/x/1_000000.ts', 0, 1.2]);
    await s.time.tick(100);
    const stopping = s.rec.stop();
    await s.time.tick(120_000);
    await stopping;
    t.equal(s.spawned.length, 1, 'no restart after stop()');
    t.equal(s.segments.length, 1, 'its last segment was indexed');
    t.equal(s.rec.status().nextAttemptAt, null);
  });
  t.test('ffmpeg exits while stop() is waiting for it, with the watchdog due', async (t) => {
    const s = setup(t, { settings: { watchdogMs: 2_000, stopGraceMs: 5_000 } });
    s.rec.start();
    const p = s.spawned[0]!;
    p.obeysQ = false;
    p.obeysTerm = false;
    p.opened();
    p.progress();
    await s.time.tick(200);
    const stopping = s.rec.stop();
    await s.time.tick(3_000); // the watchdog would fire now
    t.same(s.events.map((e) => e.type), ['camera.online'], 'a camera being stopped is not reported offline');
    t.same(p.signals, [], 'the watchdog does not restart the stop sequence');
    p.exit(1);
    await s.time.tick(120_000); // any backoff would have fired by now
    await stopping;
    t.equal(s.spawned.length, 1, 'no restart after stop()');
    t.equal(s.rec.status().state, 'stopped');
  });
  t.test('stop() during a backoff wait', async (t) => {
    const s = setup(t, { onSpawn: (p) => setImmediate(() => p.exit(1)) });
    s.rec.start();
    await s.time.tick(100);
    t.ok(s.rec.status().nextAttemptAt !== null, 'a restart is scheduled');
    await s.rec.stop();
    await s.time.tick(120_000);
    t.equal(s.spawned.length, 1, 'the scheduled restart never ran');
  });
});
