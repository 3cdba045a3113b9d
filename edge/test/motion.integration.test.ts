import t from 'tap';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { timeline } from '../src/playback/timeline.ts';
import type { MotionEventDetail } from '@cunbox/shared';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { authenticatedUrl } from '../src/cameras/registry.ts';
import { UserStore } from '../src/auth/users.ts';
import { CameraAccess } from '../src/playback/access.ts';
import { systemClock } from '../src/clock.ts';

/**
 * Real ffmpeg on real RTSP: camsim plays generated 20-s clips (looped) on
 * three cameras' sub streams, and the edge's motion detection watches them
 * with zones and masks from the config file.
 *   cam0 (crossing): zones `yard` (lower half) and `sky` (top strip);
 *   cam1 (crossing): the lower half masked, no zones;
 *   cam2 (light):    the picture turns 70 % brighter at 10 s, nothing moves.
 * camsim starts a stream at its clip's first frame when a first client
 * connects, and again when all have left; a real camera's stream goes on.
 * So a viewer stays on each sub stream for the whole test (the detector's
 * mode switch reconnects), started just before the edge: the box crosses
 * 8–14 s after the start and again 20 s later.
 */
let sim: Camsim;
const viewers: ChildProcess[] = [];
t.before(async () => {
  const [crossing, light] = await Promise.all([motionClip('crossing'), motionClip('light')]);
  sim = await startCamsim({ cameras: 3, clips: [`file:${crossing}`, `file:${crossing}`, `file:${light}`] });
});
t.teardown(async () => {
  for (const v of viewers) v.kill('SIGKILL');
  await sim?.stop();
});

/** Keeps a camera's sub stream playing, as a real camera's is, whoever else connects or leaves. */
function watchSub(i: number): void {
  const c = sim.cameras[i]!;
  const url = authenticatedUrl(c.urls.sub, c.user, c.password);
  viewers.push(spawn('ffmpeg', ['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' }));
}

function config(dataDir: string): string {
  const cam = (i: number, motion: string[]) => {
    const c = sim.cameras[i]!;
    return [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`, '    motion:', ...motion.map((l) => `      ${l}`)];
  };
  return [
    `data_dir: ${dataDir}`,
    'log_level: warn',
    'http:',
    '  host: 127.0.0.1',
    '  port: 0',
    'recording:',
    '  segment_seconds: 4',
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 0',
    'motion:',
    '  merge_gap_seconds: 4',
    'cameras:',
    ...cam(0, ['zones:', '  - { name: yard, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }', '  - { name: sky, points: [[0, 0], [1, 0], [1, 0.3], [0, 0.3]] }']),
    ...cam(1, ['masks:', '  - { name: lower, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }']),
    ...cam(2, ['sensitivity: 50']),
    '',
  ].join('\n');
}

t.test('a box crossing a zone is one event in that zone with a thumbnail; a masked crossing and a light switch are none', async (t) => {
  const dataDir = tmpDir(t, 'cunbox-motion-');
  const edge = new Edge({ config: parseConfig(config(dataDir)), log: silentLogger() });
  const startedAt = Date.now();
  for (const i of [0, 1, 2]) watchSub(i);
  await edge.start();
  t.teardown(() => edge.stop());
  const [cam0, cam1, cam2] = edge.parts.registry.list().map((c) => c.id);
  const motionOf = (cameraId: number) => edge.parts.events.list({ cameraId, type: 'motion' });
  const startsOf = (cameraId: number) => edge.parts.events.list({ cameraId, type: 'motion.start' });

  // The box crosses 8–14 s: the start row must be there while it still moves, long before the summary.
  await waitFor('the start of the first crossing to be stored', () => startsOf(cam0!).length > 0, 90_000, 100);
  const startSeenAt = Date.now();
  t.same(motionOf(cam0!), [], 'no summary yet when the start is stored: the event is still going on');
  const open = timeline(edge.db, { fromMs: startedAt - 1000, toMs: Date.now() + 1000 }, [cam0!], Date.now())[0]!.events.filter((m) => m.type.startsWith('motion'));
  t.match(open, [{ type: 'motion.start', zone: 'yard', endMs: null, open: true }], 'the timeline shows it open');

  // The first crossing ends at 14 s; with the 4-s merge gap its event is stored by ~20 s.
  await waitFor('the first crossing to become an event', () => motionOf(cam0!).length > 0, 90_000, 500);
  // One whole loop for the masked and the light-switch cameras, but stop before the second crossing (28 s).
  const wait = Math.max(0, startedAt + 23_000 - Date.now());
  await new Promise((r) => setTimeout(r, wait));
  await edge.motion!.stop();

  const crossings = motionOf(cam0!);
  for (const c of crossings) t.comment(`event ${c.id}: ${c.atMs - startedAt}..${(c.detail['endMs'] as number) - startedAt} ms ${JSON.stringify(c.detail)}`);
  t.equal(crossings.length, 1, 'one event for one crossing');
  const e = crossings[0]!;
  const d = e.detail as unknown as MotionEventDetail;
  t.equal(d.zone, 'yard', 'in the zone the box crossed');
  t.ok(d.endMs - e.atMs >= 1000 && d.endMs - e.atMs <= 10_000, `lasts about the crossing (${d.endMs - e.atMs} ms)`);
  t.ok(d.score !== null && d.score > 0 && d.score < 0.2, `score is the moving share of the picture (${d.score})`);
  const starts = startsOf(cam0!);
  t.match(starts, [{ atMs: e.atMs, detail: { v: 1, source: 'video', zone: 'yard' } }], 'one start row, dated like the summary');
  t.equal(d.startEventId, starts[0]!.id, 'the summary names its start');
  t.equal(d.source, 'video');
  // Not a latency bound (that is the benchmark's): only that the start was stored while the box still moved.
  t.ok(startSeenAt < d.endMs, `the start row was there before the motion ended (${d.endMs - startSeenAt} ms before)`);
  t.same(d.labels, []);
  t.ok(d.thumbnail, 'has a thumbnail');
  const jpeg = readFileSync(edge.layout.absolute(edge.layout.thumbnailPath(cam0!, e.atMs, d.thumbnail!.sha256)));
  t.equal(jpeg.subarray(0, 2).toString('hex'), 'ffd8', 'the thumbnail is a JPEG');
  t.equal(jpeg.length, d.thumbnail!.bytes);

  t.same(motionOf(cam1!), [], 'the masked crossing gives no event');
  t.same(motionOf(cam2!), [], 'the light switch gives no event');
  t.same([...startsOf(cam1!), ...startsOf(cam2!)], [], 'nor any start');

  const tl = timeline(edge.db, { fromMs: startedAt - 1000, toMs: Date.now() + 1000 }, [cam0!], Date.now());
  t.same(tl[0]!.events.filter((m) => m.type === 'motion'), [{ id: e.id, type: 'motion', atMs: e.atMs, endMs: d.endMs, zone: 'yard' }], 'the event is a marker on the timeline');

  // The same event through the HTTP API.
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const users = new UserStore({ db: edge.db, clock: systemClock });
  await users.create({ username: 'admin1', password: 'Motion-Password-1', role: 'admin' });
  await users.create({ username: 'screen', password: 'Motion-Password-2', role: 'viewer' });
  new CameraAccess(edge.db).restrict(users.getByUsername('screen')!.id, [cam1!]);
  const login = async (username: string, password: string) => {
    const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  };
  const admin = await login('admin1', 'Motion-Password-1');
  const screen = await login('screen', 'Motion-Password-2');
  const get = (cookie: string, path: string) => fetch(`${base}${path}`, { headers: { cookie } });
  const range = `from=${startedAt - 1000}&to=${Date.now() + 1000}`;
  await waitFor('the footage of the event to be indexed', () => edge.parts.index.forCamera(cam0!, e.atMs, d.endMs).length > 0, 30_000);
  const page = (await (await get(admin, `/api/events?${range}&types=motion&zones=yard`)).json()) as { events: Array<Record<string, unknown>>; next: string | null };
  t.equal(page.events.length, 1);
  t.match(page.events[0], { id: e.id, cameraId: cam0, type: 'motion', atMs: e.atMs, endMs: d.endMs, zone: 'yard', labels: [], footage: true, thumbnail: `/api/events/${e.id}/thumbnail.jpg` });
  t.equal(page.next, null);
  const none = (await (await get(admin, `/api/events?${range}&types=motion&zones=sky`)).json()) as { events: unknown[] };
  t.same(none.events, [], 'no event in the other zone');
  const thumb = await get(admin, `/api/events/${e.id}/thumbnail.jpg`);
  t.equal(thumb.status, 200);
  t.equal(thumb.headers.get('content-type'), 'image/jpeg');
  t.same(Buffer.from(await thumb.arrayBuffer()), jpeg);
  const restricted = (await (await get(screen, `/api/events?${range}`)).json()) as { events: Array<{ cameraId: number }> };
  t.ok(restricted.events.every((x) => x.cameraId === cam1), 'a restricted viewer sees only its cameras\' events');
  t.equal((await get(screen, `/api/events/${e.id}/thumbnail.jpg`)).status, 404, 'nor their thumbnails');
  t.equal((await get(screen, `/api/events?${range}&cameras=${cam0}`)).status, 404);
  const cfgEdit = await fetch(`${base}/api/cameras/${cam0}/motion/areas`, { method: 'POST', headers: { cookie: admin, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'zone', name: 'x', points: [[0, 0], [1, 0], [1, 1]] }) });
  t.equal(cfgEdit.status, 409, 'a config-file camera\'s zones are edited in the file');
  const settings = (await (await get(admin, `/api/cameras/${cam0}/motion`)).json()) as { zones: Array<{ name: string }> };
  t.same(settings.zones.map((z) => z.name), ['sky', 'yard']);

  // A camera added by the CLI (disabled: nothing runs for it) is edited through the API.
  const spare = edge.parts.registry.add({ name: 'spare', mainUrl: 'rtsp://127.0.0.1:9/none', enabled: false });
  const send = (cookie: string, method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const area = { kind: 'zone', name: '院门', points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] };
  const added = await send(admin, 'POST', `/api/cameras/${spare.id}/motion/areas`, area);
  t.equal(added.status, 201);
  t.match(await added.json(), { cameraId: spare.id, zones: [area], masks: [] });
  t.equal((await send(admin, 'POST', `/api/cameras/${spare.id}/motion/areas`, area)).status, 409, 'a name is used once per camera');
  t.equal((await send(admin, 'POST', `/api/cameras/${spare.id}/motion/areas`, { ...area, name: 'x', points: [[0, 0], [1.5, 0], [1, 1]] })).status, 400, 'points outside the picture');
  t.equal((await send(screen, 'POST', `/api/cameras/${spare.id}/motion/areas`, { ...area, name: 'y' })).status, 403, 'viewers do not configure');
  const knobs = await send(admin, 'PATCH', `/api/cameras/${spare.id}/motion`, { sensitivity: 70, minAreaPercent: 0.5 });
  t.match(await knobs.json(), { sensitivity: 70, minAreaPercent: 0.5, enabled: true });
  const removed = await send(admin, 'DELETE', `/api/cameras/${spare.id}/motion/areas/zone/${encodeURIComponent('院门')}`);
  t.equal(removed.status, 200);
  t.same(((await removed.json()) as { zones: unknown[] }).zones, []);
});
