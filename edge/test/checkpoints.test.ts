// Checkpoints (路口卡口): motion episodes per hour and zone of the cameras so marked,
// counted over real SQLite, through the API (config, restricted users) and the CLI.
import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { EventStore } from '../src/events/event-store.ts';
import { hourlyActivity } from '../src/checkpoints/activity.ts';
import { CheckpointStore } from '../src/checkpoints/store.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { UserStore } from '../src/auth/users.ts';
import { CameraAccess } from '../src/playback/access.ts';
import { Layout } from '../src/storage/layout.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';

const H = 3_600_000;
/** 2026-11-30 00:00 in Shanghai (UTC+8). */
const DAY = Date.UTC(2026, 10, 29, 16);

/** An episode as the sources store it: the start, and the summary when `endMs` is given. */
function episode(events: EventStore, cameraId: number, atMs: number, opts: { zone?: string | null; source?: 'video' | 'onvif'; endMs?: number } = {}): void {
  const zone = opts.zone ?? null;
  const source = opts.source ?? 'video';
  const start = events.record(cameraId, 'motion.start', { v: 1, source, zone }, atMs);
  if (opts.endMs !== undefined) events.record(cameraId, 'motion', { v: 1, source, zone, endMs: opts.endMs, startEventId: start }, atMs);
}

t.test('episodes per camera, zone, source and local hour; each once, ended or going on', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const events = new EventStore({ db, clock: fakeClock(DAY).clock });
  episode(events, 1, DAY + 8 * H + 60_000, { zone: '东口', endMs: DAY + 8 * H + 90_000 });
  episode(events, 1, DAY + 8 * H + 59 * 60_000, { zone: '东口', endMs: DAY + 9 * H + 2 * 60_000 }); // counted in the hour it started
  episode(events, 1, DAY + 8 * H + 30 * 60_000, { zone: '西口' }); // still going on
  episode(events, 1, DAY + 8 * H + 10 * 60_000, { source: 'onvif', endMs: DAY + 8 * H + 11 * 60_000 });
  events.record(1, 'motion', { v: 1, zone: '东口', endMs: DAY + 9 * H + 1000 }, DAY + 9 * H); // before start rows existed: video
  events.record(1, 'camera.offline', {}, DAY + 9 * H + 5000);
  events.record(1, 'tamper.start', { v: 1, source: 'onvif', zone: null }, DAY + 9 * H + 6000);
  episode(events, 2, DAY + 8 * H + 5 * 60_000, { endMs: DAY + 8 * H + 6 * 60_000 }); // another camera
  episode(events, 1, DAY + 11 * H, { zone: '东口', endMs: DAY + 11 * H + 1000 }); // outside the range

  const q = { cameraIds: [1], fromMs: DAY, toMs: DAY + 10 * H, timeZone: 'Asia/Shanghai' };
  t.same(hourlyActivity(db, q), [
    { cameraId: 1, zone: null, source: 'onvif', hourStartMs: DAY + 8 * H, count: 1 },
    { cameraId: 1, zone: '东口', source: 'video', hourStartMs: DAY + 8 * H, count: 2 },
    { cameraId: 1, zone: '西口', source: 'video', hourStartMs: DAY + 8 * H, count: 1 },
    { cameraId: 1, zone: '东口', source: 'video', hourStartMs: DAY + 9 * H, count: 1 },
  ]);
  t.same(hourlyActivity(db, { ...q, cameraIds: [] }), [], 'no cameras: nothing');
  t.same(hourlyActivity(db, { ...q, cameraIds: [2] }).map((h) => h.count), [1]);

  // India is UTC+5:30: its hours begin at :30 UTC, and 08:01 Shanghai (00:01 UTC) is 05:31 there.
  const kolkata = hourlyActivity(db, { ...q, timeZone: 'Asia/Kolkata' }).filter((h) => h.zone === '东口');
  t.same(kolkata.map((h) => [h.hourStartMs - DAY, h.count]), [[7.5 * H, 1], [8.5 * H, 2]], 'hours of the box\'s own zone, half-hour offsets too');
  const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE camera_id = 1 AND type IN ('motion', 'motion.start') AND at_ms >= 0 AND at_ms < 10`).all() as Array<{ detail: string }>;
  t.match(plan.map((p) => p.detail).join('\n'), /USING (COVERING )?INDEX events_by_camera_type_time/, 'an index range scan, not a table scan');
});

t.test('API: checkpoints from the config and the API, restricted users, bad requests', async (t) => {
  const dir = tmpDir(t);
  const cams = [
    ['  - name: 东口', '    main: rtsp://127.0.0.1:9/cam0', '    checkpoint: true'],
    ['  - name: 村委会', '    main: rtsp://127.0.0.1:9/cam1'],
  ].flat();
  const config = parseConfig([`data_dir: ${dir}`, 'log_level: warn', 'timezone: Asia/Shanghai', 'http:', '  host: 127.0.0.1', '  port: 0', 'cameras:', ...cams, ''].join('\n'));
  // A CLI camera, there before the edge starts: the file does not decide for it.
  const pre = openDatabase(new Layout(dir).database);
  const west = new CameraRegistry({ db: pre, clock: systemClock }).add({ name: '西口', mainUrl: 'rtsp://127.0.0.1:9/cam2' });
  pre.close();
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  const [east, office] = ['东口', '村委会'].map((n) => edge.parts.registry.getByName(n)!.id);
  const now = Date.now();
  // Shanghai's hours begin on UTC hours (UTC+8).
  const hour = now - 2 * H - ((now - 2 * H) % H);
  episode(edge.parts.events, east!, hour + 1000, { zone: 'road', endMs: hour + 5000 });
  episode(edge.parts.events, east!, hour + 2000, { zone: 'road' });
  episode(edge.parts.events, west.id, now - H, { endMs: now - H + 1000 });

  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const users = new UserStore({ db: edge.db, clock: systemClock });
  await users.create({ username: 'admin1', password: 'Checkpoint-Pass-1', role: 'admin' });
  await users.create({ username: 'screen', password: 'Checkpoint-Pass-2', role: 'viewer' });
  new CameraAccess(edge.db).restrict(users.getByUsername('screen')!.id, [west.id]);
  const login = async (username: string, password: string) => {
    const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  };
  const admin = await login('admin1', 'Checkpoint-Pass-1');
  const screen = await login('screen', 'Checkpoint-Pass-2');
  const call = (cookie: string, path: string, method = 'GET', body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const range = `from=${now - 3 * H}&to=${now}`;
  const byId = (ids: number[]) => [...ids].sort((a, b) => a - b);

  const first = await call(admin, `/api/checkpoints/activity?${range}`);
  t.equal(first.status, 200);
  t.same(await first.json(), {
    timeZone: 'Asia/Shanghai',
    from: now - 3 * H,
    to: now,
    cameras: [{ cameraId: east, name: '东口', hours: [{ startMs: hour, zone: 'road', source: 'video', count: 2 }] }],
  }, 'the config\'s checkpoint, its episodes (one going on) in their local hour');

  t.equal((await call(admin, `/api/cameras/${east}/checkpoint`, 'PUT', { checkpoint: false })).status, 409, 'a config camera is set in the file');
  t.equal((await call(screen, `/api/cameras/${west.id}/checkpoint`, 'PUT', { checkpoint: true })).status, 403, 'only who manages the config');
  const put = await call(admin, `/api/cameras/${west.id}/checkpoint`, 'PUT', { checkpoint: true });
  t.same(await put.json(), { cameraId: west.id, checkpoint: true });
  const both = (await (await call(admin, `/api/checkpoints/activity?${range}`)).json()) as { cameras: Array<{ cameraId: number; hours: Array<{ count: number }> }> };
  t.same(both.cameras.map((c) => c.cameraId), byId([east!, west.id]));
  t.same(both.cameras.find((c) => c.cameraId === west.id)!.hours.map((h) => h.count), [1]);

  const mine = (await (await call(screen, `/api/checkpoints/activity?${range}`)).json()) as { cameras: Array<{ cameraId: number }> };
  t.same(mine.cameras.map((c) => c.cameraId), [west.id], 'a restricted viewer sees only its cameras');
  t.equal((await call(screen, `/api/checkpoints/activity?${range}&cameras=${east}`)).status, 404, 'another camera is not found');
  const notOne = await call(admin, `/api/checkpoints/activity?${range}&cameras=${office}`);
  t.equal(notOne.status, 400);
  t.match(await notOne.json(), { error: { code: 'INVALID_INPUT', message: /not a checkpoint/ } });
  t.equal((await call(admin, `/api/checkpoints/activity?from=${now - 40 * 24 * H}&to=${now}`)).status, 400, 'at most a month at once');
  t.equal((await call(admin, `/api/checkpoints/activity?${range}&cameras=1;drop`)).status, 400);

  await edge.stop();
  const between = openDatabase(new Layout(dir).database);
  new CheckpointStore({ db: between }).set(east!, false); // as if edited behind the file's back
  between.close();
  const again = new Edge({ config, log: silentLogger() });
  await again.start();
  t.teardown(() => again.stop());
  t.same(new CheckpointStore({ db: again.db }).ids(), byId([east!, west.id]), 'a restart keeps the API\'s checkpoint and applies the file\'s');
});

t.test('CLI: cunbox cameras checkpoint CAMERA on|off', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  const db = openDatabase(new Layout(dir).database);
  t.teardown(() => db.close());
  const cam = new CameraRegistry({ db, clock: systemClock }).add({ name: '东口', mainUrl: 'rtsp://127.0.0.1:9/0' });
  const on = await cli([...g, 'cameras', 'checkpoint', '东口', 'on'], { LANG: 'zh_CN.UTF-8' });
  t.equal(on.code, 0, on.err);
  t.match(on.out, /#1 东口 已设为卡口/);
  t.same(new CheckpointStore({ db }).ids(), [cam.id]);
  const off = await cli([...g, 'cameras', 'checkpoint', String(cam.id), 'off']);
  t.match(off.out, /no longer a checkpoint/);
  t.same(new CheckpointStore({ db }).ids(), []);
  t.not((await cli([...g, 'cameras', 'checkpoint', '东口', 'maybe'])).code, 0, 'on or off only');
  t.not((await cli([...g, 'cameras', 'checkpoint', '北口', 'on'])).code, 0, 'no such camera');
});
