// Live view against the simulator: each stream of a camera is its own channel.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { LiveService, type LiveViewer } from '../src/playback/live.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
let live: LiveService;
t.before(async () => {
  sim = await startCamsim({ cameras: 1 });
  live = new LiveService({ spawner: nodeSpawner, clock: systemClock, log: silentLogger(), idleMs: 5000 });
});
t.teardown(async () => {
  await live?.stop();
  await sim?.stop();
});

/** A viewer collecting bytes until it holds the init segment and one media fragment. */
function collector(): LiveViewer & { bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return { write: (c) => void chunks.push(c), close: () => {}, bytes: () => Buffer.concat(chunks) };
}

async function resolutionOf(t: Test, viewer: { bytes: () => Buffer }, name: string): Promise<{ width: number; height: number }> {
  await waitFor(`${name}: init and a fragment`, () => viewer.bytes().indexOf('mdat') > 0, 20_000);
  const file = join(tmpDir(t), `${name}.mp4`);
  writeFileSync(file, viewer.bytes());
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', file], { encoding: 'utf8' })) as { streams: Array<{ width: number; height: number }> };
  return probe.streams[0]!;
}

t.test('the sub stream while the main stream of the same camera is watched', async (t) => {
  const cam = sim.cameras[0]!;
  const main = collector();
  const leaveMain = live.watch({ cameraId: 1, stream: 'main', url: cam.authUrl('main') }, main);
  t.match(await resolutionOf(t, main, 'main'), { width: 1280, height: 720 });
  const sub = collector();
  const leaveSub = live.watch({ cameraId: 1, stream: 'sub', url: cam.authUrl('sub') }, sub);
  t.match(await resolutionOf(t, sub, 'sub'), { width: 640, height: 360 }, 'the sub viewer gets the sub stream');
  t.same(live.active().sort(), ['1/main', '1/sub'], 'two upstreams, one per stream');
  leaveSub();
  leaveMain();
});

t.test('the sub stream right after the main stream was left (its upstream still idling)', async (t) => {
  const cam = sim.cameras[0]!;
  const main = collector();
  const leaveMain = live.watch({ cameraId: 1, stream: 'main', url: cam.authUrl('main') }, main);
  t.match(await resolutionOf(t, main, 'main-again'), { width: 1280, height: 720 });
  leaveMain();
  const sub = collector();
  const leaveSub = live.watch({ cameraId: 1, stream: 'sub', url: cam.authUrl('sub') }, sub);
  t.match(await resolutionOf(t, sub, 'sub-after'), { width: 640, height: 360 });
  leaveSub();
  await waitFor('both upstreams stop once idle', () => live.active().length === 0, 20_000);
});
