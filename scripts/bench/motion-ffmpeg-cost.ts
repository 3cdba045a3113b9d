// Where a motion feed's CPU goes, per camera: the feed's own ffmpeg command (args.ts) run
// against simulated cameras playing one ground-truth clip, in each mode and variant, CPU
// time from /proc over a fixed window; plus the CPU one mode switch (ffmpeg stop + start
// up to its first frame) costs.
//
//   npx tsx scripts/bench/motion-ffmpeg-cost.ts [--cameras 4] [--seconds 20] [--clip walk-zones] [--json FILE]
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startCamsim } from '../camsim/camsim.ts';
import { loadGroundTruth } from '../motion-truth/ground-truth.ts';
import { motionCommand, type MotionArgsInput, type MotionMode } from '../../edge/src/motion/args.ts';
import { ANALYSIS_HEIGHT, ANALYSIS_WIDTH } from '../../edge/src/motion/camera-motion.ts';
import { sample } from './proc-stats.ts';
import { authenticatedUrl } from '../../edge/src/cameras/registry.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    clip: { type: 'string', default: 'walk-zones' },
    switches: { type: 'string', default: '6' },
    json: { type: 'string' },
  },
});
const N = Number(values.cameras);
const T = Number(values.seconds);
const log = (m: string) => process.stderr.write(`[cost] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number) => Math.round(v * 1000) / 1000;

const clips = await loadGroundTruth({ onLog: log, names: [values.clip] });
const clip = clips[0];
if (!clip) throw new Error(`no ground-truth clip ${values.clip}`);
const sim = await startCamsim({ cameras: N, clips: [`asis:${clip.path}`] });

function launch(url: string, mode: MotionMode, onFrame: () => void): ChildProcess {
  const input: MotionArgsInput = { inputUrl: url, transport: 'tcp', socketTimeoutSeconds: 10, mode, activeFps: 5, width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT, thumbnailWidth: 320 };
  const { args, inputScript } = motionCommand(input);
  const p = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'ignore', 'pipe', 'pipe'] });
  const size = ANALYSIS_WIDTH * ANALYSIS_HEIGHT;
  let fill = 0;
  p.stdout!.on('data', (c: Buffer) => {
    fill += c.length;
    while (fill >= size) {
      fill -= size;
      onFrame();
    }
  });
  (p.stdio[3] as NodeJS.ReadableStream).resume();
  const script = p.stdio[4] as NodeJS.WritableStream;
  script.end(inputScript);
  return p;
}
const url = (i: number) => authenticatedUrl(sim.cameras[i]!.urls.sub, sim.cameras[i]!.user, sim.cameras[i]!.password);
const cpu = (p: ChildProcess) => sample(p.pid!)?.cpuSeconds ?? 0;

try {
  const out: Record<string, unknown> = { cameras: N, clip: clip.name, seconds: T, args_still: motionCommand({ inputUrl: 'rtsp://cam/sub', transport: 'tcp', socketTimeoutSeconds: 10, mode: 'still', activeFps: 5, width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT, thumbnailWidth: 320 }).args.join(' ') };
  for (const mode of ['still', 'active'] as const) {
    log(`${mode}: ${N} feeds for ${T} s after 5 s`);
    let frames = 0;
    const procs = sim.cameras.map((_c, i) => launch(url(i), mode, () => frames++));
    await sleep(5000);
    const a = procs.map(cpu);
    const f0 = frames;
    const t0 = performance.now();
    await sleep(T * 1000);
    const b = procs.map(cpu);
    const wall = (performance.now() - t0) / 1000;
    const per = b.map((x, i) => x - a[i]!).reduce((s, x) => s + x, 0) / N / wall;
    out[`${mode}_pct_per_camera`] = round(per * 100);
    out[`${mode}_frames_per_s`] = round((frames - f0) / wall / N);
    log(`${mode}: ${out[`${mode}_pct_per_camera`]} % of a core per camera, ${out[`${mode}_frames_per_s`]} frames/s`);
    for (const p of procs) p.kill('SIGTERM');
    await sleep(1000);
  }
  // One switch: a new ffmpeg from spawn until its first frame, then stopped (what a mode change costs).
  log(`switch cost: ${values.switches} starts`);
  const costs: number[] = [];
  const delays: number[] = [];
  for (let k = 0; k < Number(values.switches); k++) {
    const t0 = performance.now();
    let first: ((why?: string) => void) | undefined;
    const got = new Promise<string | undefined>((r) => (first = r));
    const p = launch(url(k % N), 'still', () => first?.());
    p.once('exit', (code) => first?.(`exited ${code}`));
    const err = await Promise.race([got, sleep(15_000).then(() => 'no frame in 15 s')]);
    if (err) throw new Error(`switch ${k}: ${err}`);
    delays.push(performance.now() - t0);
    const c = cpu(p);
    costs.push(c);
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
  out['switch_cpu_ms'] = round((costs.reduce((s, x) => s + x, 0) / costs.length) * 1000);
  out['switch_first_frame_ms'] = Math.round(delays.reduce((s, x) => s + x, 0) / delays.length);
  printAndSave(out, values.json);
} finally {
  await sim.stop();
}
