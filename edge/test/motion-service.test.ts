import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MotionEventDetail } from '@cunbox/shared';
import { openDatabase } from '../src/db/database.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { EventStore } from '../src/events/event-store.ts';
import { MediaQueue } from '../src/sync/media-queue.ts';
import { Layout } from '../src/storage/layout.ts';
import { silentLogger } from '../src/log.ts';
import { MotionSettingsStore } from '../src/motion/settings-store.ts';
import { MotionService } from '../src/motion/service.ts';
import { pruneThumbnails } from '../src/motion/thumbnail-retention.ts';
import { SnapshotService } from '../src/playback/snapshots.ts';
import { ANALYSIS_HEIGHT as H, ANALYSIS_WIDTH as W } from '../src/motion/camera-motion.ts';
import { fakeSpawner, type FakeFfmpeg } from './helpers/fake-ffmpeg.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { ownBytes } from '../src/storage/own-files.ts';
import { lstat, readdir } from 'node:fs/promises';

/** Allocated bytes of a tree, as statfs counts them. */
async function treeSize(dir: string): Promise<number> {
  let sum = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) sum += (await lstat(join(e.parentPath, e.name))).blocks * 512;
  return sum;
}

interface Box {
  x: number;
  y: number;
  w?: number;
  h?: number;
}

/** The textured scene the camera sees, with sensor noise, and a bright box where asked. */
function frame(seed: number, box?: Box): Buffer {
  const f = Buffer.alloc(W * H);
  let s = seed;
  for (let i = 0; i < f.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const x = i % W;
    const y = (i - x) / W;
    f[i] = Math.round(100 + 40 * Math.sin(x / 5) * Math.cos(y / 7) + ((s >>> 24) % 6));
  }
  if (box) for (let y = box.y; y < Math.min(H, box.y + (box.h ?? 20)); y++) for (let x = box.x; x < Math.min(W, box.x + (box.w ?? 12)); x++) f[y * W + x] = 250;
  return f;
}
const jpeg = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(`picture ${n}`), Buffer.from([0xff, 0xd9])]);

async function harness(t: Test) {
  const dir = tmpDir(t);
  const db = openDatabase(join(dir, 'cunbox.db'));
  t.teardown(() => db.close());
  const time = fakeClock();
  const { clock } = time;
  const registry = new CameraRegistry({ db, clock });
  const cam = registry.add({ name: 'gate', mainUrl: 'rtsp://127.0.0.1:8554/main', subUrl: 'rtsp://127.0.0.1:8554/sub', username: 'admin', password: 's3cret-pw' });
  const settingsStore = new MotionSettingsStore({ db });
  const events = new EventStore({ db, clock });
  const media = new MediaQueue({ db, clock });
  const layout = new Layout(dir);
  const { spawner, spawned } = fakeSpawner();
  const service = new MotionService({
    db, registry, settingsStore, events, layout, clock, spawner, log: silentLogger(), media,
    tracker: { minFrames: 2, mergeGapMs: 3000, maxEventMs: 300_000 },
    // The fake ffmpeg cannot decode a copied stream: this is the switch by restart (the
    // fallback); the shared session's switch is motion-shared-session.test.ts, on real ffmpeg.
    feed: { activeFps: 5, sharedSession: false },
  });
  let n = 0;
  /** ffmpeg writes a gray frame and its JPEG; `ms` of camera time pass. */
  const send = async (p: FakeFfmpeg, box: Box | undefined, ms: number) => {
    n++;
    p.stdout.write(frame(n, box));
    p.segmentList.write(jpeg(n));
    await time.tick(ms);
  };
  return { db, clock, time, cam, registry, settingsStore, events, media, layout, service, spawned, send, pictures: () => n };
}

t.test('key frames while still, a few fps while moving, one event with its peak picture, back to key frames', async (t) => {
  const h = await harness(t);
  await h.service.start();
  t.teardown(() => h.service.stop());
  t.equal(h.spawned.length, 1);
  const still = h.spawned[0]!;
  t.ok(still.args.includes('-skip_frame') && still.args[still.args.indexOf('-skip_frame') + 1] === 'nokey', 'still: key frames only');
  t.notMatch(still.args.join(' '), /s3cret|admin/, 'credentials never on the command line');
  t.match(still.inputText, /rtsp:\/\/admin:s3cret-pw@127\.0\.0\.1:8554\/sub/, 'the sub stream, credentials on the pipe');

  for (let i = 0; i < 5; i++) await h.send(still, undefined, 2000);
  t.equal(h.spawned.length, 1, 'nothing moves: no restart');
  t.same(h.service.latestPicture(h.cam.id)?.jpeg, jpeg(h.pictures()), 'the newest key frame is there for the snapshot wall');
  await h.send(still, { x: 10, y: 55 }, 500);
  t.equal(h.spawned.length, 2, 'motion: restarted');
  const active = h.spawned[1]!;
  t.notOk(active.args.includes('-skip_frame'), 'active: every frame decoded');
  t.match(active.args.join(' '), /fps=5,scale=160:90/);
  t.equal(h.service.status()[0]!.mode, 'active');

  // The box walks across the lower half, once seen larger (the peak), then leaves.
  const firstMotionAt = h.clock.now() - 500;
  await h.send(active, { x: 14, y: 55 }, 200);
  const starts = h.events.list({ type: 'motion.start' });
  t.equal(starts.length, 1, 'the start is stored as soon as the event opens (second frame with motion), while the box still moves');
  t.equal(starts[0]!.atMs, firstMotionAt, 'dated at the first frame with motion');
  t.same(starts[0]!.detail, { v: 1, source: 'video', zone: null });
  for (let i = 1; i < 10; i++) await h.send(active, { x: 14 + i * 4, y: 55 }, 200);
  t.equal(h.events.list({ type: 'motion.start' }).length, 1, 'one start per event, not per frame');
  const peakPicture = h.pictures() + 1;
  await h.send(active, { x: 56, y: 50, w: 24, h: 30 }, 200);
  for (let i = 0; i < 3; i++) await h.send(active, { x: 64 + i * 4, y: 55 }, 200);
  t.same(h.events.list({ type: 'motion' }), [], 'no summary while the event is open');
  for (let i = 0; i < 20; i++) await h.send(active, undefined, 200);
  const [e] = h.events.list({ type: 'motion' });
  t.ok(e, 'stored once the motion stopped for the merge gap');
  const d = e!.detail as unknown as MotionEventDetail;
  t.equal(d.zone, null, 'no zones: the whole picture');
  t.equal(e!.atMs, firstMotionAt, 'the summary is dated at the start too');
  t.equal(d.source, 'video');
  t.equal(d.startEventId, starts[0]!.id, 'the summary names its start');
  t.ok(d.endMs > e!.atMs);
  t.same(d.labels, []);
  const file = h.layout.absolute(h.layout.thumbnailPath(h.cam.id, e!.atMs, d.thumbnail!.sha256));
  const thumb = readFileSync(file);
  t.ok(thumb.length > 4 && thumb.subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), 'the thumbnail is one of the JPEGs ffmpeg sent');
  t.equal(createHash('sha256').update(thumb).digest('hex'), d.thumbnail!.sha256);
  t.equal(thumb.toString('latin1').slice(2, -2), `picture ${peakPicture}`, 'the picture of the peak frame (the largest box)');
  const thumbs = await treeSize(join(h.layout.dataDir, 'thumbnails'));
  const withThumbs = (await ownBytes(h.db, h.layout)).otherBytes;
  const copy = readFileSync(file);
  rmSync(file);
  t.equal(withThumbs - (await ownBytes(h.db, h.layout)).otherBytes, thumbs, 'thumbnails count as cunbox\'s own bytes, not another program\'s');
  writeFileSync(file, copy);
  const queued = h.media.next(h.clock.now() + 1);
  t.match(queued, { kind: 'event-thumbnail', ref: `event-${e!.id}`, sha256: d.thumbnail!.sha256, mime: 'image/jpeg', path: file });

  // 10 s after the last motion, with no event open: back to key frames.
  for (let i = 0; i < 40; i++) await h.send(active, undefined, 200);
  t.equal(h.spawned.length, 3);
  t.ok(h.spawned[2]!.args.includes('-skip_frame'), 'still again');
});

t.test('a camera turned off, or with zones changed, follows within seconds; stop stores an open event', async (t) => {
  const h = await harness(t);
  await h.service.start();
  const first = h.spawned[0]!;
  for (let i = 0; i < 3; i++) await h.send(first, undefined, 2000);
  // An edit by another process (the CLI) changes data_version; this one is ours, so sync().
  h.settingsStore.addArea(h.cam.id, { kind: 'zone', name: 'door', points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] });
  await h.service.sync();
  await h.time.tick(500);
  t.equal(h.spawned.length, 2, 'restarted with the new zones');
  t.ok(first.exited, 'the old feed stopped');
  const feed = h.spawned[1]!;
  for (let i = 0; i < 3; i++) await h.send(feed, undefined, 2000);
  await h.send(feed, { x: 20, y: 60 }, 300);
  const active = h.spawned[2]!;
  for (let i = 0; i < 4; i++) await h.send(active, { x: 24 + i * 4, y: 60 }, 200);
  await h.service.stop();
  const [e] = h.events.list({ type: 'motion' });
  t.equal((e?.detail as unknown as MotionEventDetail | undefined)?.zone, 'door', 'the open event was stored by stop(), in its zone');
  t.match(h.events.list({ type: 'motion.start' }), [{ id: (e?.detail as unknown as MotionEventDetail).startEventId, atMs: e?.atMs, detail: { source: 'video', zone: 'door' } }], 'its start was stored in its zone, and the summary names it');

  await h.service.start();
  const again = h.spawned.at(-1)!;
  h.settingsStore.setKnobs(h.cam.id, { enabled: false });
  await h.service.sync();
  await h.time.tick(500);
  t.ok(again.exited, 'motion off: its ffmpeg stopped');
  t.same(h.service.status(), []);
  await h.service.stop();
});

t.test('ffmpeg dying is retried with backoff; an open event ends at its last motion', async (t) => {
  const h = await harness(t);
  await h.service.start();
  t.teardown(() => h.service.stop());
  const still = h.spawned[0]!;
  for (let i = 0; i < 3; i++) await h.send(still, undefined, 2000);
  await h.send(still, { x: 20, y: 60 }, 300);
  const active = h.spawned[1]!;
  for (let i = 0; i < 4; i++) await h.send(active, { x: 24 + i * 4, y: 60 }, 200);
  const lastMotion = h.clock.now() - 200;
  active.exit(1);
  await h.time.tick(200);
  const [e] = h.events.list({ type: 'motion' });
  t.ok(e, 'the event was stored when the camera went away');
  t.equal((e!.detail as unknown as MotionEventDetail).endMs, lastMotion);
  t.equal(h.spawned.length, 2, 'not restarted at once');
  await h.time.tick(5000);
  t.equal(h.spawned.length, 3, 'restarted after the backoff');
  t.ok(h.spawned[2]!.args.includes('-skip_frame'), 'in still mode');
});

t.test('thumbnails older than their camera\'s retention are deleted, a day at a time', async (t) => {
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  const put = (cameraId: number, day: string) => {
    const file = join(dir, 'thumbnails', String(cameraId), day, 'x.jpg');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, jpeg(1));
    return file;
  };
  const old = put(1, '2026-11-21');
  const kept = put(1, '2026-11-22');
  const longer = put(2, '2026-11-21');
  const today = put(1, '2026-11-30');
  const removed = pruneThumbnails(layout, now, (id) => (id === 2 ? 30 : 7));
  t.equal(removed, 1);
  t.notOk(existsSync(old), '9 days old, 7 kept: deleted');
  t.ok(existsSync(kept), 'within a day of the retention: kept');
  t.ok(existsSync(longer), 'a camera kept longer keeps its thumbnails longer');
  t.ok(existsSync(today));
  t.equal(pruneThumbnails(new Layout(join(dir, 'none')), now, () => 7), 0, 'no thumbnails yet: nothing to do');
});

t.test('the snapshot wall uses the motion feed\'s picture while it is fresh, and opens its own feed otherwise', async (t) => {
  const { clock, tick } = fakeClock();
  const { spawner, spawned } = fakeSpawner();
  let shared: { jpeg: Buffer; atMs: number } | undefined = { jpeg: jpeg(7), atMs: clock.now() - 1000 };
  const snapshots = new SnapshotService({ spawner, clock, log: silentLogger(), shared: () => shared, firstFrameTimeoutMs: 1000 });
  t.teardown(() => snapshots.stop());
  t.same((await snapshots.latest(1, 'rtsp://127.0.0.1:8554/sub')).jpeg, jpeg(7));
  t.equal(spawned.length, 0, 'no second RTSP session, no second decode');
  shared = { jpeg: jpeg(8), atMs: clock.now() - 60_000 };
  const pending = snapshots.latest(1, 'rtsp://127.0.0.1:8554/sub');
  await tick(100);
  t.equal(spawned.length, 1, 'a stale picture (feed stalled): its own ffmpeg');
  spawned[0]!.stdout.write(jpeg(9));
  t.same((await pending).jpeg, jpeg(9));
});

t.test('the wall never steps back: a stale motion picture newer than the recording\'s key frame is the one answered', async (t) => {
  const { clock } = fakeClock();
  const { spawner, spawned } = fakeSpawner();
  // The camera went away: the motion feed's last picture is stale, and the recording's newest key frame is the
  // same picture stamped when it was written, 68 ms before the motion feed decoded it.
  const shared = { jpeg: jpeg(7), atMs: clock.now() - 30_000 };
  const recordedAt = shared.atMs - 68;
  const snapshots = new SnapshotService({
    spawner, clock, log: silentLogger(), shared: () => shared, firstFrameTimeoutMs: 1000,
    recorded: async () => ({ jpeg: jpeg(6), atMs: recordedAt, source: 'recording' }),
  });
  t.teardown(() => snapshots.stop());
  const s = await snapshots.latest(1, 'rtsp://127.0.0.1:8554/sub');
  t.same(s.jpeg, jpeg(7), 'the motion feed\'s picture, the later of the two');
  t.equal(s.atMs, shared.atMs);
  t.equal(s.source, 'motion');
  t.equal(spawned.length, 1, 'and a feed is opened for the next requests');
});
