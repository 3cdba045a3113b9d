import t from 'tap';
import fc from 'fast-check';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { SPAN_TOLERANCE_MS, spansBetween } from '../src/storage/spans.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

/** The spans as they must be: segments merged from scratch. */
function expected(segments: Array<{ cameraId: number; start: number; end: number }>) {
  const out: Array<{ cameraId: number; startMs: number; endMs: number }> = [];
  const sorted = [...segments].sort((a, b) => a.cameraId - b.cameraId || a.start - b.start);
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && last.cameraId === s.cameraId && s.start - last.endMs <= SPAN_TOLERANCE_MS) last.endMs = Math.max(last.endMs, s.end);
    else out.push({ cameraId: s.cameraId, startMs: s.start, endMs: s.end });
  }
  return out;
}

t.test('spans always equal the merged segments, through inserts in any order and deletes', async (t) => {
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ cam: fc.integer({ min: 1, max: 2 }), gap: fc.constantFrom(0, 40, 900, 1600, 5000), len: fc.integer({ min: 500, max: 60_000 }) }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 15 }),
      fc.boolean(),
      async (plan, deletions, shuffle) => {
        const db = openDatabase(join(dir, `p${n++}.db`));
        const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
        const cursor = new Map<number, number>();
        const segs = plan.map((p, i) => {
          const start = (cursor.get(p.cam) ?? 0) + p.gap;
          cursor.set(p.cam, start + p.len);
          return { cameraId: p.cam, start, end: start + p.len, path: `s${i}` };
        });
        const order = shuffle ? [...segs].reverse() : segs;
        const ids = new Map<string, number>();
        for (const s of order) ids.set(s.path, index.insert({ cameraId: s.cameraId, startMs: s.start, endMs: s.end, bytes: 1, path: s.path, runId: null, seq: null, recovered: false }));
        t.same(spansBetween(db, 0, Number.MAX_SAFE_INTEGER), expected(segs));
        const alive = [...segs];
        for (const d of deletions) {
          if (alive.length === 0) break;
          const [victim] = alive.splice(d % alive.length, 1);
          index.deleteRows([ids.get(victim!.path)!]);
          const got = spansBetween(db, 0, Number.MAX_SAFE_INTEGER);
          const want = expected(alive);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            db.close();
            throw new Error(`after deleting ${victim!.path}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
          }
        }
        db.close();
      },
    ),
    { numRuns: 150 },
  );
});

t.test('the migration backfills spans from existing segments', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'b.db'));
  const insert = db.prepare('INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, indexed_at) VALUES (?, ?, ?, 1, ?, 0)');
  for (const [cam, s, e] of [[1, 0, 10], [1, 10, 20], [1, 5000, 6000], [2, 100, 200]] as const) insert.run(cam, s, e, `${cam}-${s}`);
  db.exec('DELETE FROM spans');
  db.exec((await import('../src/db/migrations.ts')).migrations.find((m) => m.name === 'recording/002-spans')!.sql.split('CREATE INDEX spans_by_end ON spans (end_ms);')[1]!);
  t.same(spansBetween(db, 0, 1e9), [{ cameraId: 1, startMs: 0, endMs: 20 }, { cameraId: 1, startMs: 5000, endMs: 6000 }, { cameraId: 2, startMs: 100, endMs: 200 }]);
  db.close();
});
