// Per-user camera restrictions: set by an admin through the API or the CLI,
// enforced by every video route, audited, and carried in the users sync snapshot.
import t from 'tap';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { UserStore } from '../src/auth/users.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { openDatabase } from '../src/db/database.ts';
import { Layout } from '../src/storage/layout.ts';
import { readUsersSnapshot } from '../src/sync/users-snapshot.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';

t.test('API: an admin limits a grid worker to camera 1; live, snapshot, timeline and the list follow', async (t) => {
  const dir = tmpDir(t);
  // Nothing listens on these: the cameras exist, their footage does not matter here.
  const cams = ['东口', '西口'].flatMap((name, i) => [`  - name: ${name}`, `    main: rtsp://127.0.0.1:9/cam${i}`]);
  const config = parseConfig([`data_dir: ${dir}`, 'log_level: warn', 'http:', '  host: 127.0.0.1', '  port: 0', 'cameras:', ...cams, ''].join('\n'));
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const users = new UserStore({ db: edge.db, clock: systemClock });
  await users.create({ username: 'admin1', password: 'Camera-Secret-42', role: 'admin' });
  const wang = await users.create({ username: 'wang', password: 'Camera-Secret-42', role: 'grid_worker' });
  const login = async (username: string) => {
    const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'Camera-Secret-42' }) });
    t.equal(r.status, 200, `login ${username}`);
    return r.headers.get('set-cookie')!.split(';')[0]!;
  };
  const [admin, worker] = [await login('admin1'), await login('wang')];
  const call = (cookie: string, path: string, method = 'GET', body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const visible = async () => ((await (await call(worker, '/api/cameras')).json()) as { cameras: Array<{ id: number }> }).cameras.map((c) => c.id);
  const hour = `from=${Date.now() - 3_600_000}&to=${Date.now()}`;

  t.same(await visible(), [1, 2], 'unrestricted, a grid worker sees every camera');
  t.match(((await (await call(admin, `/api/users/${wang.id}`)).json()) as { user: unknown }).user, { id: wang.id, username: 'wang', role: 'grid_worker', cameras: null }, 'GET shows no restriction');

  const put = await call(admin, `/api/users/${wang.id}/cameras`, 'PUT', { cameras: [1] });
  t.equal(put.status, 200);
  t.match(await put.json(), { user: { username: 'wang', cameras: [1] } });
  t.match(((await (await call(admin, `/api/users/${wang.id}`)).json()) as { user: unknown }).user, { cameras: [1] }, 'GET shows the restriction');

  t.same(await visible(), [1], 'the camera list shows camera 1 only');
  for (const path of ['/api/cameras/2/live.mp4', '/api/cameras/2/live.mp4?stream=sub', '/api/cameras/2/snapshot.jpg', `/api/timeline?${hour}&cameras=2`, `/api/cameras/2/playback.m3u8?${hour}`]) {
    const r = await call(worker, path);
    t.equal(r.status, 404, `camera 2 is not found: ${path}`);
    t.match(await r.json(), { error: { code: 'NOT_FOUND' } });
  }
  const tl = (await (await call(worker, `/api/timeline?${hour}`)).json()) as { cameras: Array<{ cameraId: number }> };
  t.same(tl.cameras.map((c) => c.cameraId), [1], 'the timeline holds camera 1 only');
  const adminTl = (await (await call(admin, `/api/timeline?${hour}&cameras=2`)).json()) as { cameras: unknown[] };
  t.equal(adminTl.cameras.length, 1, 'the admin still sees camera 2');

  const audit = (await (await call(admin, '/api/audit?action=user.cameras')).json()) as { entries: Array<{ actor: string; target: string; detail: unknown }> };
  t.match(audit.entries, [{ actor: 'admin1', target: `user:${wang.id}`, detail: { before: null, cameras: [1] } }], 'the change is in the audit log');

  const synced = readUsersSnapshot(edge.db).users.find((u) => u.username === 'wang');
  t.same(synced?.cameras, [1], 'the users snapshot the cloud receives carries the restriction');
  // An office screen signs in with its token on the LAN only: it is not among the cloud's users.
  t.equal((await call(admin, '/api/kiosks', 'POST', { username: 'office-tv', expiresInDays: 30 })).status, 201, 'a screen made');
  t.notOk(readUsersSnapshot(edge.db).users.some((u) => u.role === 'kiosk'), 'no kiosk account in the users snapshot');

  // Bad requests change nothing.
  for (const [body, why] of [[{ cameras: [] }, 'an empty list would read as every camera'], [{ cameras: [1, 99] }, 'no camera 99'], [{ cameras: [0] }, 'ids start at 1'], [{}, 'cameras is required'], [{ cameras: '1,2' }, 'a list, not a string']] as const) {
    const r = await call(admin, `/api/users/${wang.id}/cameras`, 'PUT', body);
    t.equal(r.status, 400, why);
  }
  t.equal((await call(admin, '/api/users/999/cameras', 'PUT', { cameras: [1] })).status, 404, 'no such user');
  t.equal((await call(worker, `/api/users/${wang.id}/cameras`, 'PUT', { cameras: null })).status, 403, 'only an admin may change it');
  t.same(await visible(), [1], 'still camera 1 only');

  const lift = await call(admin, `/api/users/${wang.id}/cameras`, 'PUT', { cameras: null });
  t.match(await lift.json(), { user: { cameras: null } });
  t.same(await visible(), [1, 2], 'null lifts the restriction');
  t.equal(readUsersSnapshot(edge.db).users.find((u) => u.username === 'wang')?.cameras, null);
});

t.test('CLI: cunbox users cameras USER 1,2 | --all, audited', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  t.equal((await cli([...g, 'users', 'add', '--username', 'wang', '--role', 'grid_worker'], { CUNBOX_PASSWORD: 'Camera-Secret-42' })).code, 0);
  const db = openDatabase(new Layout(dir).database);
  t.teardown(() => db.close());
  const registry = new CameraRegistry({ db, clock: systemClock });
  for (const name of ['东口', '西口', '北口']) registry.add({ name, mainUrl: `rtsp://127.0.0.1:9/${name.length}` });

  const set = await cli([...g, 'users', 'cameras', 'wang', '3, 1']);
  t.equal(set.code, 0, set.err);
  t.match(set.out, /wang: cameras 1, 3/);
  const zh = await cli([...g, 'users', 'cameras', 'wang', '1,2', '--json'], { LANG: 'zh_CN.UTF-8' });
  t.same(JSON.parse(zh.out), { id: 1, username: 'wang', role: 'grid_worker', cameras: [1, 2] });
  t.match((await cli([...g, 'users', 'cameras', 'wang', '2'], { LANG: 'zh_CN.UTF-8' })).out, /wang: 摄像头 2/);

  t.match(await cli([...g, 'users', 'cameras', 'wang', '1,9']), { code: 64, err: /no camera 9/ });
  t.match(await cli([...g, 'users', 'cameras', 'wang', 'east']), { code: 64, err: /comma-separated/ });
  t.match(await cli([...g, 'users', 'cameras', 'wang']), { code: 64, err: /--all/ });
  t.match(await cli([...g, 'users', 'cameras', 'wang', '1', '--all']), { code: 64 });
  t.match(await cli([...g, 'users', 'cameras', 'nobody', '1']), { code: 66 });
  const keep = readUsersSnapshot(db).users[0]!.cameras;
  t.same(keep, [2], 'failed commands changed nothing');

  const all = await cli([...g, 'users', 'cameras', 'wang', '--all'], { LANG: 'zh_CN.UTF-8' });
  t.equal(all.code, 0, all.err);
  t.match(all.out, /wang: 角色可看的全部摄像头/);
  t.equal(readUsersSnapshot(db).users[0]!.cameras, null);

  const audit = db.prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'user.cameras' ORDER BY id").all() as Array<{ actor: string; target: string; detail: string }>;
  t.same(
    audit.map((a) => JSON.parse(a.detail)),
    [
      { before: null, cameras: [1, 3] },
      { before: [1, 3], cameras: [1, 2] },
      { before: [1, 2], cameras: [2] },
      { before: [2], cameras: null },
    ],
  );
  t.ok(audit.every((a) => a.actor === 'cli' && a.target === 'user:1'));
});
