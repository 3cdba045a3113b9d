// The index's group commit: rows of segments that close close together share
// one transaction, so the pages every insert touches reach the WAL once.
import t, { type Test } from 'tap';
import { mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import type { ClosedSegment } from '../src/recorder/types.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const CAMERAS = 8;
const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

/** An index over a fresh database, and a function that closes one 10-s segment per camera for round `r`. */
function rig(t: Test) {
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  t.teardown(() => db.close());
  const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger(), groupCommitMs: 200 });
  const closeRound = (r: number): ClosedSegment[] =>
    Array.from({ length: CAMERAS }, (_, i) => {
      const cameraId = i + 1;
      mkdirSync(layout.incomingDir(cameraId), { recursive: true });
      const file = join(layout.incomingDir(cameraId), `1_${String(r).padStart(6, '0')}.ts`);
      writeFileSync(file, Buffer.alloc(188 * 10, 0x47));
      return { cameraId, runId: 1, seq: r, file, startMs: T0 + r * 10_000, endMs: T0 + (r + 1) * 10_000, announcedAt: Date.now() };
    });
  const walBytes = () => (existsSync(`${layout.database}-wal`) ? statSync(`${layout.database}-wal`).size : 0);
  return { db, index, closeRound, walBytes };
}

t.test('segments closing within the window are committed together: fewer WAL bytes per row', async (t) => {
  const one = rig(t);
  // Warm-up round so both databases have their first pages in place.
  for (const s of one.closeRound(0)) await one.index.indexClosed(s);
  const a0 = one.walBytes();
  for (const s of one.closeRound(1)) await one.index.indexClosed(s); // one commit each
  const separately = one.walBytes() - a0;

  const two = rig(t);
  for (const s of two.closeRound(0)) await two.index.indexClosed(s);
  const b0 = two.walBytes();
  await Promise.all(two.closeRound(1).map((s) => two.index.indexClosed(s))); // within one window
  const together = two.walBytes() - b0;

  t.equal((two.db.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n, 2 * CAMERAS, 'every row committed');
  t.ok(together * 2 < separately, `WAL bytes for ${CAMERAS} rows: ${together} together vs ${separately} one by one`);
});

t.test('a failing row does not keep the others of its group out', async (t) => {
  const { db, index, closeRound } = rig(t);
  const round = closeRound(0);
  db.exec(`CREATE TRIGGER refuse_camera_3 BEFORE INSERT ON segments WHEN NEW.camera_id = 3 BEGIN SELECT RAISE(ABORT, 'refused'); END`);
  const results = await Promise.allSettled(round.map((s) => index.indexClosed(s)));
  t.same(results.map((r) => r.status), round.map((s) => (s.cameraId === 3 ? 'rejected' : 'fulfilled')));
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n, CAMERAS - 1, 'the other rows are in');
});

t.test('a segment that ffmpeg still wrote to after announcing it gets its final size (next announcement, or the run ending)', async (t) => {
  const { db, index, closeRound } = rig(t);
  const sizes = () => (db.prepare('SELECT seq, bytes FROM segments WHERE camera_id = 1 ORDER BY seq').all() as Array<{ seq: number; bytes: number }>).map((r) => r.bytes);
  const pathOf = (seq: number) => (db.prepare('SELECT path FROM segments WHERE camera_id = 1 AND seq = ?').get(seq) as { path: string }).path;
  const layout = new Layout(join(db.name, '..'));
  const grow = (seq: number) => writeFileSync(layout.absolute(pathOf(seq)), Buffer.alloc(188, 0x47), { flag: 'a' });
  await index.indexClosed(closeRound(0)[0]!);
  // The muxer's buffered tail lands in segment 0 after its announcement.
  grow(0);
  await index.indexClosed(closeRound(1)[0]!);
  t.same(sizes(), [188 * 11, 188 * 10], 'segment 0 re-measured when segment 1 was announced');
  grow(1);
  index.endRun(1, Date.now());
  t.same(sizes(), [188 * 11, 188 * 11], 'the last segment re-measured when its ffmpeg exited');
  t.equal(statSync(layout.absolute(pathOf(1))).size, 188 * 11);
});
