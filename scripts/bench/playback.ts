// Playback benchmark: a synthetic index of 64 cameras × 7 days of 60-s segments
// (~645,000 rows, with outages), then p50/p99 of
//   - the timeline query for all cameras over 7 days (from the spans table), and,
//     as the baseline in the same run, the same timeline merged from the raw
//     segment rows (what the spans table saves);
//   - the playback start: the HLS playlist for a random camera and moment.
//
//   npx tsx scripts/bench/playback.ts --json bench-results/playback.json
//
// JSON keys: rows, cameras, days, timeline_p50_ms, timeline_p99_ms,
// timeline_baseline_p99_ms, timeline_speedup, playback_start_p50_ms, playback_start_p99_ms
// (targets: timeline_p99_ms < 100, playback_start_p99_ms < 100).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../edge/src/db/database.ts';
import { migrations } from '../../edge/src/db/migrations.ts';
import { Layout } from '../../edge/src/storage/layout.ts';
import { SegmentIndex } from '../../edge/src/storage/segment-index.ts';
import { timeline } from '../../edge/src/playback/timeline.ts';
import { buildPlaylist } from '../../edge/src/playback/hls.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { percentile } from './proc-stats.ts';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '64' }, days: { type: 'string', default: '7' }, iterations: { type: 'string', default: '200' }, json: { type: 'string' } } });
const CAMS = Number(values.cameras);
const DAYS = Number(values.days);
const ITER = Number(values.iterations);
const SEG = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-playback-'));
const layout = new Layout(dir);
const db = openDatabase(layout.database);
const now = Date.UTC(2026, 10, 29, 12);
const from = now - DAYS * 86_400_000;

// A deterministic pseudo-random sequence, so runs compare.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

process.stderr.write(`[bench] building ${CAMS} cameras × ${DAYS} days of 60-s segments…\n`);
const insert = db.prepare('INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, run_id, seq, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
db.transaction(() => {
  for (let cam = 1; cam <= CAMS; cam++) {
    let t = from + Math.floor(rand() * SEG);
    let run = cam * 1000;
    let seq = 0;
    while (t < now) {
      // About one outage a day per camera, 1–30 minutes long.
      if (rand() < 1 / 1440) {
        t += Math.floor(60_000 + rand() * 29 * 60_000);
        run++;
        seq = 0;
      }
      const end = t + SEG - 40 + Math.floor(rand() * 80);
      insert.run(cam, t, end, 15_000_000, layout.segmentPath(cam, t), run, seq++, t);
      t = end;
    }
  }
})();
// Spans from the migration's own backfill statement.
db.exec('DELETE FROM spans');
db.exec(migrations.find((m) => m.name === 'recording/002-spans')!.sql.split('CREATE INDEX spans_by_end ON spans (end_ms);')[1]!);
db.exec('ANALYZE');
const rows = (db.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n;
const spans = (db.prepare('SELECT COUNT(*) AS n FROM spans').get() as { n: number }).n;
process.stderr.write(`[bench] ${rows} segment rows, ${spans} spans\n`);

const cameraIds = Array.from({ length: CAMS }, (_, i) => i + 1);
const time = (fn: () => void) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

const timelineMs: number[] = [];
for (let i = 0; i < ITER; i++) timelineMs.push(time(() => timeline(db, { fromMs: from, toMs: now }, cameraIds, now)));

// Baseline: merge the raw segments in SQL for the same answer.
const naive = db.prepare(`SELECT camera_id, MIN(start_ms) AS s, MAX(end_ms) AS e FROM (
  SELECT camera_id, start_ms, end_ms, SUM(brk) OVER (PARTITION BY camera_id ORDER BY start_ms ROWS UNBOUNDED PRECEDING) AS grp FROM (
    SELECT camera_id, start_ms, end_ms, CASE WHEN start_ms - LAG(end_ms) OVER (PARTITION BY camera_id ORDER BY start_ms) > 1500 THEN 1 ELSE 0 END AS brk
      FROM segments WHERE end_ms > ? AND start_ms < ?)) GROUP BY camera_id, grp`);
const baselineMs: number[] = [];
for (let i = 0; i < Math.min(ITER, 20); i++) baselineMs.push(time(() => naive.all(from, now)));

const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
const startMs: number[] = [];
for (let i = 0; i < ITER; i++) {
  const cam = 1 + Math.floor(rand() * CAMS);
  const at = from + Math.floor(rand() * (now - from - 3_600_000));
  startMs.push(time(() => buildPlaylist(index.forCamera(cam, at, at + 3_600_000), { fromMs: at, toMs: at + 3_600_000, segmentUrl: (r) => `/api/segments/${r.id}.ts` })));
}

const round = (n: number) => Number(n.toFixed(2));
const result = {
  rows,
  spans,
  cameras: CAMS,
  days: DAYS,
  timeline_p50_ms: round(percentile(timelineMs, 50)),
  timeline_p99_ms: round(percentile(timelineMs, 99)),
  timeline_baseline_p99_ms: round(percentile(baselineMs, 99)),
  timeline_speedup: round(percentile(baselineMs, 50) / percentile(timelineMs, 50)),
  playback_start_p50_ms: round(percentile(startMs, 50)),
  playback_start_p99_ms: round(percentile(startMs, 99)),
};
db.close();
rmSync(dir, { recursive: true, force: true });
const text = JSON.stringify(result, null, 2);
console.log(text);
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${text}\n`);
}
