/**
 * The daily backup inside the edge, under fake time: taken at the configured
 * local time, the newest `keep` kept, and a failure recorded as an event and
 * tried again the next day, never thrown at the edge.
 */
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { EventStore } from '../src/events/event-store.ts';
import { silentLogger } from '../src/log.ts';
import { BackupScheduler, nextDailyAt } from '../src/backup/scheduler.ts';
import { listBackups, readManifest } from '../src/backup/manifest.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { waitFor } from './helpers/media.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const HOUR = 3_600_000;

t.test('nextDailyAt: the next time the local clock reads HH:MM', async (t) => {
  const base = new Date(2026, 10, 30, 10, 0, 0).getTime();
  t.equal(nextDailyAt(base, '03:30'), new Date(2026, 11, 1, 3, 30).getTime(), 'tomorrow when today’s has passed');
  t.equal(nextDailyAt(base, '10:00'), new Date(2026, 11, 1, 10, 0).getTime(), 'exactly now: the next one');
  t.equal(nextDailyAt(base, '23:59'), new Date(2026, 10, 30, 23, 59).getTime(), 'later today');
});

t.test('daily at 03:30 local, the newest 3 kept; a failure becomes an event and the next day works', async (t) => {
  const dir = tmpDir(t, 'cunbox-backup-sched-');
  const backups = join(dir, 'backups');
  const config = parseConfig(JSON.stringify({ data_dir: join(dir, 'data'), backup: { dir: backups, keep: 3, daily_at: '03:30' } }));
  const db = openDatabase(join(dir, 'data', 'cunbox.db'));
  t.teardown(() => db.close());
  const { clock, fake } = fakeClock(new Date(2026, 10, 30, 12, 0, 0).getTime());
  const events = new EventStore({ db, clock });
  const scheduler = new BackupScheduler({ config, settings: config.backup!, db, clock, log: silentLogger(), events });
  scheduler.start();
  t.teardown(() => scheduler.stop());

  // Not before 03:30.
  await fake.tickAsync(15 * HOUR + 29 * 60_000);
  t.same(listBackups(backups), [], 'nothing at 03:29');
  // Fake time moves in steps; the backup itself runs on real I/O, so each day waits for it.
  // The next day's timer is set once the backup is done: wait for it before moving time on.
  const day = async (n: number) => {
    await waitFor('the next backup scheduled', () => fake.countTimers() === 1, 10_000);
    await fake.tickAsync(n === 0 ? 60_000 : 24 * HOUR);
  };
  await day(0);
  await waitFor('the first backup', () => listBackups(backups).length === 1, 10_000);
  const first = readManifest(join(backups, listBackups(backups)[0]!));
  const at = new Date(first.createdAt);
  t.same([at.getHours(), at.getMinutes()], [3, 30], 'taken at 03:30 local time');

  for (let i = 1; i <= 4; i++) {
    await day(i);
    await waitFor(`backup of day ${i + 1}`, () => listBackups(backups).at(-1)?.endsWith(`${String(i + 1).padStart(2, '0')}-033000`), 10_000);
  }
  t.same(listBackups(backups), ['cunbox-backup-20261203-033000', 'cunbox-backup-20261204-033000', 'cunbox-backup-20261205-033000'], 'the newest 3 kept');

  // The backup disk goes away (a file where the folder was): logged and recorded, not thrown.
  rmSync(backups, { recursive: true });
  writeFileSync(backups, 'not a folder');
  await day(5);
  await waitFor('the failure recorded', () => events.list({ type: 'backup_failed' }).length === 1, 10_000);
  t.match(events.list({ type: 'backup_failed' })[0]!.detail, { dir: backups, message: /EEXIST|ENOTDIR/ });
  // Mended: the next day's backup is taken.
  rmSync(backups);
  await day(6);
  await waitFor('the backup after the failure', () => listBackups(backups).length === 1, 10_000);
  t.same(listBackups(backups), ['cunbox-backup-20261207-033000']);

  await scheduler.stop();
  t.equal(fake.countTimers(), 0, 'stop clears its timer');
  await fake.tickAsync(48 * HOUR);
  await new Promise((r) => setTimeout(r, 200));
  t.same(listBackups(backups).length, 1, 'nothing after stop');
});

t.test('the edge runs the scheduler when the config has a backup section, and a stop waits for a backup under way', async (t) => {
  const dir = tmpDir(t, 'cunbox-backup-edge-');
  const backups = join(dir, 'backups');
  const config = parseConfig(JSON.stringify({ data_dir: join(dir, 'data'), retention: { min_free_bytes: 0, min_free_percent: 0 }, backup: { dir: backups } }));
  t.same(config.backup, { dir: backups, keep: 7, dailyAt: '03:30' }, 'defaults: keep 7, at 03:30');
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  const running = edge.backup!.runNow();
  await edge.stop();
  t.ok((await running)?.dir, 'the backup under way finished before the database closed');
  t.equal(listBackups(backups).length, 1);
  const without = new Edge({ config: parseConfig(JSON.stringify({ data_dir: join(dir, 'data2'), retention: { min_free_bytes: 0, min_free_percent: 0 } })), log: silentLogger() });
  await without.start();
  t.equal(without.backup, undefined, 'no backup section: no scheduler');
  await without.stop();
});
