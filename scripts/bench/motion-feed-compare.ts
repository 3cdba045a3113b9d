// The motion feeds alone (no recorder, no edge) on the ground-truth clips, served as is by camsim
// (camera i plays clip i mod 12: walk-zones, speeds, night-walk, rain-walk, then the eight
// distractors), going active on the copied stream (`--shared on`) or by restart (`off`): the
// Node process's CPU time over 40 s (after 10 s), ffmpeg starts, mode changes and frames
// analysed per camera and mode (key: camera id, s/a, `*` = with motion).
//
//   npx tsx scripts/bench/motion-feed-compare.ts --shared on|off [--cameras 12] [--json FILE]
//
// Also reported: the CPU of the still feeds' and the active decoders' ffmpeg over the window (sampled
// from /proc, child-cpu.ts), ffmpeg starts and the time each spawn held the event loop, and
// restarts in active mode (the fallback when an active decoder fails).
import { parseArgs } from 'node:util';
import { printAndSave } from './report.ts';
import { ChildCpuSampler } from './child-cpu.ts';
import { startCamsim } from '../camsim/camsim.ts';
import { loadGroundTruth } from '../motion-truth/ground-truth.ts';
import { CameraMotion, defaultMotionFeedSettings } from '../../edge/src/motion/camera-motion.ts';
import { defaultDetectorSettings } from '../../edge/src/motion/detector.ts';
import { defaultTrackerSettings } from '../../edge/src/motion/tracker.ts';
import { nodeSpawner } from '../../edge/src/ffmpeg/process.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';
const { values } = parseArgs({ options: { shared: { type: 'string', default: 'on' }, cameras: { type: 'string', default: '12' }, json: { type: 'string' } } });
const shared = values.shared === 'on';
const N = Number(values.cameras);
const clips = await loadGroundTruth();
const sim = await startCamsim({ cameras: N, clips: clips.map((c) => `asis:${c.path}`) });
let spawns = 0, modes = 0; const frames: Record<string, number> = {}; const modeLog: string[] = [];
let spawnMs = 0;
// Restarts in active mode (`fps=` in the filter: the fallback when an active decoder fails).
let activeRestarts = 0;
const spawner: typeof nodeSpawner = (b, a, o) => { spawns++; if (a.some((x) => x.startsWith('fps='))) activeRestarts++; const t = performance.now(); try { return nodeSpawner(b, a, o); } finally { spawnMs += performance.now() - t; } };
const feeds = sim.cameras.map((c, i) => new CameraMotion({ cameraId: i + 1, url: authenticatedUrl(c.urls.sub, c.user, c.password), detector: { ...defaultDetectorSettings, zones: [], masks: [] }, tracker: defaultTrackerSettings,
  settings: { ...defaultMotionFeedSettings, sharedSession: shared }, clock: systemClock, spawner, log: silentLogger(), sink: { motionStarted: () => null, motionEnded: () => {}, modeChanged: (id, m) => { modes++; modeLog.push(`${id}:${m}`); }, analysed: (id, v, m) => { const k = `${id}${m[0]}${v.zones.length ? '*' : ''}`; frames[k] = (frames[k] ?? 0) + 1; } } }));
feeds.forEach((f) => f.start());
await new Promise((r) => setTimeout(r, 10000));
const s0 = spawns, m0 = modes, sm0 = spawnMs, r0 = activeRestarts; const t0 = process.cpuUsage();
// The children by kind: the simulator, the active decoders (they read the copied stream on pipe:4) and the still feeds.
const children = new ChildCpuSampler(process.pid, (cmd) => (/camsim/.test(cmd) ? 'camsim' : / -i pipe:4( |$)/.test(cmd) ? 'decoder' : 'still'));
children.start();
await new Promise((r) => setTimeout(r, 40000));
const cu = process.cpuUsage(t0);
const ff = children.stop();
const pct = (role: string) => Math.round(((ff[role]?.cpuSeconds ?? 0) / 40) * 10000) / 100;
printAndSave({ shared, cameras: N, still_ffmpeg_cpu_pct: pct('still'), decoder_ffmpeg_cpu_pct: pct('decoder'), decoders_seen: ff['decoder']?.processes ?? 0, node_cpu_pct: ((cu.user + cu.system) / 1000 / 40000) * 100, node_user_pct: (cu.user / 1000 / 40000) * 100, node_system_pct: (cu.system / 1000 / 40000) * 100, ffmpeg_starts: spawns - s0, spawn_ms_each: spawns > s0 ? Math.round(((spawnMs - sm0) / (spawns - s0)) * 10) / 10 : null, mode_changes: modes - m0, active_restarts: activeRestarts - r0, active_restarts_whole_run: activeRestarts, frames, mode_log: modeLog }, values.json);
await Promise.all(feeds.map((f) => f.stop())); await sim.stop();
