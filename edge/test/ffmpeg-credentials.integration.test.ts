// Every ffmpeg/ffprobe that reads a camera gets its URL, password included,
// on a pipe: /proc/PID/cmdline (what `ps` shows) is readable by every local
// user. Real ffmpeg and ffprobe behind a wrapper that records their argv,
// against the camera simulator's authenticated RTSP.
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { systemClock } from '../src/clock.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { silentLogger } from '../src/log.ts';
import { LiveService } from '../src/playback/live.ts';
import { SnapshotService } from '../src/playback/snapshots.ts';
import { probeStream } from '../src/probe/stream.ts';
import { authenticatedUrl } from '../src/cameras/registry.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
t.before(async () => {
  sim = await startCamsim({ cameras: 1 });
});
t.teardown(() => sim?.stop());

/** A stand-in binary that logs its command line, then runs the real one. */
function recordingWrapper(dir: string, binary: 'ffmpeg' | 'ffprobe'): { path: string; argv: () => string } {
  const log = join(dir, `${binary}.argv`);
  const path = join(dir, `${binary}-wrapper.sh`);
  writeFileSync(log, '');
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$0 $*" >> '${log}'\nexec ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return { path, argv: () => readFileSync(log, 'utf8') };
}

t.test('the probe: works, and ffprobe is never given the URL on its command line', async (t) => {
  const dir = tmpDir(t);
  const cam = sim.cameras[0]!;
  const wrapper = recordingWrapper(dir, 'ffprobe');
  const p = await probeStream(cam.urls.main, { username: cam.user, password: cam.password, seconds: 2, ffprobePath: wrapper.path });
  t.match(p, { codec: 'h264', width: 1280, height: 720 });
  t.match(wrapper.argv(), /-i async:pipe:0/);
  t.notMatch(wrapper.argv(), new RegExp(`${cam.password}|rtsp://`), 'no URL, no password in argv');
  const bad = await probeStream(cam.urls.main, { username: cam.user, password: 'wrong-pass', seconds: 2, ffprobePath: wrapper.path }).catch((e: unknown) => e);
  t.match(bad, { code: 'RTSP_AUTH_FAILED' }, 'a wrong password is still told apart');
});

t.test('live view and snapshots: the same', async (t) => {
  const dir = tmpDir(t);
  const cam = sim.cameras[0]!;
  const wrapper = recordingWrapper(dir, 'ffmpeg');
  const deps = { spawner: nodeSpawner, clock: systemClock, log: silentLogger(), ffmpegPath: wrapper.path, idleMs: 100 };
  const url = authenticatedUrl(cam.urls.sub, cam.user, cam.password);
  const live = new LiveService(deps);
  const snapshots = new SnapshotService(deps);
  try {
    const chunks: Buffer[] = [];
    const unwatch = live.watch({ cameraId: 1, stream: 'sub', url }, { write: (c) => void chunks.push(c), close: () => {} });
    await waitFor('live fragments', () => chunks.length >= 3, 20_000);
    unwatch();
    const snap = await snapshots.latest(1, url);
    t.ok(snap.jpeg.length > 1000, 'a snapshot arrived');
  } finally {
    await live.stop();
    await snapshots.stop();
  }
  const argv = wrapper.argv();
  t.equal(argv.trim().split('\n').length, 2, 'two ffmpeg started');
  t.notMatch(argv, new RegExp(`${cam.password}|rtsp://`), 'no URL, no password in argv');
});
