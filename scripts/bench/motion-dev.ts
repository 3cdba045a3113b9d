// The motion detector's quality on the development set (scripts/motion-truth/dev-scenes.ts):
// the same offline model as the quality bench (motion-quality.ts), on other scenes and noise.
// This is the set changes are tried on; the evaluation set (`motion.ts --quality-only`) is run
// only to evaluate the chosen one.
//
//   npx tsx scripts/bench/motion-dev.ts [--loops 10] [--feed pipeline|active] [--size full|full-5fps] [--burst-ms N]
import { parseArgs } from 'node:util';
import { decodeClip, defaultFeedModel, p95, scoreClips } from './motion-quality.ts';
import { ensureClip, parseSizeName } from '../motion-truth/ground-truth.ts';
import { DEV_SCENES } from '../motion-truth/dev-scenes.ts';

const { values } = parseArgs({ options: { loops: { type: 'string', default: '10' }, feed: { type: 'string', default: 'pipeline' }, 'burst-ms': { type: 'string' }, size: { type: 'string', default: 'full' } } });
const loops = Number(values.loops);
const size = parseSizeName(values.size, '--size');
const burstMs = values['burst-ms'] === undefined ? undefined : Number(values['burst-ms']);
if (burstMs !== undefined && !(burstMs >= 0)) throw new Error('--burst-ms must be a number of milliseconds ≥ 0');
const model = { ...defaultFeedModel, alwaysActive: values.feed === 'active', burstMs };
const decoded = [];
for (const scene of DEV_SCENES) decoded.push(await decodeClip(await ensureClip(scene, size, undefined, (l) => process.stderr.write(`${l}\n`))));
const q = scoreClips(decoded, loops, model);
const s = q.score;
console.log(
  JSON.stringify(
    {
      recall: s.recall,
      detected: `${s.detected}/${s.trueIntervals}`,
      false_events_per_hour: s.falseEventsPerHour,
      false_events_on_motion_clips: s.falseEventsOnMotionClips,
      latency_p95_ms: s.latencyMs?.p95 ?? null,
      thumbnail_p95_ms: p95(q.thumbnailMs),
      active_share: q.activeShare,
      switches_per_hour: q.switchesPerHour,
      clips: q.perClip.map((c) => `${c.name}: ${c.kind === 'motion' ? `${c.detected}/${c.trueIntervals}` : `${c.falseEvents} false`} (${c.events} events, active ${c.activeShare}, ${c.switchesPerHour} switches/h)`),
    },
    null,
    2,
  ),
);
