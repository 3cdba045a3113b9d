// A cold snapshot from the recording being written: an edge records two
// simulated cameras (one with B-frames) into long segments, so their files
// stay open in the incoming directory; a relay request for a camera with no
// snapshot feed running is answered from that file's last key frame while
// the feed starts. Real ffmpeg, real RTSP, real files.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RelayReplyMessage } from '@cunbox/shared';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { authenticatedUrl } from '../src/cameras/registry.ts';
import { RecordingSnapshots } from '../src/playback/recording-snapshot.ts';
import { SnapshotService } from '../src/playback/snapshots.ts';
import { EdgeRelay } from '../src/sync/relay.ts';
import type { AuditRecord } from '../src/api/audit.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
let edge: Edge;
let recordingSince: number;

t.before(async () => {
  sim = await startCamsim({ cameras: 2, bFrameCameras: [1] });
  const dir = tmpDir(t, 'cunbox-recsnap-');
  const cams = sim.cameras.flatMap((c) => [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  // Minute-long segments: the files stay open (incoming, not indexed) for the whole test.
  const yaml = [`data_dir: ${dir}`, 'recording:', '  segment_seconds: 60', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', ...cams, ''].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  recordingSince = Date.now();
  await edge.start();
  await waitFor('both cameras recording', () => edge.cameraStatus().every((c) => c.state === 'recording') || undefined, 60_000);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

/** The file being written for a camera, and when it was last written. */
function newestIncoming(cameraId: number, only?: 'written'): { path: string; mtimeMs: number } {
  const dir = edge.layout.incomingDir(cameraId);
  const name = readdirSync(dir).filter((n) => n.endsWith('.ts') && (only !== 'written' || statSync(join(dir, n)).size > 0)).sort().at(-1)!;
  return { path: join(dir, name), mtimeMs: statSync(join(dir, name)).mtimeMs };
}

const recordingsOf = (clock = systemClock) => new RecordingSnapshots({ layout: edge.layout, spawner: nodeSpawner, clock, log: silentLogger() });

t.test('the newest key frame of the file being written, dated within its last seconds', async (t) => {
  const recorded = recordingsOf();
  for (const cameraId of [1, 2]) {
    const snap = await waitFor(`camera ${cameraId}: a picture from its recording`, () => recorded.latest(cameraId), 30_000, 500);
    const { mtimeMs } = newestIncoming(cameraId);
    t.equal(snap.source, 'recording');
    const meta = await sharp(snap.jpeg).metadata();
    t.equal(meta.format, 'jpeg', `camera ${cameraId}: a JPEG`);
    t.ok(meta.width! <= 640 && meta.width! > 0, `camera ${cameraId}: scaled to a sub stream's width (${meta.width} px)`);
    // A key frame from the last GOP or so before the file's last write, never after it, never before the recording began.
    t.ok(snap.atMs <= mtimeMs + 1, `camera ${cameraId}: taken before the file was last written`);
    t.ok(snap.atMs >= mtimeMs - 6000, `camera ${cameraId}: taken within the recording's last seconds (${Math.round(mtimeMs - snap.atMs)} ms before its last write)`);
    t.ok(snap.atMs >= recordingSince, `camera ${cameraId}: taken after the recording began`);
  }
});

t.test('a recording not written for longer than the bound (recorder down), or none at all: no picture', async (t) => {
  const later = { ...systemClock, now: () => Date.now() + 60_000 };
  t.equal(await recordingsOf(later).latest(1), undefined, 'a minute-old file is not used');
  t.equal(await recordingsOf().latest(99), undefined, 'a camera never recorded');
});

t.test('a file just begun, still empty (the recorder writes in blocks): the picture comes from the one before it', async (t) => {
  const empty = join(edge.layout.incomingDir(1), '999999_000000.ts');
  writeFileSync(empty, '');
  t.teardown(() => rmSync(empty, { force: true }));
  const snap = await recordingsOf().latest(1);
  t.equal(snap?.source, 'recording');
  t.ok(snap!.atMs >= newestIncoming(1, 'written').mtimeMs - 6000, 'from the file being written before');
});

/** An EdgeRelay over a real snapshot service; every camera id asks camera `feedOf(id)`'s sub stream of the simulator. */
function relayWith(recorded: RecordingSnapshots | undefined, t: Test) {
  const snapshots = new SnapshotService({ spawner: nodeSpawner, clock: systemClock, log: silentLogger(), ...(recorded ? { recorded: (id: number) => recorded.latest(id) } : {}) });
  t.teardown(() => snapshots.stop());
  const replies: RelayReplyMessage[] = [];
  const audits: AuditRecord[] = [];
  const relay = new EdgeRelay({
    clock: systemClock,
    log: silentLogger(),
    user: () => ({ id: 1, role: 'admin', disabled: false }),
    may: () => true,
    cameraUrl: (id) => {
      const cam = sim.cameras[(id - 1) % 2]!;
      return authenticatedUrl(cam.urls.sub, cam.user, cam.password);
    },
    snapshot: (id, url) => snapshots.latest(id, url),
    liveSource: () => undefined,
    clip: () => Promise.reject(new Error('no clips here')),
    tmpDir: join(edge.layout.dataDir, 'relay-test-tmp'),
    upload: async () => {},
    reply: (msg) => replies.push(msg),
    audit: (e) => audits.push(e),
  });
  const ask = async (cameraId: number) => {
    const id = randomBytes(16).toString('hex');
    const now = Date.now();
    relay.handle({ v: 1, id, kind: 'snapshot', cameraId, user: 'admin1', at: now, expiresAt: now + 30_000 });
    const reply = await waitFor('the relay answer', () => replies.find((r) => r.id === id), 30_000, 50);
    const audit = audits.find((a) => (a.detail as { request?: string }).request === id)!;
    return { reply, source: (audit.detail as { source?: string }).source };
  };
  return { ask, snapshots };
}

t.test('a cold relay snapshot comes from the recording; the feed starts beside it, so the next ones come from the feed', async (t) => {
  const { ask, snapshots } = relayWith(recordingsOf(), t);
  const first = await ask(2);
  t.match(first.reply, { ok: true, mime: 'image/jpeg' });
  t.equal(first.source, 'recording', 'audited as taken from the recording');
  const capturedAt = (first.reply as { capturedAt: number }).capturedAt;
  const { mtimeMs } = newestIncoming(2);
  t.ok(capturedAt <= mtimeMs + 1 && capturedAt >= mtimeMs - 6000, 'dated within the recording\'s last seconds');
  t.same(snapshots.active(), [2], 'the snapshot feed started for the next requests');
  await waitFor('a picture from the feed', async () => ((await ask(2)).source === 'feed') || undefined, 30_000, 500);
  t.pass('warm requests come from the feed');
});

t.test('without a recording the relay answers from the feed, as before', async (t) => {
  // Camera 3 has never been recorded (its requests are served by the simulator's first camera).
  const { ask } = relayWith(recordingsOf(), t);
  const r = await ask(3);
  t.match(r.reply, { ok: true, mime: 'image/jpeg' });
  t.equal(r.source, 'feed', 'taken from the snapshot feed');
});
