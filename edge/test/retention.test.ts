import t from 'tap';
import type { Test } from 'tap';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { Retention, defaultRetentionSettings, type RetentionSettings } from '../src/storage/retention.ts';
import { HoldStore } from '../src/storage/holds.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { silentLogger } from '../src/log.ts';
import type { DiskUsage } from '../src/storage/disk.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { fakeSegment } from './helpers/segments.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function setup(t: Test, settings: Partial<RetentionSettings> = {}, diskUsage?: DiskUsage) {
  const dir = tmpDir(t);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  t.teardown(() => db.close());
  const time = fakeClock(Date.UTC(2026, 10, 29, 12, 0, 0));
  const index = new SegmentIndex({ db, layout, clock: time.clock, log: silentLogger() });
  const registry = new CameraRegistry({ db, clock: time.clock });
  const holds = new HoldStore({ db, clock: time.clock });
  const retention = new Retention({
    db,
    layout,
    clock: time.clock,
    log: silentLogger(),
    settings: { ...defaultRetentionSettings, minFreeBytes: 0, minFreeRatio: 0, ...settings },
    diskUsage: diskUsage ?? (async () => ({ totalBytes: 1e12, freeBytes: 1e12 })),
  });
  return { dir, layout, db, time, index, registry, holds, retention };
}

const rows = (db: ReturnType<typeof openDatabase>) =>
  db.prepare('SELECT camera_id, start_ms, path FROM segments ORDER BY camera_id, start_ms').all() as Array<{ camera_id: number; start_ms: number; path: string }>;

t.test('age: each camera keeps its retention; held footage stays', async (t) => {
  const s = setup(t);
  const now = s.time.clock.now();
  const c1 = s.registry.add({ name: 'a', mainUrl: 'rtsp://127.0.0.1/a' });
  const c2 = s.registry.add({ name: 'b', mainUrl: 'rtsp://127.0.0.1/b', retentionDays: 3 });
  for (let d = 10; d >= 1; d--) {
    fakeSegment(s.layout, s.index, c1.id, now - d * DAY, HOUR, 1000);
    fakeSegment(s.layout, s.index, c2.id, now - d * DAY, HOUR, 1000);
  }
  const held = now - 9 * DAY;
  s.holds.add({ cameraId: c1.id, startMs: held + 10 * 60_000, endMs: held + 20 * 60_000, reason: '随手拍 #12 evidence' });
  const result = await s.retention.runOnce();
  const left = rows(s.db);
  const days = (cam: number) => left.filter((r) => r.camera_id === cam).map((r) => Math.round((now - r.start_ms) / DAY));
  t.same(days(c1.id), [9, 7, 6, 5, 4, 3, 2, 1], 'camera a: 7 days plus the held hour of day 9');
  t.same(days(c2.id), [3, 2, 1], 'camera b: its own 3 days');
  t.equal(result.byAge, 9);
  const files = readdirSync(join(s.dir, 'recordings'), { recursive: true }).filter((f) => String(f).endsWith('.ts'));
  t.equal(files.length, left.length, 'every deleted row took its file with it');
  t.equal((s.db.prepare('SELECT COUNT(*) AS n FROM garbage').get() as { n: number }).n, 0, 'garbage emptied');
});

t.test('age: retention.min_days is a floor no camera goes under', async (t) => {
  const s = setup(t, { minDays: 5 });
  const now = s.time.clock.now();
  const short = s.registry.add({ name: 'short', mainUrl: 'rtsp://127.0.0.1/s', retentionDays: 2 });
  const long = s.registry.add({ name: 'long', mainUrl: 'rtsp://127.0.0.1/l', retentionDays: 8 });
  for (let d = 10; d >= 1; d--) for (const c of [short, long]) fakeSegment(s.layout, s.index, c.id, now - d * DAY, HOUR, 1000);
  await s.retention.runOnce();
  const days = (cam: number) => rows(s.db).filter((r) => r.camera_id === cam).map((r) => Math.round((now - r.start_ms) / DAY));
  t.same(days(short.id), [5, 4, 3, 2, 1], 'its 2 days raised to the floor of 5');
  t.same(days(long.id), [8, 7, 6, 5, 4, 3, 2, 1], 'a longer retention of its own stays');
});

t.test('watermark by quota: oldest across cameras first, held ranges kept', async (t) => {
  const s = setup(t, { maxBytes: 10_000 });
  const now = s.time.clock.now();
  const cams = [1, 2, 3].map((i) => s.registry.add({ name: `c${i}`, mainUrl: `rtsp://127.0.0.1/${i}` }));
  // Interleaved: camera i's k-th segment starts at k hours + i minutes.
  for (let k = 0; k < 6; k++) for (const c of cams) fakeSegment(s.layout, s.index, c.id, now - DAY + k * HOUR + c.id * 60_000, HOUR, 1000);
  s.holds.add({ cameraId: cams[1]!.id, startMs: now - DAY, endMs: now - DAY + 5 * 60_000, reason: 'export #3' });
  const before = rows(s.db);
  await s.retention.runOnce();
  const after = rows(s.db);
  const total = (s.db.prepare('SELECT SUM(bytes) AS b FROM segments').get() as { b: number }).b;
  t.ok(total <= 10_000, `recordings ${total} bytes ≤ quota`);
  const removed = before.filter((r) => !after.some((a) => a.path === r.path)).map((r) => r.start_ms);
  const keptStarts = after.map((r) => r.start_ms);
  const heldRow = before.find((r) => r.camera_id === cams[1]!.id && r.start_ms === now - DAY + 2 * 60_000)!;
  t.ok(after.some((r) => r.path === heldRow.path), 'the held segment (oldest of camera 2) survived');
  const oldestKeptUnheld = Math.min(...after.filter((r) => r.path !== heldRow.path).map((r) => r.start_ms));
  t.ok(Math.max(...removed) < oldestKeptUnheld, 'everything removed is older than everything kept');
  t.equal(removed.length, before.length - keptStarts.length);
  for (const r of before) t.equal(existsSync(s.layout.absolute(r.path)), after.some((a) => a.path === r.path), `file matches row: ${r.path}`);
});

t.test('watermark by free space: deletes until the filesystem has its minimum free', async (t) => {
  // A 30,000-byte "disk" whose free space is what our files leave.
  let dir = '';
  const disk: DiskUsage = async () => {
    const used = (readdirSync(join(dir, 'recordings'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .reduce((sum, f) => sum + statSync(join(dir, 'recordings', f)).size, 0);
    return { totalBytes: 30_000, freeBytes: 30_000 - used };
  };
  const s = setup(t, { minFreeRatio: 0.5 }, disk);
  dir = s.dir;
  const now = s.time.clock.now();
  const c = s.registry.add({ name: 'c', mainUrl: 'rtsp://127.0.0.1/c' });
  for (let k = 0; k < 25; k++) fakeSegment(s.layout, s.index, c.id, now - DAY + k * 60_000, 60_000, 1000);
  await s.retention.runOnce();
  const free = (await disk('')).freeBytes;
  t.ok(free >= 15_000, `free ${free} ≥ 50 % of 30,000`);
  t.equal(rows(s.db).length, 15, 'exactly the 10 oldest went');
  t.equal(rows(s.db)[0]!.start_ms, now - DAY + 10 * 60_000);
});

t.test('a crash during deletion is replayed at the next pass', async (t) => {
  const s = setup(t);
  const now = s.time.clock.now();
  const c = s.registry.add({ name: 'c', mainUrl: 'rtsp://127.0.0.1/c' });
  const old = [9, 8].map((d) => fakeSegment(s.layout, s.index, c.id, now - d * DAY, HOUR, 500));
  const fresh = fakeSegment(s.layout, s.index, c.id, now - HOUR, HOUR, 500);
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/retention-crash.ts'), s.dir, String(now)], { encoding: 'utf8' });
  t.equal(child.signal, 'SIGKILL', `fixture died mid-deletion ${child.stderr}`);
  const garbage = (s.db.prepare('SELECT path FROM garbage ORDER BY path').all() as Array<{ path: string }>).map((r) => r.path);
  t.same(garbage, [...old].sort(), 'rows moved to garbage before the crash');
  t.ok(old.every((p) => existsSync(s.layout.absolute(p))), 'files not yet unlinked');
  t.same(rows(s.db).map((r) => r.path), [fresh], 'index no longer lists them');
  await s.retention.runOnce();
  t.ok(old.every((p) => !existsSync(s.layout.absolute(p))), 'replay unlinked the files');
  t.equal((s.db.prepare('SELECT COUNT(*) AS n FROM garbage').get() as { n: number }).n, 0);
  t.ok(existsSync(s.layout.absolute(fresh)));
});

t.test('holds: validation and release', async (t) => {
  const s = setup(t);
  t.throws(() => s.holds.add({ cameraId: 1, startMs: 10, endMs: 5, reason: 'x' }), { code: 'INVALID_INPUT' });
  t.throws(() => s.holds.add({ cameraId: 1, startMs: 1, endMs: 5, reason: '  ' }), { code: 'INVALID_INPUT' });
  const h = s.holds.add({ cameraId: 1, startMs: 1, endMs: 5, reason: 'dispute' });
  t.equal(s.holds.list().length, 1);
  s.holds.release(h.id);
  t.equal(s.holds.list().length, 0);
  t.equal(s.holds.list({ includeReleased: true }).length, 1, 'released holds stay for the audit trail');
  t.throws(() => s.holds.release(h.id), { code: 'NOT_FOUND' });
});
