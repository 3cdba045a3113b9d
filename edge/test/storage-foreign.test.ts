// Someone else's files on the data disk: a real filesystem of a fixed size
// (a tmpfs mounted for the test), real segment files, real SQLite, the real
// edge with its HTTP API and the real doctor.
import t from 'tap';
import { statfsSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { Retention, defaultRetentionSettings } from '../src/storage/retention.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { statfsDiskUsage } from '../src/storage/disk.ts';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { createLogger } from '../src/log.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { fakeSegment } from './helpers/segments.ts';
import { smallDisk, smallDiskProblem } from './helpers/small-disk.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { waitFor } from './helpers/media.ts';

const MiB = 1024 ** 2;
const DISK = 64 * MiB;
const problem = smallDiskProblem();
const opts = problem ? { skip: `needs a tmpfs mount: ${problem}` } : {};

function free(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function capture() {
  const lines: Array<Record<string, any>> = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } as never });
  return { log, lines };
}

t.test('a disk filled by another program: retention reacts within seconds, not at the next pass, and says whose files', opts, async (t) => {
  const dir = smallDisk(t, DISK);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  t.teardown(() => db.close());
  const time = fakeClock(Date.UTC(2026, 10, 29, 12, 0, 0));
  const index = new SegmentIndex({ db, layout, clock: time.clock, log: capture().log });
  const cam = new CameraRegistry({ db, clock: time.clock }).add({ name: 'gate', mainUrl: 'rtsp://127.0.0.1/gate' });
  const start = time.clock.now();
  for (let k = 0; k < 40; k++) fakeSegment(layout, index, cam.id, start - 3_600_000 + k * 60_000, 60_000, MiB);
  const { log, lines } = capture();
  const retention = new Retention({ db, layout, clock: time.clock, log, diskUsage: statfsDiskUsage, settings: { ...defaultRetentionSettings, minFreeBytes: 0, minFreeRatio: 0.1 } });
  retention.start();
  t.teardown(() => retention.stop());
  const reserve = 0.1 * DISK;
  t.ok(free(dir) > reserve, 'room to spare before');

  writeFileSync(join(dir, 'backup.tar'), Buffer.alloc(20 * MiB, 1));
  const shortfall = reserve - free(dir);
  t.ok(shortfall > 0, `another program's 20 MiB take the disk under the watermark (${(free(dir) / MiB).toFixed(1)} MiB free)`);
  await time.tick(3_000);
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n;
  await waitFor('retention to delete footage', () => count() < 40, 20_000);
  t.ok(time.clock.now() - start < defaultRetentionSettings.intervalMs, `reacted after ${(time.clock.now() - start) / 1000} s of fake time, before the 60 s pass`);
  await waitFor('the watermark restored', () => free(dir) >= reserve, 20_000);
  t.ok(40 - count() <= Math.ceil(shortfall / MiB) + 1, `only the shortfall (${(shortfall / MiB).toFixed(1)} MiB) went: ${40 - count()} segments`);

  // Logged once the loop's last deletion is done: the files (and so the watermark) can come back first.
  const warn = await waitFor('the warning about other programs', () => lines.find((l) => l.level === 40 && /because other programs use/.test(l.msg)), 20_000);
  t.ok(warn, 'a warning, not an info line');
  t.match(warn, { msg: /^deleting \d footage segments \([\d.]+ GiB\) because other programs use 0\.02\d GiB of the disk$/, deletedSegments: 40 - count() });
  t.ok(warn!.foreignBytes >= 20 * MiB && warn!.foreignBytes < 21 * MiB, `others: ${warn!.foreignBytes} bytes`);
});

t.test('the edge reports others’ files as an event, on /api/health and in doctor; the alarm clears when they go', opts, async (t) => {
  const dir = smallDisk(t, DISK);
  const yaml = `data_dir: ${dir}\nlog_level: warn\nretention:\n  min_free_bytes: 0\n  min_free_percent: 10\nhttp:\n  host: 127.0.0.1\n  port: 0\n`;
  const cfg = join(dir, '..', `${dir.split('/').pop()}.yaml`);
  writeFileSync(cfg, yaml);
  t.teardown(() => unlinkSync(cfg));
  const { log, lines } = capture();
  const edge = new Edge({ config: parseConfig(yaml), log });
  await edge.start();
  t.teardown(() => edge.stop());
  const cam = edge.parts.registry.add({ name: 'gate', mainUrl: 'rtsp://127.0.0.1:1/gate', enabled: false });
  const now = Date.now();
  // An hour of 1 MiB-a-minute footage: 40 MiB, and 1.4 GiB a day: the 7 days do not fit a 64 MiB disk anyway.
  for (let k = 0; k < 40; k++) fakeSegment(edge.layout, edge.parts.index, cam.id, now - 3_600_000 + k * 60_000, 60_000, MiB);
  await edge.storage.check();
  const alarms = () => edge.parts.events.list().filter((e) => e.type.startsWith('storage.foreign'));
  t.same(alarms(), [], 'cunbox’s own files are not someone else’s');

  writeFileSync(join(dir, 'junk.bin'), Buffer.alloc(20 * MiB, 1));
  // The free-space watch (every 2 s) runs retention, which has the disk judged again.
  await waitFor('the foreign-usage event', () => alarms().length > 0, 20_000);
  const [ev] = alarms();
  t.match(ev, { type: 'storage.foreign_usage', cameraId: null, detail: { foreignBytes: Number, cunboxBytes: Number, totalBytes: DISK, message: /^other programs use 0\.02\d GiB of the data disk/ } });
  t.ok(ev!.detail.foreignBytes as number >= 20 * MiB && (ev!.detail.foreignBytes as number) < 21 * MiB, `others: ${ev!.detail.foreignBytes} bytes`);
  t.ok(lines.some((l) => l.level === 40 && l.event === 'storage.foreign_usage'), 'logged at warn');

  const health = (await (await fetch(`http://127.0.0.1:${edge.http!.address.port}/api/health`)).json()) as { storage: { othersBytes: number; cunboxBytes: number } };
  t.match(health, { status: 'warn', storage: { totalBytes: DISK, othersBytes: Number, cunboxBytes: Number }, warnings: [{ code: 'storage.foreign_usage' }, { code: 'storage.retention_short' }] });
  t.ok(health.storage.othersBytes >= 20 * MiB && health.storage.othersBytes < 21 * MiB, `health: others ${health.storage.othersBytes}`);
  t.ok(health.storage.cunboxBytes >= 30 * MiB, `health: cunbox ${health.storage.cunboxBytes}`);

  const doctor = await cli(['doctor', '--config', cfg, '--json']);
  const disk = (JSON.parse(doctor.out) as Array<{ id: string; verdict: string; message: string; hint: string; details: string[] }>).find((c) => c.id === 'disk')!;
  t.match(disk, { verdict: 'warn', message: /^other programs use 0\.02\d GiB of the data disk \(cunbox 0\.0\d\d GiB\), and retention deletes footage to make room for them$/, hint: /du -xh/ });
  t.match(disk.details, [/^the disk holds/], 'the consequence as a detail');

  unlinkSync(join(dir, 'junk.bin'));
  await edge.storage.check();
  t.same(alarms().map((e) => e.type), ['storage.foreign_usage', 'storage.foreign_usage_cleared']);
});
