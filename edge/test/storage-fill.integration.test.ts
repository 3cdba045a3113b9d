// Another program fills the data disk while a real camera records: the
// simulator's RTSP, real ffmpeg, a real 64 MiB filesystem (tmpfs). Retention's
// regular pass is set to an hour, so whatever frees the disk in this test is
// the free-space watch.
import t from 'tap';
import { statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { smallDisk, smallDiskProblem } from './helpers/small-disk.ts';
import { waitFor } from './helpers/media.ts';

const MiB = 1024 ** 2;
const DISK = 64 * MiB;
const problem = smallDiskProblem();

let sim: Camsim | undefined;
t.before(async () => {
  if (!problem) sim = await startCamsim({ cameras: 1 });
});
t.teardown(() => sim?.stop());

const free = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

t.test('a junk file takes the disk under the watermark: footage goes within seconds and recording goes on', problem ? { skip: `needs a tmpfs mount: ${problem}` } : {}, async (t) => {
  const dir = smallDisk(t, DISK);
  const cam = sim!.cameras[0]!;
  const yaml = [
    `data_dir: ${dir}`,
    'recording:',
    '  segment_seconds: 2',
    '  watchdog_seconds: 4',
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 10',
    '  interval_seconds: 3600',
    'cameras:',
    `  - name: ${cam.name}`,
    `    main: ${cam.urls.main}`,
    `    user: ${cam.user}`,
    `    password: ${cam.password}`,
    '',
  ].join('\n');
  const lines: Array<Record<string, any>> = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } as never });
  const edge = new Edge({ config: parseConfig(yaml), log });
  await edge.start();
  t.teardown(() => edge.stop());
  const footage = () => (edge.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes, COALESCE(MAX(id), 0) AS last FROM segments').get() as { n: number; bytes: number; last: number });
  await waitFor('6 MiB of footage', () => footage().bytes >= 6 * MiB, 90_000, 500);

  // Leave 3 MiB: seconds of recording before ffmpeg would hit a full disk.
  const reserve = 0.1 * DISK;
  writeFileSync(join(dir, 'download.iso'), Buffer.alloc(free(dir) - 3 * MiB, 1));
  const before = footage();
  t.ok(free(dir) < reserve, `under the ${reserve / MiB} MiB watermark: ${(free(dir) / MiB).toFixed(1)} MiB free`);

  await waitFor('the watch to free the reserve', () => free(dir) >= reserve - MiB, 30_000, 100);
  t.ok(footage().n < before.n + 5, 'the oldest footage went to make room');
  const deleted = lines.find((l) => /because other programs use/.test(l.msg ?? ''));
  t.match(deleted, { level: 40, deletedSegments: Number }, 'logged at warn, with the numbers');
  t.ok(deleted!.foreignBytes > 40 * MiB, `others: ${(deleted!.foreignBytes / MiB).toFixed(1)} MiB`);

  // Recording never stopped: new segments keep coming and the camera stayed online.
  await waitFor('3 more segments', () => footage().last >= before.last + 3, 30_000, 200);
  t.same(edge.cameraStatus().map((s) => s.state), ['recording']);
  t.same(edge.parts.events.list({ type: 'camera.offline' }), [], 'the camera never went offline');
  await waitFor('the foreign-usage alarm', () => edge.parts.events.list({ type: 'storage.foreign_usage' }).length === 1, 10_000);
});
