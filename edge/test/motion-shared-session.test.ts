import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import { CameraMotion, defaultMotionFeedSettings, type StartedMotion } from '../src/motion/camera-motion.ts';
import type { MotionMode } from '../src/motion/args.ts';
import { defaultDetectorSettings } from '../src/motion/detector.ts';
import { defaultTrackerSettings } from '../src/motion/tracker.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { authenticatedUrl } from '../src/cameras/registry.ts';
import { waitFor } from './helpers/media.ts';
import type { VideoCodec } from '../src/motion/access-units.ts';

/**
 * Real ffmpeg on camsim's RTSP: the crossing clip (a box crosses 8–14 s into
 * each 20-s loop) on one camera's sub stream. A viewer keeps the stream
 * playing (camsim restarts a clip when its last client leaves). Going active
 * must not open a new RTSP session: the still ffmpeg's copy of the stream
 * feeds a second decoder. No timing is asserted, only what happens.
 */
let sim: Camsim;
let viewer: ChildProcess | undefined;
t.before(async () => {
  const crossing = await motionClip('crossing');
  sim = await startCamsim({ cameras: 1, clips: [`file:${crossing}`] });
  const c = sim.cameras[0]!;
  viewer = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-i', authenticatedUrl(c.urls.sub, c.user, c.password), '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
  await waitFor('the viewer is connected', async () => (await sim.control.state())[0]!.rtspClients === 1, 20_000);
});
t.teardown(async () => {
  viewer?.kill('SIGKILL');
  await sim?.stop();
});

function feed(codec: VideoCodec) {
  const c = sim.cameras[0]!;
  const modes: MotionMode[] = [];
  const analysed: MotionMode[] = [];
  const stillMotionAt: number[] = [];
  const started: StartedMotion[] = [];
  const motion = new CameraMotion({
    cameraId: 1,
    url: authenticatedUrl(c.urls.sub, c.user, c.password),
    codec,
    detector: { ...defaultDetectorSettings, zones: [], masks: [] },
    tracker: defaultTrackerSettings,
    settings: { ...defaultMotionFeedSettings, decoderFirstFrameMs: 4_000 },
    clock: systemClock,
    spawner: nodeSpawner,
    log: silentLogger(),
    sink: {
      motionStarted: (e) => {
        started.push(e);
        return null;
      },
      motionEnded: () => {},
      modeChanged: (_id, mode) => modes.push(mode),
      analysed: (_id, verdict, mode) => {
        analysed.push(mode);
        if (mode === 'still' && verdict.zones.length > 0) stillMotionAt.push(verdict.atMs);
      },
    },
  });
  return { motion, modes, analysed, started, stillMotionAt };
}

const connections = async () => (await sim.control.state())[0]!.rtspConnections;

t.test('going active keeps the still feed’s RTSP session, and active frames arrive', async (t) => {
  const f = feed('h264');
  f.motion.start();
  t.teardown(() => f.motion.stop());
  await waitFor('a key frame analysed', async () => f.analysed.length > 0, 30_000);
  const before = await connections();
  await waitFor('the feed went active', async () => f.motion.mode === 'active', 40_000);
  const firstActive = f.analysed.length;
  await waitFor('active frames analysed', async () => f.analysed.slice(firstActive).filter((m) => m === 'active').length >= 5, 20_000);
  await waitFor('the crossing opened an event', async () => f.started.length > 0, 20_000);
  t.equal(await connections(), before, 'no RTSP connection opened for the switch');
  t.equal((await sim.control.state())[0]!.rtspClients, 2, 'the viewer and the still feed, nothing else');
  t.same(f.modes.slice(0, 2), ['still', 'active'], 'one ffmpeg start, then the switch');
  t.ok(f.motion.latestPicture, 'the wall has a picture');
  // The decoder's first picture is seconds newer than the key frame that woke the feed: it is
  // not compared with it (the box moved on), so the run goes on and the event starts there.
  t.equal(f.started[0]!.startMs, f.stillMotionAt[0], 'the event is dated at the key frame that woke the feed');
  await f.motion.stop();
});

t.test('a decoder that cannot read the stream falls back to restarting in active mode', async (t) => {
  // The stream is H.264; a decoder told it is H.265 finds no picture in it.
  const f = feed('hevc');
  f.motion.start();
  t.teardown(() => f.motion.stop());
  await waitFor('a key frame analysed', async () => f.analysed.length > 0, 30_000);
  const before = await connections();
  await waitFor('active frames analysed after the fallback', async () => f.analysed.filter((m) => m === 'active').length >= 3, 60_000);
  t.ok((await connections()) > before, 'the fallback is a restart: a new RTSP session');
  await f.motion.stop();
});
