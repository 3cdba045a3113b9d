// Times people read and type are in the box's zone (Asia/Shanghai unless the
// config or TZ says otherwise); storage stays UTC. Real ICU, real CLI, real SQLite.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boxTimeZone, formatLocal, formatW3c, parseLocalTime } from '../src/local-time.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

const SH = 'Asia/Shanghai';
// 2026-11-30 09:00:00 UTC = 17:00 in Shanghai.
const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);

t.test('formatLocal: the wall clock of the zone, no T, no Z', async (t) => {
  t.equal(formatLocal(Date.UTC(2026, 10, 30, 9, 5, 3), SH), '2026-11-30 17:05:03');
  t.equal(formatLocal(Date.UTC(2026, 10, 30, 16, 0, 0), SH), '2026-12-01 00:00:00', 'crosses midnight into the next local day');
  t.equal(formatLocal(Date.UTC(2026, 6, 1, 12, 0, 0), 'Europe/Berlin'), '2026-07-01 14:00:00', 'summer time');
  t.equal(formatLocal(Date.UTC(2026, 0, 1, 12, 0, 0), 'Europe/Berlin'), '2026-01-01 13:00:00', 'winter time');
});

t.test('parseLocalTime: what a technician types', async (t) => {
  const p = (s: string, zone = SH) => parseLocalTime(s, { zone, nowMs: NOW, name: '--from' });
  t.equal(p('17:00'), Date.UTC(2026, 10, 30, 9, 0, 0), '17:00 is today, local');
  t.equal(p('8:30'), Date.UTC(2026, 10, 30, 0, 30, 0), 'one-digit hour');
  t.equal(p('17:00:30'), Date.UTC(2026, 10, 30, 9, 0, 30));
  t.equal(p('2026-11-29 08:00'), Date.UTC(2026, 10, 29, 0, 0, 0));
  t.equal(p('2026-11-29T08:00'), Date.UTC(2026, 10, 29, 0, 0, 0));
  t.equal(p('2026-11-29 08:00:15'), Date.UTC(2026, 10, 29, 0, 0, 15));
  t.equal(p('2026-11-29'), Date.UTC(2026, 10, 28, 16, 0, 0), 'a date is its local midnight');
  t.equal(p('2026-11-29T08:00:00+08:00'), Date.UTC(2026, 10, 29, 0, 0, 0), 'an offset wins over the zone');
  t.equal(p('2026-11-29T00:00:00Z'), Date.UTC(2026, 10, 29, 0, 0, 0));
  t.equal(p('2026-11-29 08:00:00+0800'), Date.UTC(2026, 10, 29, 0, 0, 0));
  t.equal(p('-2h'), NOW - 2 * 3_600_000);
  t.equal(p('-30m'), NOW - 30 * 60_000);
  t.equal(p('-1d'), NOW - 86_400_000);
  t.equal(p('now'), NOW);
  t.equal(p(String(NOW)), NOW, 'epoch milliseconds still work');
  t.equal(p('14:00', 'Europe/Berlin'), Date.UTC(2026, 10, 30, 13, 0, 0), 'another zone');
  t.equal(p('2026-07-01 14:00', 'Europe/Berlin'), Date.UTC(2026, 6, 1, 12, 0, 0), 'summer offset of that day, not of today');
  for (const bad of ['17', '25:00', '17:60', '2026-02-30 08:00', '2026-13-01', 'yesterday', '+2h', '17:00 PM', '']) {
    t.throws(() => p(bad), { code: 'INVALID_RANGE', template: '{name}: cannot read "{input}" as a time; write one of {examples}' }, `refused: "${bad}"`);
  }
});

t.test('boxTimeZone: TZ (when it names a zone), else the config, else Asia/Shanghai', async (t) => {
  t.equal(boxTimeZone(undefined, {}), SH);
  t.equal(boxTimeZone('UTC', {}), 'UTC');
  t.equal(boxTimeZone('UTC', { TZ: 'Europe/Berlin' }), 'Europe/Berlin');
  t.equal(boxTimeZone('UTC', { TZ: ':Europe/Berlin' }), 'Europe/Berlin');
  t.equal(boxTimeZone('UTC', { TZ: 'not/a-zone' }), 'UTC');
});

/** Today's date in Shanghai, as the CLI will read "00:00". */
function shanghaiToday(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
}

t.test('holds: --from 00:00 is accepted and read in local time; tables show local time without Z', async (t) => {
  const dir = tmpDir(t);
  const add = await cli(['cameras', 'add', '--data-dir', dir, '--name', '东口', '--rtsp', 'rtsp://127.0.0.1:9/main', '--no-probe']);
  t.equal(add.code, 0, 'camera', { err: add.err });
  // 00:00 today has always passed; the start may not lie in the future.
  const hold = await cli(['holds', 'add', '--data-dir', dir, '--camera', '东口', '--from', '00:00', '--to', '00:10', '--reason', '随手拍 #12'], { LANG: 'zh_CN.UTF-8' });
  t.equal(hold.code, 0, 'local clock times accepted', { err: hold.err });
  const day = shanghaiToday();
  const list = JSON.parse((await cli(['holds', 'list', '--data-dir', dir, '--json'])).out) as Array<{ startMs: number; endMs: number }>;
  t.equal(list[0]!.startMs, Date.parse(`${day}T00:00:00+08:00`), 'read as Shanghai time, the default zone');
  t.equal(list[0]!.endMs, Date.parse(`${day}T00:10:00+08:00`));

  const wide = await cli(['holds', 'list', '--data-dir', dir, '--wide']);
  t.match(wide.out, `${day} 00:00:00`);
  t.match(wide.out, `${day} 00:10:00`);
  t.notMatch(wide.out, /\d{2}:\d{2}:\d{2}Z/, 'no UTC "Z" times');
  const narrow = await cli(['holds', 'list', '--data-dir', dir]);
  t.match(narrow.out, `${day.slice(5)} 00:00`, 'narrow: month-day hour:minute');

  const berlin = await cli(['holds', 'list', '--data-dir', dir, '--wide'], { TZ: 'Europe/Berlin' });
  t.match(berlin.out, formatLocal(list[0]!.startMs, 'Europe/Berlin'), 'TZ is honoured');

  const bad = await cli(['holds', 'add', '--data-dir', dir, '--camera', '东口', '--from', '17点', '--to', '18:00', '--reason', 'x'], { LANG: 'zh_CN.UTF-8' });
  t.equal(bad.code, 64);
  t.match(bad.err, /--from：无法把“17点”识别为时间；请写成以下格式之一：17:00/);
  const badEn = await cli(['holds', 'add', '--data-dir', dir, '--camera', '东口', '--from', '17h', '--to', '18:00', '--reason', 'x']);
  t.match(badEn.err, /--from: cannot read "17h" as a time; write one of 17:00, 17:00:30, 2026-11-30 17:00/);
  const order = await cli(['holds', 'add', '--data-dir', dir, '--camera', '东口', '--from', `${day} 00:10`, '--to', `${day} 00:00`, '--reason', 'x'], { LANG: 'zh_CN.UTF-8' });
  t.equal(order.code, 64);
  t.match(order.err, `结束时间（${day} 00:00:00）须晚于开始时间（${day} 00:10:00）`, 'range errors in local time and Chinese');
});

t.test('config timezone: used when TZ is not set; a wrong zone is a config error naming its line', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `data_dir: ${JSON.stringify(join(dir, 'data'))}\ntimezone: America/New_York\n`);
  await cli(['cameras', 'add', '--config', cfg, '--name', 'gate', '--rtsp', 'rtsp://127.0.0.1:9/main', '--no-probe']);
  const hold = await cli(['holds', 'add', '--config', cfg, '--camera', 'gate', '--from', '-2h', '--to', '-1h', '--reason', 'x', '--json']);
  t.equal(hold.code, 0, { err: hold.err });
  const h = JSON.parse(hold.out) as { startMs: number };
  const listed = await cli(['holds', 'list', '--config', cfg, '--wide']);
  t.match(listed.out, formatLocal(h.startMs, 'America/New_York'));

  writeFileSync(cfg, `data_dir: ${JSON.stringify(join(dir, 'data'))}\ntimezone: Mars/Olympus\n`);
  const bad = await cli(['holds', 'list', '--config', cfg]);
  t.equal(bad.code, 78);
  t.match(bad.err, /config\.yaml:2:\d+ timezone: "Mars\/Olympus" is not a time zone/);
  const zh = await cli(['holds', 'list', '--config', cfg], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.err, /^错误: .*config\.yaml：有 1 处问题\n/, 'the config error in Chinese, its detail naming the line');
});

t.test('formatW3c: the wall clock with the zone’s offset at that instant', async (t) => {
  const at = Date.UTC(2026, 4, 11, 1, 0, 0);
  t.equal(formatW3c(at, 'Asia/Shanghai'), '2026-05-11T09:00:00+08:00');
  t.equal(formatW3c(at, 'UTC'), '2026-05-11T01:00:00+00:00');
  t.equal(formatW3c(at, 'America/New_York'), '2026-05-10T21:00:00-04:00', 'summer time');
  t.equal(formatW3c(Date.UTC(2026, 0, 11, 1, 0, 0), 'America/New_York'), '2026-01-10T20:00:00-05:00', 'winter time');
  t.equal(formatW3c(at, 'Asia/Kolkata'), '2026-05-11T06:30:00+05:30', 'half-hour offsets');
  for (const zone of ['Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham']) {
    t.equal(Date.parse(formatW3c(at + 123, zone)), at, `${zone}: reads back as the same second`);
  }
});
