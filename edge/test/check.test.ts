import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';
import { probeDuration } from './helpers/media.ts';

/** A real 3-s H.264 MPEG-TS file whose first PTS is `offset` s, as the recorder writes them. */
function makeClip(path: string, offset = 0): void {
  mkdirSync(dirname(path), { recursive: true });
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '3', '-c:v', 'libx264', '-bf', '0', '-g', '25',
    '-output_ts_offset', String(offset), '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', path]);
}

t.test('check reports, --repair mends: orphan files, missing files, partial segments, garbage', async (t) => {
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
  const clip = join(dir, 'clip.ts');
  makeClip(clip);

  // 1. a closed segment with a row (healthy)
  const t0 = Date.UTC(2026, 10, 29, 8, 0, 0);
  const good = layout.segmentPath(1, t0);
  mkdirSync(dirname(layout.absolute(good)), { recursive: true });
  copyFileSync(clip, layout.absolute(good));
  const size = (await import('node:fs')).statSync(clip).size;
  index.insert({ cameraId: 1, startMs: t0, endMs: t0 + 3000, bytes: size, path: good, runId: null, seq: null, recovered: false });
  // 2. a file without a row (crash between rename and insert)
  const orphan = layout.segmentPath(1, t0 + 3000);
  copyFileSync(clip, layout.absolute(orphan));
  // 3. a row without a file
  index.insert({ cameraId: 1, startMs: t0 + 6000, endMs: t0 + 9000, bytes: size, path: layout.segmentPath(1, t0 + 6000), runId: null, seq: null, recovered: false });
  // 4. a partial segment left in incoming/ by a killed run whose anchor is known: 2nd file of the run, starting 60 s in
  const runId = index.beginRun(2, t0);
  index.setRunAnchor(runId, t0 + 250);
  makeClip(join(layout.incomingDir(2), `${runId}_000001.ts`), 60);
  // 5. an empty file ffmpeg had just opened
  writeFileSync(join(layout.incomingDir(2), `${runId}_000002.ts`), '');
  // 6. an interrupted deletion
  const doomed = layout.segmentPath(2, t0 - 86_400_000);
  mkdirSync(dirname(layout.absolute(doomed)), { recursive: true });
  copyFileSync(clip, layout.absolute(doomed));
  db.prepare("INSERT INTO garbage (path, camera_id, bytes, reason, created_at) VALUES (?, 2, 1, 'age', 0)").run(doomed);
  db.close();

  const check = await cli(['check', '--data-dir', dir, '--json']);
  t.equal(check.code, 1, 'problems → exit 1');
  const report = JSON.parse(check.out);
  t.same(report.findings.map((f: { kind: string }) => f.kind).sort(), ['garbage-pending', 'missing-file', 'partial-segment', 'unindexed-file', 'unplayable-file'].sort());
  t.ok(existsSync(layout.absolute(orphan)), 'check alone changes nothing');

  const repair = await cli(['check', '--data-dir', dir, '--repair']);
  t.equal(repair.code, 0, repair.out + repair.err);
  const again = await cli(['check', '--data-dir', dir]);
  t.equal(again.code, 0);
  t.match(again.out, /check passed \(3 rows, 3 files\)/);

  const db2 = openDatabase(layout.database);
  t.teardown(() => db2.close());
  const rows = db2.prepare('SELECT camera_id, start_ms, end_ms, path, recovered FROM segments ORDER BY camera_id, start_ms').all() as Array<{ camera_id: number; start_ms: number; end_ms: number; path: string; recovered: number }>;
  t.equal(rows.length, 3);
  t.match(rows[1], { camera_id: 1, start_ms: t0 + 3000, recovered: 1 }, 'orphan indexed from its file name');
  const partial = rows[2]!;
  t.equal(partial.start_ms, t0 + 250 + 60_000, 'partial dated by its run anchor + its first PTS');
  const dur = await probeDuration(layout.absolute(partial.path));
  t.ok(Math.abs(partial.end_ms - partial.start_ms - dur * 1000) < 50, 'indexed with its true duration');
  t.notOk(existsSync(layout.absolute(doomed)), 'interrupted deletion finished');
  rmSync(clip);
});

t.test('check --repair refuses while an edge holds the data directory', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'cunbox.lock'), `${process.pid}\n`);
  const r = await cli(['check', '--data-dir', dir, '--repair']);
  t.equal(r.code, 75);
  t.match(r.err, /is running; stop it first/);
});

t.test('check verifies governance state against its op log; --repair re-folds', async (t) => {
  const fc = (await import('fast-check')).default;
  const { governanceModels } = await import('@cunbox/shared');
  const { OpStore } = await import('../src/governance/store.ts');
  const { actionArb, simulate } = await import('@cunbox/test-support/gen-ops');
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const ops = simulate(fc.sample(fc.array(actionArb, { minLength: 8, maxLength: 8 }), { numRuns: 1, seed: 7 })[0]!);
  store.ingest(ops);
  const victim = db.prepare('SELECT kind, id FROM gov_entities LIMIT 1').get() as { kind: string; id: string };
  db.prepare("UPDATE gov_entities SET state = json_set(state, '$.tampered', 1) WHERE kind = ? AND id = ?").run(victim.kind, victim.id);
  db.close();
  const found = await cli(['check', '--data-dir', dir, '--json']);
  t.equal(found.code, 1);
  t.match(JSON.parse(found.out).findings, [{ kind: 'oplog-mismatch', path: `${victim.kind}/${victim.id}` }]);
  t.equal((await cli(['check', '--data-dir', dir, '--repair'])).code, 0);
  t.equal((await cli(['check', '--data-dir', dir])).code, 0, 'clean after re-folding');
});
