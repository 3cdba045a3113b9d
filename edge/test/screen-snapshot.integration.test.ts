// The camera wall end to end: real simulator, real ffmpeg snapshot feeds, real
// HTTP, a kiosk account's cookie as the screen's browser holds it.
import t from 'tap';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
let edge: Edge;
let base: string;
let screenCookie: string;

t.before(async () => {
  sim = await startCamsim({ cameras: 2 });
  const dir = tmpDir(t);
  const cams = sim.cameras.flatMap((c, i) => [`  - name: ${c.name}`, `    zone: 区${i + 1}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  const yaml = [`data_dir: ${dir}`, 'http:', '  host: 127.0.0.1', '  port: 0', 'recording:', '  segment_seconds: 4', '  watchdog_seconds: 3', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', ...cams, ''].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  base = `http://127.0.0.1:${edge.http!.address.port}`;
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin1', password: 'Wall-Password-1', role: 'admin' });
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin1', password: 'Wall-Password-1' }) });
  const admin = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const made = (await (await fetch(`${base}/api/kiosks`, { method: 'POST', headers: { cookie: admin, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'office-tv' }) })).json()) as { token: string };
  const traded = await fetch(`${base}/api/kiosk/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: made.token }) });
  screenCookie = (traded.headers.get('set-cookie') ?? '').split(';')[0]!;
  await waitFor('both cameras recording', () => edge.cameraStatus().every((c) => c.state === 'recording') || undefined, 40_000);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

const wall = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { cookie: screenCookie, ...headers } });

t.test('a tile: JPEG with ETag and capture time; unchanged → 304 without a body; a new key frame → a new ETag', async (t) => {
  const first = await wall('/api/cameras/1/snapshot.jpg');
  t.equal(first.status, 200);
  t.equal(first.headers.get('content-type'), 'image/jpeg');
  const body = Buffer.from(await first.arrayBuffer());
  t.same([body[0], body[1]], [0xff, 0xd8], 'a JPEG');
  const etag = first.headers.get('etag')!;
  t.match(etag, /^"1-\d+"$/);
  t.ok(Date.parse(first.headers.get('x-snapshot-time')!) > Date.now() - 60_000, 'capture time');
  t.match(first.headers.get('x-snapshot-age-ms'), /^\d+$/);
  t.equal(first.headers.get('cache-control'), 'private, no-cache', 'the browser revalidates every refresh');
  // A key frame comes every ~2 s: ask again at once, a few times, until one lands between key frames.
  const again = await waitFor('a 304', async () => {
    const r = await wall('/api/cameras/1/snapshot.jpg', { 'if-none-match': (await wall('/api/cameras/1/snapshot.jpg').then((x) => x.headers.get('etag')))! });
    return r.status === 304 ? r : undefined;
  }, 20_000, 10);
  t.equal((await again.arrayBuffer()).byteLength, 0, '304: no body');
  t.ok(again.headers.get('etag') && again.headers.get('x-snapshot-time'), '304 still says which picture and when');
  const newer = await waitFor('a newer picture', async () => {
    const r = await wall('/api/cameras/1/snapshot.jpg', { 'if-none-match': etag });
    return r.status === 200 ? r : undefined;
  }, 20_000, 500);
  t.not(newer.headers.get('etag'), etag);
});

t.test('a screen sees the wall and the summary, never recordings', async (t) => {
  const s = (await (await wall('/api/screen/summary')).json()) as { summary: { cameras: { total: number; online: number; list: Array<{ id: number; zone: string; online: boolean }> } } };
  t.match(s.summary.cameras, { total: 2, online: 2, list: [{ id: 1, zone: '区1', online: true }, { id: 2, zone: '区2', online: true }] });
  const now = Date.now();
  for (const path of [`/api/timeline?from=${now - 60_000}&to=${now}`, `/api/cameras/1/playback.m3u8?from=${now - 60_000}&to=${now}`, `/api/cameras/1/frame.jpg?at=${now - 10_000}`, '/api/segments/1.ts', '/api/cameras', '/api/exports', '/api/holds']) {
    t.equal((await wall(path)).status, 403, `no ${path.split('?')[0]}`);
  }
});

t.test('an offline camera: its last picture at once, with its growing age; the summary says offline', async (t) => {
  const before = await wall('/api/cameras/2/snapshot.jpg');
  t.equal(before.status, 200);
  const beforeAt = Date.parse(before.headers.get('x-snapshot-time')!);
  await sim.control.fault(1, 'offline');
  // Once the simulator answers, the camera is gone: a key frame it sent before then is still one from before.
  const faultAt = Date.now();
  await waitFor('camera 2 offline in the summary', async () => {
    const s = (await (await wall('/api/screen/summary')).json()) as { summary: { cameras: { offline: number; list: Array<{ id: number; online: boolean }> } } };
    return s.summary.cameras.list.find((c) => c.id === 2)?.online === false || undefined;
  }, 40_000);
  const stale = await waitFor('an old picture, quickly', async () => {
    const started = Date.now();
    const r = await wall('/api/cameras/2/snapshot.jpg');
    return r.status === 200 && Number(r.headers.get('x-snapshot-age-ms')) > 5000 ? { r, ms: Date.now() - started } : undefined;
  }, 60_000, 1000);
  // A key frame may have arrived between the first request and the fault: the last one, not a later one.
  const staleAt = Date.parse(stale.r.headers.get('x-snapshot-time')!);
  t.ok(staleAt >= beforeAt && staleAt <= faultAt + 2000, `the last picture before the camera went away (first ${beforeAt}, this one ${staleAt}, offline at ${faultAt})`);
  t.equal(stale.r.headers.get('etag'), `"2-${staleAt}"`);
  t.ok(Number(stale.r.headers.get('x-snapshot-age-ms')) > 5000, `aged ${stale.r.headers.get('x-snapshot-age-ms')} ms`);
  await sim.control.clear(1);
});
