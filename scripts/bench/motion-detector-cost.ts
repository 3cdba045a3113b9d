// The detector's own cost per analysed frame, offline: the development set's clips decoded once,
// then played through detector + tracker as the feed would deliver them (motion-quality.ts), timed
// on this thread. Prints ms per analysed frame (best of `--repeats`, the least disturbed by the
// rest of the box) and a digest of every verdict, so a change meant to be faster only can be
// shown to decide exactly as before.
//
//   npx tsx scripts/bench/motion-detector-cost.ts [--loops 4] [--repeats 5] [--json FILE]
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { printAndSave } from './report.ts';
import { decodeClip, defaultFeedModel, playClip } from './motion-quality.ts';
import { ensureClip } from '../motion-truth/ground-truth.ts';
import { DEV_SCENES } from '../motion-truth/dev-scenes.ts';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '4' }, repeats: { type: 'string', default: '5' }, json: { type: 'string' } } });
const loops = Number(values.loops);
const repeats = Number(values.repeats);
const decoded = [];
for (const scene of DEV_SCENES) decoded.push(await decodeClip(await ensureClip(scene)));
const perRepeat: number[] = [];
let digest = '';
let frames = 0;
for (let r = 0; r < repeats; r++) {
  const hash = createHash('sha256');
  frames = 0;
  const t0 = process.cpuUsage();
  for (const d of decoded) {
    const run = playClip(d, loops, defaultFeedModel);
    frames += run.framesAnalysed;
    hash.update(JSON.stringify([run.events, run.openedAtMs, run.activeMs, run.switches]));
  }
  const cpu = process.cpuUsage(t0);
  perRepeat.push((cpu.user + cpu.system) / 1000 / frames);
  digest = hash.digest('hex').slice(0, 16);
}
const round = (x: number) => Math.round(x * 1000) / 1000;
printAndSave({ frames_analysed: frames, ms_per_frame: round(Math.min(...perRepeat)), ms_per_frame_repeats: perRepeat.map(round), events_digest: digest }, values.json);
