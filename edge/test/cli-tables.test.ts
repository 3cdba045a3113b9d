// Every table of the CLI fits an 80-column terminal (Chinese characters are two
// columns wide), even with long Chinese camera names and URLs; --wide prints
// every column in full. Real SQLite, real ffprobe against a closed port.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { SegmentIndex } from '../src/storage/segment-index.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { displayWidth, table, truncateDisplay } from '../src/cli/format.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

const LONG_NAME = '路口卡口-东口-村委会大门对面的高杆摄像头-二号';
const LONG_ZONE = '东口停车场北侧';
const LONG_URL = 'rtsp://127.0.0.1:{port}/Streaming/Channels/101?transportmode=unicast&profile=Profile_1';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function fits(t: Test, out: string, what: string): void {
  const wide = out.split('\n').filter((l) => displayWidth(l) > 80);
  t.same(wide, [], `${what}: every line within 80 columns`);
}

async function box(t: Test) {
  const dir = tmpDir(t);
  const port = await closedPort();
  const url = LONG_URL.replace('{port}', String(port));
  const add = await cli(['cameras', 'add', '--data-dir', dir, '--name', LONG_NAME, '--zone', LONG_ZONE, '--rtsp', url, '--user', 'administrator', '--password', 'pw', '--retention-days', '14', '--no-probe']);
  t.equal(add.code, 0, { err: add.err });
  await cli(['cameras', 'add', '--data-dir', dir, '--name', 'gate', '--rtsp', 'rtsp://127.0.0.1:9/main', '--no-probe']);
  return { dir, url };
}

t.test('cameras list: 80 columns by default in both languages, --wide shows every column', async (t) => {
  const { dir, url } = await box(t);
  for (const LANG of ['zh_CN.UTF-8', 'C']) {
    const r = await cli(['cameras', 'list', '--data-dir', dir], { LANG });
    t.equal(r.code, 0);
    fits(t, r.out, `cameras list (${LANG})`);
    t.match(r.out, /…/, 'the long name or URL is cut with …');
  }
  const zh = await cli(['cameras', 'list', '--data-dir', dir], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.out, /编号.*名称.*区域.*主码流.*启用/, 'the columns a technician needs stay');
  const wide = await cli(['cameras', 'list', '--data-dir', dir, '--wide'], { LANG: 'zh_CN.UTF-8' });
  for (const head of ['编号', '名称', '区域', '主码流', '用户', '启用', '保留天数', '设备']) t.match(wide.out, head, `--wide: ${head}`);
  t.match(wide.out, LONG_NAME, '--wide: the full name');
  t.match(wide.out, url, '--wide: the full URL');
  t.ok(wide.out.split('\n').some((l) => displayWidth(l) > 80), '--wide is wider than 80');
  const json = JSON.parse((await cli(['cameras', 'list', '--data-dir', dir, '--json'])).out) as Array<{ name: string; mainUrl: string }>;
  t.equal(json[0]!.name, LONG_NAME, '--json unchanged: full values');
});

t.test('cameras test: a short table and each problem below it in 80 columns; --wide is the full table', async (t) => {
  const { dir } = await box(t);
  const r = await cli(['cameras', 'test', '--data-dir', dir, '--all', '--probe-seconds', '1'], { LANG: 'zh_CN.UTF-8' });
  t.equal(r.code, 1, 'the cameras are not there', { err: r.err });
  fits(t, r.out, 'cameras test');
  t.match(r.out, /✗ #1 路口卡口.*CAMERA_UNREACHABLE/, 'the failed camera and its code');
  t.match(r.out, /提示: 检查地址和 RTSP 端口/, 'with its hint');
  t.match(r.out, /连接被拒绝：端口不对/, 'the reason ffprobe gave, in Chinese too');
  const wide = await cli(['cameras', 'test', '--data-dir', dir, '--all', '--probe-seconds', '1', '--wide'], { LANG: 'zh_CN.UTF-8' });
  for (const head of ['主码流', '子码流', '摄像头时钟', '处理办法']) t.match(wide.out, head, `--wide: ${head}`);
  t.match(wide.out, LONG_NAME);
});

t.test('storage status, holds list, users list, check and cameras import fit; --wide shows all', async (t) => {
  const { dir, url } = await box(t);
  const layout = new Layout(dir);
  const db = openDatabase(layout.database);
  const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < 3; i++) index.insert({ cameraId: 1, startMs: t0 + i * 60_000, endMs: t0 + (i + 1) * 60_000, bytes: 30_000_000, path: layout.segmentPath(1, t0 + i * 60_000), runId: null, seq: null, recovered: false });
  db.close();
  const zh = { LANG: 'zh_CN.UTF-8' };

  const storage = await cli(['storage', 'status', '--data-dir', dir], zh);
  t.equal(storage.code, 0, { err: storage.err });
  fits(t, storage.out, 'storage status');
  const storageWide = await cli(['storage', 'status', '--data-dir', dir, '--wide'], zh);
  for (const head of ['片段数', '码率', LONG_NAME]) t.match(storageWide.out, head, `storage --wide: ${head}`);

  const hold = await cli(['holds', 'add', '--data-dir', dir, '--camera', '1', '--from', '-50m', '--to', '-40m', '--reason', '派出所调取：东口停车场北侧两车剐蹭，车主报案，编号 2026-1130-0042'], zh);
  t.equal(hold.code, 0, { err: hold.err });
  const holds = await cli(['holds', 'list', '--data-dir', dir], zh);
  fits(t, holds.out, 'holds list');
  const holdsWide = await cli(['holds', 'list', '--data-dir', dir, '--wide'], zh);
  for (const head of ['操作人', '解除时间', '编号 2026-1130-0042']) t.match(holdsWide.out, head, `holds --wide: ${head}`);

  const user = await cli(['users', 'add', '--data-dir', dir, '--username', 'zhang.secretary.east', '--role', 'party_secretary', '--display-name', '张书记（东口村党支部书记兼村委会主任）', '--password', 'long-enough-1'], zh);
  t.equal(user.code, 0, { err: user.err });
  const users = await cli(['users', 'list', '--data-dir', dir], zh);
  fits(t, users.out, 'users list');
  t.match((await cli(['users', 'list', '--data-dir', dir, '--wide'], zh)).out, '张书记（东口村党支部书记兼村委会主任）');

  // A row whose file is gone: check lists it.
  const check = await cli(['check', '--data-dir', dir], zh);
  t.equal(check.code, 1, 'findings');
  fits(t, check.out, 'check');
  t.match(check.out, /missing-file: 有记录没有文件/, 'the finding in Chinese');
  t.match((await cli(['check', '--data-dir', dir, '--wide'], zh)).out, layout.segmentPath(1, t0));

  const csv = join(dir, 'cameras.csv');
  writeFileSync(csv, `name,zone,main\n${LONG_NAME}-三号,${LONG_ZONE},${url.replace('101', '201')}\n`);
  const imp = await cli(['cameras', 'import', csv, '--data-dir', dir, '--probe-seconds', '1'], zh);
  t.equal(imp.code, 1, 'the row fails: nothing answers', { err: imp.err });
  fits(t, imp.out, 'cameras import');
  const impWide = await cli(['cameras', 'import', csv, '--data-dir', dir, '--probe-seconds', '1', '--wide'], zh);
  t.match(impWide.out, `${LONG_NAME}-三号`);
});

t.test('table(): cells cut to their max, columns dropped in order, then cut or wrapped toward their min', async (t) => {
  const rows = [[1, '192.0.2.10:8000', LONG_NAME, 'Hikvision Digital Technology', 'DS-2CD2T47G2-L', 'V5.7.3 build 220112', `#12 ${LONG_NAME}`]];
  const cols = [
    { head: '#' },
    { head: 'address' },
    { head: 'name', max: 16, min: 6 },
    { head: 'manufacturer', max: 12, min: 5 },
    { head: 'model', max: 14, min: 6 },
    { head: 'firmware', max: 12, min: 5 },
    { head: 'added', max: 16, min: 6 },
  ];
  const narrow = table(cols, rows);
  fits(t, narrow, 'discover-shaped table');
  for (const head of ['address', 'name', 'model', 'added']) t.match(narrow, head, `${head} kept`);
  t.match(narrow, '192.0.2.10:8000', 'a column without min is never cut');
  t.ok(displayWidth(table(cols, rows, { wide: true }).split('\n')[0]!) > 80, 'wide: nothing cut');

  const dropping = table([{ head: 'id' }, { head: 'text', wrap: true, min: 10 }, { head: 'extra', drop: 1 }], [[1, 'word '.repeat(30).trim(), 'x'.repeat(40)]]);
  fits(t, dropping, 'wrapping table');
  t.notMatch(dropping, 'extra', 'the droppable column went first');
  t.ok(dropping.split('\n').length > 4, 'the sentence wrapped onto several lines');

  t.equal(truncateDisplay('路口卡口东口', 7), '路口卡…', 'Chinese counts two columns; … one');
  t.equal(truncateDisplay('gate', 7), 'gate');
});
