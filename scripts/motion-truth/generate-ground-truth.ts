// Renders the motion ground-truth clips into the cache (once; later runs reuse them) and
// prints where they are with their truth, as JSON.
//
//   npx tsx scripts/motion-truth/generate-ground-truth.ts            # all scenes, 640x360
//   npx tsx scripts/motion-truth/generate-ground-truth.ts --size small --only walk-zones,rain
//
// Cost (2-core box, empty cache): about 2 s of ffmpeg per clip at 640x360, ~25 s for all.
import { parseArgs } from 'node:util';
import { loadGroundTruth, SIZES, type SizeName } from './ground-truth.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    only: { type: 'string' },
    'cache-dir': { type: 'string' },
  },
});
if (!(values.size in SIZES)) {
  console.error(`--size must be one of: ${Object.keys(SIZES).join(', ')}`);
  process.exit(2);
}
try {
  const clips = await loadGroundTruth({
    size: values.size as SizeName,
    ...(values.only ? { names: values.only.split(',').filter(Boolean) } : {}),
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  const summary = clips.map((c) => ({ name: c.name, kind: c.kind, seconds: c.truth.seconds, path: c.path, truth: c.truthPath, intervals: c.truth.intervals.length }));
  console.log(JSON.stringify(summary, null, 2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
