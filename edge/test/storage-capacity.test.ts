// Can the disk hold what retention promises? Real SQLite files, real segment
// files (sparse, so a test disk can carry footage at bitrates no disk here
// could hold), the real CLI, a real edge with its HTTP API.
import t from 'tap';
import type { Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, migrate } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { spaceHorizon, WARNING_TEXT } from '../src/storage/capacity.ts';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { translator } from '../src/cli/i18n.ts';
import { sparseSegment } from './helpers/segments.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

const HOUR = 3_600_000;
const GB = 1e9;
/** An hour of footage far larger than any disk here holds (the file is sparse). */
const HOUR_BYTES = 200 * GB;

t.test('the space rule cuts every camera whose retention is longer at one horizon', async (t) => {
  const perDay = 10 * GB;
  t.equal(spaceHorizon([{ bytesPerDay: perDay, requiredDays: 30 }, { bytesPerDay: perDay, requiredDays: 7 }], 200 * GB), 13, '7 days of both (140 GB), then the 30-day camera alone for 6 more');
  t.equal(spaceHorizon([{ bytesPerDay: perDay, requiredDays: 30 }, { bytesPerDay: perDay, requiredDays: 7 }], 370 * GB), null, 'everything fits');
  t.equal(spaceHorizon([{ bytesPerDay: 0, requiredDays: 30 }], 0), null, 'no bitrate measured: nothing to judge');
  t.equal(spaceHorizon([{ bytesPerDay: perDay, requiredDays: 30 }], 5 * GB), 0.5);
});

t.test('segment totals follow the index: filled for an existing index, kept through inserts, deletions and resizes', async (t) => {
  const file = join(tmpDir(t), 'cunbox.db');
  const before = migrations.filter((m) => m.name !== 'recording/003-segment-totals');
  const db = openDatabase(file, { migrations: before });
  t.teardown(() => db.close());
  const insert = db.prepare('INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, run_id, seq, recovered, indexed_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, 0, 0)');
  for (let k = 0; k < 5; k++) for (const cam of [1, 2]) insert.run(cam, k * 60_000, (k + 1) * 60_000, 1000 * cam + k, `recordings/${cam}/${k}.ts`);
  const truth = () => db.prepare('SELECT camera_id, COUNT(*) AS segments, SUM(bytes) AS bytes FROM segments GROUP BY camera_id ORDER BY camera_id').all();
  const totals = () => db.prepare('SELECT camera_id, segments, bytes FROM segment_totals WHERE segments > 0 ORDER BY camera_id').all();
  migrate(db, migrations);
  t.same(totals(), truth(), 'filled from the rows already there');
  t.same(truth(), [{ camera_id: 1, segments: 5, bytes: 5010 }, { camera_id: 2, segments: 5, bytes: 10010 }]);
  insert.run(3, 0, 60_000, 7, 'recordings/3/0.ts');
  db.prepare('DELETE FROM segments WHERE camera_id = 1 AND start_ms < 120000').run();
  db.prepare('UPDATE segments SET bytes = 1 WHERE camera_id = 2 AND start_ms = 0').run();
  db.prepare("UPDATE segments SET camera_id = 3 WHERE path = 'recordings/2/4.ts'").run();
  t.same(totals(), truth(), 'kept by every change');
});

/** A data directory with two cameras that recorded one (sparse, huge) hour each. */
function boxWithFootage(t: Test, yaml: string) {
  const dir = tmpDir(t);
  const data = join(dir, 'data');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `data_dir: ${data}\n${yaml}`);
  const layout = new Layout(data);
  const db = openDatabase(layout.database);
  const registry = new CameraRegistry({ db, clock: systemClock });
  const gate = registry.add({ name: '东口', mainUrl: 'rtsp://127.0.0.1/gate', retentionDays: 30 });
  const yard = registry.add({ name: 'yard', mainUrl: 'rtsp://127.0.0.1/yard' });
  const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
  const now = Date.now();
  for (const c of [gate, yard]) sparseSegment(layout, index, c.id, now - 2 * HOUR, HOUR, HOUR_BYTES);
  db.close();
  return { cfg, data, gate, yard };
}

t.test('storage status: each camera’s required days against the days the disk holds, and a warning', async (t) => {
  const box = boxWithFootage(t, 'retention:\n  min_days: 10\n  min_free_bytes: 0\n  min_free_percent: 0\n');
  const r = await cli(['storage', 'status', '--config', box.cfg, '--json']);
  t.equal(r.code, 0, 'exit 0', { err: r.err });
  const st = JSON.parse(r.out);
  const by = Object.fromEntries(st.cameras.map((c: { cameraId: number }) => [c.cameraId, c]));
  t.equal(by[box.gate.id].requiredDays, 30, 'its own retention_days');
  t.equal(by[box.yard.id].requiredDays, 10, 'the default 7 raised to the legal floor of 10');
  t.ok(st.horizonDays > 0 && st.horizonDays < 1, `the disk holds ${st.horizonDays} days`);
  for (const c of st.cameras) t.equal(c.holdsDays, st.horizonDays, `camera ${c.cameraId} is cut at the horizon`);
  t.ok(Math.abs(st.bytesPerDay / (2 * 24 * HOUR_BYTES) - 1) < 1e-6, `both cameras at their measured rate: ${st.bytesPerDay} bytes a day`);
  t.match(st.warnings, [{ code: 'storage.retention_short', horizonDays: Number, cameras: [{ cameraId: box.gate.id, requiredDays: 30 }, { cameraId: box.yard.id, requiredDays: 10 }] }]);
  t.match(st.warnings[0].message, /^the disk holds 0\.\d days of footage at the current bitrate; cameras that must keep more \(required days\): #1 东口 30, #2 yard 10$/);

  const zh = await cli(['storage', 'status', '--config', box.cfg], { LANG: 'zh_CN.UTF-8' });
  t.equal(zh.code, 0);
  t.match(zh.out, /应存天数 │ 可存天数 │\n.*│ 30 +│ 0\.\d +│\n.*│ 10 +│ 0\.\d +│/, 'the table shows required and held days');
  // The warning in full on one line (the default output wraps it within 80 columns).
  const wide = await cli(['storage', 'status', '--config', box.cfg, '--wide'], { LANG: 'zh_CN.UTF-8' });
  t.match(wide.out, /⚠ 按当前码率磁盘只能保存 0\.\d 天录像；需要保存更久的摄像头（应存天数）：#1 东口 30, #2 yard 10/);
  t.match(zh.out, /已用：cunbox [\d.]+ \S+，其他程序/);
});

t.test('storage status: enough disk for the required days, no warning', async (t) => {
  const box = boxWithFootage(t, 'retention:\n  min_free_bytes: 0\n  min_free_percent: 0\n');
  // The same footage, but the cameras now need only minutes: a hundredth of a day each
  // (96 GB at this bitrate: less than the footage itself, whatever the disk has free).
  const db = openDatabase(new Layout(box.data).database);
  db.prepare('UPDATE cameras SET retention_days = 0.01').run();
  db.close();
  const st = JSON.parse((await cli(['storage', 'status', '--config', box.cfg, '--json'])).out);
  t.equal(st.horizonDays, null, 'every camera keeps its days');
  t.same(st.warnings, []);
  t.same(st.cameras.map((c: { holdsDays: number }) => c.holdsDays), [0.01, 0.01]);
});

t.test('doctor warns when the disk cannot hold the retention period', async (t) => {
  const box = boxWithFootage(t, 'retention:\n  min_days: 30\n');
  const r = await cli(['doctor', '--config', box.cfg, '--json']);
  const disk = (JSON.parse(r.out) as Array<{ id: string; verdict: string; message: string; hint: string }>).find((c) => c.id === 'disk')!;
  t.equal(disk.verdict, 'warn');
  t.match(disk.message, /^the disk holds 0\.\d days of footage at the current bitrate; cameras that must keep more \(required days\): #1 东口 30, #2 yard 30$/);
  t.match(disk.hint, /retention\.min_days/);
  const zh = translator('zh');
  for (const text of Object.values(WARNING_TEXT)) {
    t.not(zh(text.message), text.message, `translated: ${text.message}`);
    t.not(zh(text.hint), text.hint, `translated: ${text.hint}`);
  }
});

t.test('the edge raises the alarm once as an event, shows it on /api/health, and clears it', async (t) => {
  const box = boxWithFootage(t, 'retention:\n  min_days: 30\n  min_free_bytes: 0\n  min_free_percent: 0\nhttp:\n  host: 127.0.0.1\n  port: 0\n');
  const config = parseConfig(`data_dir: ${box.data}\nretention:\n  min_days: 30\n  min_free_bytes: 0\n  min_free_percent: 0\nhttp:\n  host: 127.0.0.1\n  port: 0\n`);
  let edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  const alarms = () => edge.parts.events.list().filter((e) => e.type.startsWith('storage.'));
  t.match(alarms(), [{ type: 'storage.retention_short', cameraId: null, detail: { horizonDays: Number, cameras: [{ cameraId: box.gate.id, requiredDays: 30 }, { cameraId: box.yard.id, requiredDays: 30 }] } }], 'raised at start-up');
  const held = (alarms()[0]!.detail.cameras as Array<{ holdsDays: number }>).map((c) => c.holdsDays);
  t.ok(held.every((d) => d > 0 && d < 1), `days held per camera: ${held.join(', ')}`);

  const res = await fetch(`http://127.0.0.1:${edge.http!.address.port}/api/health`);
  t.equal(res.status, 200, 'no login needed');
  const health = await res.json();
  t.match(health, {
    status: 'warn',
    storage: { totalBytes: Number, freeBytes: Number, cunboxBytes: Number, othersBytes: Number, footageBytes: 2 * HOUR_BYTES, horizonDays: Number, cameras: [{ cameraId: box.gate.id, requiredDays: 30, holdsDays: Number }, { cameraId: box.yard.id, requiredDays: 30 }] },
    warnings: [{ code: 'storage.retention_short', message: /the disk holds 0\.\d days .*: #1 30, #2 30$/ }],
  });
  t.notMatch(JSON.stringify(health), /东口|yard/, 'no camera names without a login');

  await edge.storage.check();
  await edge.storage.check();
  t.equal(alarms().length, 1, 'checking again repeats nothing');

  await edge.stop();
  edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.equal(alarms().length, 1, 'a restart does not raise it again');

  // The big footage goes (retention, an operator): the disk holds the days again.
  edge.parts.index.deleteRows(edge.parts.index.all().map((r) => r.id), { reason: 'test' });
  await edge.retention.sweep();
  await edge.storage.check();
  t.match(alarms().map((e) => e.type), ['storage.retention_short', 'storage.retention_short_cleared']);
  const after = await (await fetch(`http://127.0.0.1:${edge.http!.address.port}/api/health`)).json();
  t.match(after, { status: 'ok', warnings: [] });
});
