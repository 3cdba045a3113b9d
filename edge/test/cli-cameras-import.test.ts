// `cameras import` and `export` with 64 simulated cameras: importing twice
// never duplicates, a bad file changes nothing and names every bad line,
// exports round-trip (with and without passwords).
import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { cli, spawnCli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

const CAMERAS = 64;
// 16 at a time: 32 ffprobes reading real-time RTSP beside the simulator starve a loaded 2-core box past the probe's limit.
const FAST = ['--probe-seconds', '2.5', '--parallel', '16'];
let sim: Camsim;
t.before(async () => {
  sim = await startCamsim({ cameras: CAMERAS });
});
t.teardown(() => sim?.stop());

interface Row {
  line: number;
  name: string;
  result: string;
  id: number | null;
  code: string | null;
  message: string | null;
}

const list = async (dir: string) => JSON.parse((await cli(['cameras', 'list', '--data-dir', dir, '--json'])).out) as Array<{ id: number; name: string; zone: string | null; onvifUrl: string | null; mainUrl: string; hasPassword: boolean }>;

t.test('a 64-row CSV imported twice: 64 cameras, no duplicates, ids stable', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'cameras.csv');
  // Half by ONVIF address, half by RTSP URLs; a quoted name with a comma.
  const lines = ['name,zone,onvif,main,sub,user,password'];
  for (const c of sim.cameras) {
    const name = c.index === 7 ? '"东口,北侧"' : `路口-${String(c.index).padStart(2, '0')}`;
    if (c.index % 2 === 0) lines.push(`${name},区${c.index % 4},${c.host}:${c.onvifPort},,,${c.user},${c.password}`);
    else lines.push(`${name},区${c.index % 4},,${c.urls.main},${c.urls.sub},${c.user},${c.password}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);

  const first = await cli(['cameras', 'import', file, '--data-dir', dir, '--json', ...FAST]);
  t.equal(first.code, 0, 'exit 0', { out: first.out.slice(0, 3000), err: first.err.slice(-2000) });
  const rows = JSON.parse(first.out) as Row[];
  t.equal(rows.length, CAMERAS);
  t.ok(rows.every((r) => r.result === 'added'), 'all added');
  t.same(rows.map((r) => r.id), rows.map((_, i) => i + 1), 'ids follow the file');
  t.match(first.err, /\[64\/64\] ✓/, 'progress, one line per camera when not on a terminal');
  t.notMatch(first.out + first.err, new RegExp(`\\b${sim.cameras[9]!.password}\\b`), 'no password in the output');
  const cams = await list(dir);
  t.equal(cams.length, CAMERAS);
  t.match(cams[7], { name: '东口,北侧', zone: '区3', onvifUrl: null, hasPassword: true });
  t.match(cams[8], { name: '路口-08', onvifUrl: `http://127.0.0.1:${sim.cameras[8]!.onvifPort}/onvif/device_service` });

  const second = await cli(['cameras', 'import', file, '--data-dir', dir, '--json', ...FAST]);
  t.equal(second.code, 0, 'exit 0', { err: second.err.slice(-2000) });
  t.ok((JSON.parse(second.out) as Row[]).every((r) => r.result === 'unchanged'), 'second import: all unchanged');
  const after = await list(dir);
  t.equal(after.length, CAMERAS, 'still 64 cameras');
  t.same(after.map((c) => c.id), cams.map((c) => c.id), 'same ids');

  // An edit: a zone changes, one camera renamed in place (same ONVIF address).
  writeFileSync(file, `${lines.join('\n').replace('路口-02,区2', '路口-02,北区').replace('路口-04,区0', '新名字-04,区0')}\n`);
  // Streams were probed twice already; ONVIF is still read for every row.
  const third = await cli(['cameras', 'import', file, '--data-dir', dir, '--no-probe', '--parallel', '32'], { LANG: 'zh_CN.UTF-8' });
  t.equal(third.code, 0, 'exit 0', { err: third.err.slice(-2000) });
  t.match(third.out, /共 64 行：新增 0，更新 2，无变化 62，失败 0/);
  const edited = await list(dir);
  t.equal(edited.length, CAMERAS);
  t.match(edited[2], { id: 3, zone: '北区' });
  t.match(edited[4], { id: 5, name: '新名字-04' });

  t.test('export writes the same format; without secrets no passwords, and re-importing it changes nothing', async (t) => {
    const plain = await cli(['cameras', 'export', '--data-dir', dir]);
    t.equal(plain.code, 0);
    const records = parse(plain.out, { columns: true }) as Array<Record<string, string>>;
    t.equal(records.length, CAMERAS);
    t.same(Object.keys(records[0]!), ['name', 'zone', 'onvif', 'main', 'sub', 'user', 'password']);
    t.ok(records.every((r) => r.password === ''), 'no passwords');
    t.match(records[7], { name: '东口,北侧', onvif: '', main: sim.cameras[7]!.urls.main, user: 'admin' });
    t.match(records[8], { onvif: `127.0.0.1:${sim.cameras[8]!.onvifPort}`, main: sim.cameras[8]!.urls.main });
    const exported = join(dir, 'exported.csv');
    writeFileSync(exported, plain.out);
    const re = await cli(['cameras', 'import', exported, '--data-dir', dir, '--json', '--no-probe', '--parallel', '32']);
    t.equal(re.code, 0, 'the stored passwords are used for rows without one', { err: re.err.slice(-2000) });
    t.ok((JSON.parse(re.out) as Row[]).every((r) => r.result === 'unchanged'));

    const secretFile = join(dir, 'secrets.csv');
    const secret = await cli(['cameras', 'export', '--data-dir', dir, '--with-secrets', '-o', secretFile]);
    t.equal(secret.code, 0);
    t.equal(statSync(secretFile).mode & 0o777, 0o600, 'a file with passwords is readable by its owner only');
    const withPw = parse(readFileSync(secretFile), { columns: true, bom: true }) as Array<Record<string, string>>;
    t.same(withPw.map((r) => r.password), sim.cameras.map((c) => c.password));
  });
});

t.test('a bad file: every bad line named, nothing imported, exit 64', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'bad.csv');
  const c = sim.cameras[0]!;
  writeFileSync(
    file,
    [
      'name,zone,onvif,main,sub,user,password',
      `good,,${c.host}:${c.onvifPort},,,admin,${c.password}`,
      ',,127.0.0.1:80,,,,',
      'nohost,,,,,,',
      'badurl,,,http://127.0.0.1/x,,,',
      'badport,,127.0.0.1:99999,,,,',
      `good,,127.0.0.1:81,,,,`,
      `dup-address,,${c.host}:${c.onvifPort},,,,`,
      'too,many,fields,here,a,b,c,d',
    ].join('\n'),
  );
  const r = await cli(['cameras', 'import', file, '--data-dir', dir]);
  t.equal(r.code, 64);
  t.match(r.err, /bad\.csv: 7 problems; nothing was imported/);
  for (const re of [/line 3: name is empty/, /line 4: give the camera's ONVIF address/, /line 5: main URL: scheme http: is not supported/, /line 6: ONVIF address "127\.0\.0\.1:99999": the port must be 1–65535/, /line 7: name "good" is also on line 2/, /line 8: ONVIF address 127\.0\.0\.1:\d+ is also on line 2/, /line 9: 8 fields, but the header names 7/]) t.match(r.err, re);
  t.same(await list(dir), [], 'nothing imported');
  const zh = await cli(['cameras', 'import', file, '--data-dir', dir], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.err, /发现 7 处问题；未导入任何内容/);
  t.match(zh.err, /第 3 行：名称为空/);
  t.match(zh.err, /第 6 行：ONVIF 地址“127\.0\.0\.1:99999”：端口须在 1–65535 之间/);

  writeFileSync(file, 'naam,zone,onvif\nx,,127.0.0.1\n');
  const header = await cli(['cameras', 'import', file, '--data-dir', dir]);
  t.equal(header.code, 64);
  t.match(header.err, /unknown column "naam"/);
  t.match(header.err, /a "name" column is required/);
  t.equal((await cli(['cameras', 'import', join(dir, 'missing.csv'), '--data-dir', dir])).code, 66, 'a missing file');
});

t.test('a camera that fails is its row\'s result; the others are imported; a spreadsheet file in GB18030 is read', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'excel.csv');
  const [a, b] = [sim.cameras[0]!, sim.cameras[1]!];
  // What Excel on Chinese Windows saves: GB18030 throughout (Node cannot encode it,
  // so the Chinese parts are GB18030 bytes): 名称,区域,onvif地址,用户名,密码 and zones 东口 / 西门.
  const gb = (hex: string) => Buffer.from(hex, 'hex');
  writeFileSync(
    file,
    Buffer.concat([
      gb('c3fbb3c62cc7f8d3f22c6f6e766966b5d8d6b72cd3c3bba7c3fb2cc3dcc2eb'),
      Buffer.from(`\ncam-a,`), gb('b6abbfda'), Buffer.from(`,${a.host}:${a.onvifPort},admin,${a.password}\n`),
      Buffer.from('cam-b,'), gb('cef7c3c5'), Buffer.from(`,${b.host}:${b.onvifPort},admin,wrong-password\n`),
    ]),
  );
  const r = await cli(['cameras', 'import', file, '--data-dir', dir, ...FAST]);
  t.equal(r.code, 1, 'some rows failed');
  t.match(r.out, /cam-a\s*│ ✓ added/);
  t.match(r.out, /cam-b\s*│ ✗ ONVIF_AUTH_FAILED/);
  t.match(r.out, /2 rows: 1 added, 0 updated, 0 unchanged, 1 failed/);
  t.match(r.out, /import the same file again/);
  t.notMatch(r.out + r.err, /wrong-password/);
  t.match(await list(dir), [{ name: 'cam-a', zone: '东口' }]);
  t.equal((await list(dir)).length, 1);
});

t.test('a file with mixed line endings (header LF, rows CR LF): the passwords reach ONVIF without a CR, lines are the file\'s', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'mixed.csv');
  const [a, b] = [sim.cameras[4]!, sim.cameras[5]!];
  writeFileSync(file, `name,zone,onvif,main,sub,user,password\ncam-a,,${a.host}:${a.onvifPort},,,admin,${a.password}\r\ncam-b,,${b.host}:${b.onvifPort},,,admin,${b.password}\r\n`);
  const r = await cli(['cameras', 'import', file, '--data-dir', dir, '--json', '--no-probe']);
  t.equal(r.code, 0, 'both rows log in', { out: r.out.slice(0, 2000), err: r.err.slice(-2000) });
  t.match(JSON.parse(r.out) as Row[], [{ line: 2, name: 'cam-a', result: 'added' }, { line: 3, name: 'cam-b', result: 'added' }]);
});

t.test('Ctrl-C during an import: the rows shown ✓ are saved, a summary says what was not done, exit 130', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'cameras.csv');
  const cams = sim.cameras.slice(0, 16);
  writeFileSync(file, ['name,zone,onvif,main,sub,user,password', ...cams.map((c) => `cam-${c.index},,${c.host}:${c.onvifPort},,,${c.user},${c.password}`)].join('\n'));
  // Two at a time: the import is still far from done when the first row passes.
  const p = spawnCli(['cameras', 'import', file, '--data-dir', dir, '--probe-seconds', '2', '--parallel', '2'], {}, 120_000);
  await new Promise<void>((resolve) => {
    const onData = () => {
      if (!/\] ✓ /.test(p.err())) return;
      p.child.stderr.off('data', onData);
      p.child.kill('SIGINT');
      resolve();
    };
    p.child.stderr.on('data', onData);
  });
  const r = await p.done;
  t.equal(r.code, 130, 'exit 130, as after any Ctrl-C', { err: r.err.slice(-2000) });
  const passed = [...r.err.matchAll(/\] ✓ (\S+)/g)].map((m) => m[1]!);
  const failed = [...r.err.matchAll(/\] ✗ (\S+)/g)].map((m) => m[1]!);
  t.ok(passed.length >= 1, 'at least the row that passed before Ctrl-C');
  const summary = /interrupted: (\d+) imported, (\d+) failed, (\d+) not processed/.exec(r.err);
  t.ok(summary, 'a summary on Ctrl-C', { err: r.err.slice(-2000) });
  t.same(summary?.slice(1).map(Number), [passed.length, failed.length, cams.length - passed.length - failed.length]);
  t.ok(cams.length - passed.length - failed.length > 0, 'some rows were not processed');
  t.match(r.err, /import the same file again/);
  t.match(r.out, /not processed/, 'the table marks the rows not processed');
  t.same((await list(dir)).map((c) => c.name).sort(), [...passed].sort(), 'exactly the rows shown ✓ are in the database');

  const again = await cli(['cameras', 'import', file, '--data-dir', dir, '--json', '--probe-seconds', '2', '--parallel', '8']);
  t.equal(again.code, 0, 'importing the same file again finishes the job', { err: again.err.slice(-2000) });
  t.equal((await list(dir)).length, cams.length);
});
