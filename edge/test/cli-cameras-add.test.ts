// `cameras add` and the per-camera commands against the camera simulator
// (real ONVIF with WS-UsernameToken, real RTSP, real ffprobe, real SQLite):
// every way a camera can be wrong gets its own message and exit code, and
// nothing is stored for a camera that failed.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { openDatabase } from '../src/db/database.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { systemClock } from '../src/clock.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

const PROBE = ['--probe-seconds', '2.5'];
let sim: Camsim;
t.before(async () => {
  sim = await startCamsim({ cameras: 4 });
});
t.teardown(() => sim?.stop());

const onvif = (i: number) => `127.0.0.1:${sim.cameras[i]!.onvifPort}`;
const list = async (dir: string) => JSON.parse((await cli(['cameras', 'list', '--data-dir', dir, '--json'])).out) as Array<Record<string, unknown>>;

t.test('ONVIF add: reads the device, picks main and sub, probes both, stores it', async (t) => {
  const dir = tmpDir(t);
  const cam = sim.cameras[0]!;
  const r = await cli(['cameras', 'add', '--data-dir', dir, '--onvif', onvif(0), '--user', cam.user, '--password', cam.password, '--zone', '东口', '--json', ...PROBE]);
  t.equal(r.code, 0, 'exit 0', { err: r.err });
  const added = JSON.parse(r.out);
  t.match(added, {
    id: 1,
    name: 'cam00',
    zone: '东口',
    mainUrl: cam.urls.main,
    subUrl: cam.urls.sub,
    username: 'admin',
    hasPassword: true,
    onvifUrl: `http://${onvif(0)}/onvif/device_service`,
    manufacturer: 'CunboxSim',
    model: 'SimCam-720',
    firmware: '1.0.0-sim',
    serialNumber: 'CSIM000000',
    mainProfile: 'main',
    subProfile: 'sub',
    probe: {
      main: { codec: 'h264', width: 1280, height: 720, fps: 25, gopFrames: 50, gopSeconds: 2, bFrames: false },
      sub: { codec: 'h264', width: 640, height: 360, fps: 25, gopFrames: 50, bFrames: false },
    },
  });
  t.ok(added.probe.main.bitrateBps > 1e6 && added.probe.main.bitrateBps < 4e6, `main bitrate ${added.probe.main.bitrateBps}`);
  t.ok(Math.abs(added.clockOffsetMs) < 2000, `clock offset ${added.clockOffsetMs} ms`);
  t.notOk('password' in added, 'no password in the JSON');
  t.notMatch(r.out + r.err, new RegExp(cam.password));

  const text = await cli(['cameras', 'add', '--data-dir', tmpDir(t), '--onvif', onvif(0), '--user', cam.user, '--password', cam.password, ...PROBE], { LANG: 'zh_CN.UTF-8' });
  t.equal(text.code, 0);
  t.match(text.out, /已添加摄像头: #1 cam00/);
  t.match(text.out, /主码流: rtsp:\/\/127\.0\.0\.1:\d+\/main {2}h264 1280×720 25 fps [\d.]+ Mbit\/s GOP 50 \(2 s\)/);
  t.match(text.out, /摄像头时钟: [+-]\d+\.\d s/);

  const again = await cli(['cameras', 'add', '--data-dir', dir, '--onvif', onvif(0), '--user', cam.user, '--password', cam.password, '--name', 'other']);
  t.equal(again.code, 65, 'the same camera twice is a conflict');
  t.match(again.err, /already added as #1 cam00/);
  t.equal((await list(dir)).length, 1);
});

t.test('each failure: its own exit code and message, a hint, nothing stored', async (t) => {
  const dir = tmpDir(t);
  const c1 = sim.cameras[1]!;
  const add = (i: number, password: string, extra: string[] = [], env = {}) => cli(['cameras', 'add', '--data-dir', dir, '--onvif', onvif(i), '--user', 'admin', '--password', password, ...PROBE, ...extra], env);

  const wrong = await add(1, 'wrong-pass-1');
  t.equal(wrong.code, 81, 'ONVIF auth failed');
  t.match(wrong.err, /refused the ONVIF user name or password/);
  t.match(wrong.err, /hint: check --user and --password/);
  t.notMatch(wrong.err, /wrong-pass-1/, 'the password is not echoed');
  const wrongZh = await add(1, 'wrong-pass-1', [], { LANG: 'zh_CN.UTF-8' });
  t.match(wrongZh.err, /错误: 127\.0\.0\.1:\d+ 的摄像头拒绝了 ONVIF 用户名或密码/);
  t.match(wrongZh.err, /提示: 检查 --user 和 --password/);

  await sim.control.fault(1, 'garbage_soap');
  const garbage = await add(1, c1.password);
  await sim.control.clear(1);
  t.equal(garbage.code, 85, 'malformed SOAP');
  t.match(garbage.err, /sent a malformed ONVIF reply/);
  t.match(garbage.err, /add the camera by its RTSP URL with --rtsp/);

  await sim.control.fault(1, 'offline');
  const offline = await add(1, c1.password);
  await sim.control.clear(1);
  t.equal(offline.code, 80, 'unreachable');
  t.match(offline.err, /no answer from the ONVIF service at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);

  await sim.control.fault(1, 'clock_offset', { seconds: 60 });
  const clock = await add(1, c1.password);
  t.equal(clock.code, 84, 'clock off');
  t.match(clock.err, /camera clock at 127\.0\.0\.1:\d+ is 60 s ahead of this edge/);
  t.match(clock.err, /NTP server/);
  t.equal((await list(dir)).length, 0, 'nothing stored by any failure');
  const forced = await add(1, c1.password, ['--ignore-clock', '--json']);
  await sim.control.clear(1);
  t.equal(forced.code, 0, '--ignore-clock adds it anyway', { err: forced.err });
  t.ok(JSON.parse(forced.out).clockOffsetMs > 58_000);

  await sim.control.fault(2, 'refuse_auth');
  const refused = await add(2, sim.cameras[2]!.password);
  await sim.control.clear(2);
  t.equal(refused.code, 81);
  t.equal((await list(dir)).length, 1);
});

t.test('RTSP add: wrong password, wrong path, --main as an alias, --no-probe', async (t) => {
  const dir = tmpDir(t);
  const c = sim.cameras[3]!;
  const rtsp = (name: string, url: string, password: string, extra: string[] = []) => cli(['cameras', 'add', '--data-dir', dir, '--name', name, '--rtsp', url, '--user', 'admin', '--password', password, ...PROBE, ...extra]);
  const wrong = await rtsp('gate', c.urls.main, 'nope-nope');
  t.equal(wrong.code, 82, 'RTSP auth failed');
  t.match(wrong.err, /refused the RTSP user name or password on the main stream/);
  const notFound = await rtsp('gate', c.urls.main.replace('/main', '/nothing'), c.password);
  t.equal(notFound.code, 86);
  t.match(notFound.err, /has no main stream at rtsp:\/\/127\.0\.0\.1:\d+\/nothing \(404\)/);
  const closed = await rtsp('gate', 'rtsp://127.0.0.1:9/main', c.password);
  t.equal(closed.code, 80);
  t.match(closed.err, /cannot connect to the main stream/);
  await sim.control.fault(3, 'stall');
  const stalled = await rtsp('gate', c.urls.main, c.password);
  await sim.control.clear(3);
  t.equal(stalled.code, 86, 'connected but no video');
  t.match(stalled.err, /no video arrived on the main stream within \d+ s/);
  t.equal((await list(dir)).length, 0);

  const ok = await rtsp('村委会门口', c.urls.main, c.password, ['--sub', c.urls.sub, '--json']);
  t.equal(ok.code, 0, 'exit 0', { err: ok.err });
  t.match(JSON.parse(ok.out), { name: '村委会门口', onvifUrl: null, probe: { main: { width: 1280 }, sub: { width: 640 } } });
  const same = await rtsp('again', c.urls.main, c.password);
  t.equal(same.code, 65, 'the same stream twice is a conflict');
  t.match(same.err, /already added as #1 村委会门口/);
  const other = sim.cameras[2]!;
  const alias = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'alias', '--main', other.authUrl('main'), '--no-probe', '--json']);
  t.equal(alias.code, 0, 'exit 0', { err: alias.err });
  t.match(JSON.parse(alias.out), { name: 'alias', mainUrl: other.urls.main, username: 'admin', hasPassword: true, probe: null });
  const both = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'x', '--rtsp', c.urls.main, '--onvif', onvif(3)]);
  t.equal(both.code, 64);
  t.match(both.err, /either --onvif or --rtsp/);
});

t.test('rename, set-zone, enable, disable, remove; config cameras are left to the config file', async (t) => {
  const dir = tmpDir(t);
  const c = sim.cameras[0]!;
  for (const name of ['a', 'b']) t.equal((await cli(['cameras', 'add', '--data-dir', dir, '--name', name, '--rtsp', c.urls.main, '--no-probe'])).code, name === 'a' ? 0 : 65, `add ${name}`);
  await cli(['cameras', 'add', '--data-dir', dir, '--name', 'b', '--rtsp', c.urls.sub, '--no-probe']);
  const ren = await cli(['cameras', 'rename', '--data-dir', dir, 'a', '路口卡口-西口']);
  t.equal(ren.code, 0);
  t.match(ren.out, /renamed #1: a → 路口卡口-西口/);
  t.equal((await cli(['cameras', 'rename', '--data-dir', dir, '1', 'b'])).code, 65, 'rename onto a taken name');
  t.equal((await cli(['cameras', 'set-zone', '--data-dir', dir, '路口卡口-西口', '西口'])).code, 0);
  t.equal((await cli(['cameras', 'disable', '--data-dir', dir, '1', '2'])).code, 0);
  t.same((await list(dir)).map((x) => [x.name, x.zone, x.enabled]), [['路口卡口-西口', '西口', false], ['b', null, false]]);
  const typo = await cli(['cameras', 'enable', '--data-dir', dir, '1', 'nosuch']);
  t.equal(typo.code, 66, 'an unknown camera');
  t.match(typo.err, /no camera with id or name "nosuch"/);
  t.same((await list(dir)).map((x) => x.enabled), [false, false], 'a typo in one name changes none');
  t.equal((await cli(['cameras', 'enable', '--data-dir', dir, '1'])).code, 0);
  t.equal((await cli(['cameras', 'set-zone', '--data-dir', dir, '1', ''])).code, 0);
  const rm = await cli(['cameras', 'remove', '--data-dir', dir, 'b']);
  t.equal(rm.code, 0);
  t.match(rm.out, /removed #2 b; its footage stays until retention deletes it/);
  t.same((await list(dir)).map((x) => [x.id, x.zone, x.enabled]), [[1, null, true]]);

  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `data_dir: ${join(dir, 'cfgdata')}\ncameras:\n  - name: 配置摄像头\n    main: ${c.urls.main}\n`);
  // The edge syncs config cameras at start; the same happens here through the registry.
  const db = openDatabase(join(dir, 'cfgdata', 'cunbox.db'));
  new CameraRegistry({ db, clock: systemClock }).syncFromConfig(loadConfigFile(cfg).cameras);
  db.close();
  for (const args of [['rename', '配置摄像头', 'x'], ['disable', '配置摄像头'], ['remove', '1'], ['set-zone', '1', 'z']]) {
    const r = await cli(['cameras', ...args, '--config', cfg]);
    t.equal(r.code, 65, `${args[0]} of a config camera refused`);
    t.match(r.err, /comes from the config file .*config\.yaml; change it there/);
  }
});
