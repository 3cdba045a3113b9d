import { boxWatcher } from './motion-box-watch.ts';
import { spawn } from 'node:child_process';
import { startCamsim } from '../../scripts/camsim/camsim.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import { CameraMotion, defaultMotionFeedSettings } from '../../edge/src/motion/camera-motion.ts';
import { defaultDetectorSettings } from '../../edge/src/motion/detector.ts';
import { nodeSpawner } from '../../edge/src/ffmpeg/process.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';
const shared = process.argv[2] !== 'off';
const crossing = await motionClip('crossing');
const sim = await startCamsim({ cameras: 1, clips: [`file:${crossing}`] });
const c = sim.cameras[0]!;
const url = authenticatedUrl(c.urls.sub, c.user, c.password);
const t0 = Date.now();
const v = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-threads', '1', '-rtsp_transport', 'tcp', '-i', url, '-fps_mode', 'passthrough', '-vf', 'scale=160:90,format=gray', '-f', 'rawvideo', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
const w = boxWatcher(() => console.log('BOX', Date.now() - t0));
v.stdout!.on('data', (c: Buffer) => w(c));
await new Promise((r) => setTimeout(r, 1500));
const m = new CameraMotion({ cameraId: 1, url, codec: 'h264', detector: { ...defaultDetectorSettings, zones: [], masks: [] }, tracker: { minFrames: 2, mergeGapMs: 4000, maxEventMs: 300000 },
  settings: { ...defaultMotionFeedSettings, sharedSession: shared }, clock: systemClock, spawner: nodeSpawner, log: (await import('../../edge/src/log.ts')).createLogger({ level: 'debug', destination: process.stderr as never }),
  sink: { motionStarted: (e) => { console.log('START', Date.now() - t0, e.startMs - t0); return null; }, motionEnded: (e) => console.log('END', Date.now() - t0, e.startMs - t0, e.endMs - t0),
    modeChanged: (_i, mode) => console.log('MODE', Date.now() - t0, mode),
    analysed: (_i, vd, mode) => (vd.zones.length || mode==='still') && console.log('F', Date.now() - t0, mode, vd.changed.toFixed(3), vd.recalibrated ? 'R' : '', vd.confirmed ? 'C' : '', vd.zones.map((z) => z.area.toFixed(3)).join(',')) } });
m.start();
await new Promise((r) => setTimeout(r, 26000));
await m.stop();
v.kill('SIGKILL');
await sim.stop();
