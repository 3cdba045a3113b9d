/**
 * Storage judgement benchmark: what one check of the storage monitor (run every
 * 30 s inside the edge, and after each pass that deleted for space) costs on a
 * full index. It runs on the event loop, so its time is time the recorders and
 * the API wait.
 *
 *   npx tsx scripts/bench/storage-status.ts --json docs/design/bench-storage-status.json [--cameras 64] [--days 30]
 *
 * Builds an index of `--cameras` × `--days` one-minute segments in a real
 * SQLite file (rows only; the judgement reads the index, not the files), then
 * times ownBytes + storageStatus (check_ms, median and worst of 10) and, for
 * comparison, the plain GROUP BY over all segments the status used to run
 * (full_scan_ms).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../edge/src/db/database.ts';
import { Layout } from '../../edge/src/storage/layout.ts';
import { ownBytes } from '../../edge/src/storage/own-files.ts';
import { storageStatus } from '../../edge/src/storage/status.ts';
import { defaultRetentionSettings } from '../../edge/src/storage/retention.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, cameras: { type: 'string', default: '64' }, days: { type: 'string', default: '30' } } });
const cameras = Number(values.cameras);
const days = Number(values.days);
const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-status-'));
try {
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  const insert = db.prepare('INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, run_id, seq, recovered, indexed_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, 0, 0)');
  const perCamera = days * 1440;
  const t0 = Date.now() - days * 86_400_000;
  // 2 Mbit/s: 15 MB a minute.
  db.transaction(() => {
    for (let c = 1; c <= cameras; c++) for (let k = 0; k < perCamera; k++) insert.run(c, t0 + k * 60_000, t0 + (k + 1) * 60_000, 15_000_000, `recordings/${c}/${k}.ts`);
  })();
  const disk = { totalBytes: 16e12, freeBytes: 1e12, usedBytes: 15e12 };
  const times: number[] = [];
  let days_held: number | null = null;
  for (let i = 0; i < 10; i++) {
    const a = performance.now();
    const s = storageStatus({ db }, disk, defaultRetentionSettings, await ownBytes(db, layout));
    times.push(performance.now() - a);
    days_held = s.daysAtCurrentBitrate;
  }
  const a = performance.now();
  db.prepare('SELECT camera_id, COUNT(*), SUM(bytes), MIN(start_ms), MAX(end_ms) FROM segments GROUP BY camera_id').all();
  const fullScanMs = performance.now() - a;
  db.close();
  times.sort((x, y) => x - y);
  const result = {
    cameras,
    days,
    rows: cameras * perCamera,
    check_ms_median: Number(times[5]!.toFixed(2)),
    check_ms_max: Number(times[9]!.toFixed(2)),
    full_scan_ms: Number(fullScanMs.toFixed(0)),
    days_at_current_bitrate: days_held === null ? null : Number(days_held.toFixed(2)),
  };
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  if (values.json) writeFileSync(values.json, `${text}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
