// The relay end to end: a real cloud (embedded broker, tus media store), an
// edge paired with it recording two simulated cameras, phones signed in on
// the cloud. A phone's snapshot request travels cloud → MQTT → edge, the
// edge checks the user's camera permission itself, uploads the JPEG over
// HTTP, and the phone gets it; both sides audit every request.
import t, { type Test } from 'tap';
import { dirname, join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { RelayReplyMessage } from '@cunbox/shared';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { UserStore } from '../src/auth/users.ts';
import { CameraAccess } from '../src/playback/access.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud, type TestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';
import { assertDocumented } from '@cunbox/test-support/cloud-openapi';
import { TcpProxy } from '@cunbox/test-support/proxy';
import { watchLive, type LiveWatch } from '@cunbox/test-support/live-phone';
import { decodeFrames, probeDuration } from './helpers/media.ts';

let sim: Camsim;
let edge: Edge;
let tc: TestCloud;
let villageId: number;
let edgeId: string;
let edgeBase: string;
/** The edge's HTTP way to the cloud (media, live uploads): a link the tests can slow down. */
let link: TcpProxy;
const PASSWORD = 'Relay-Password-1';

t.before(async () => {
  // Two cameras that look different: colour bars with a box (camera 2) and the moving test card (camera 1).
  sim = await startCamsim({ cameras: 2, clips: ['testsrc', 'still_box'] });
  const dir = tmpDir(t, 'cunbox-relay-');
  tc = await startTestCloud(t, dir);
  const paired = await tc.villageWithCode('西村');
  villageId = paired.villageId;
  link = new TcpProxy({ host: '127.0.0.1', port: tc.cloud.httpPort });
  await link.start();
  t.teardown(() => link.stop());
  const edgeDir = join(dir, 'edge');
  const pair = await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', tc.url, '--code', paired.code]);
  t.equal(pair.code, 0, pair.err);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  edgeId = (JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string }).edgeId;
  const cams = sim.cameras.flatMap((c) => [`  - name: ${c.name}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`]);
  const yaml = [
    `data_dir: ${edgeDir}`,
    'http:',
    '  host: 127.0.0.1',
    '  port: 0',
    'cloud:',
    `  url: http://127.0.0.1:${link.port}`,
    `  edge_id: ${JSON.stringify(edgeId)}`,
    `  credentials_file: ${credFile}`,
    'recording:',
    '  segment_seconds: 4',
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 0',
    'cameras:',
    ...cams,
    '',
  ].join('\n');
  // A clip a crash left behind in the relay's scratch directory.
  const leftover = join(edgeDir, 'relay-tmp', 'relay-00000000000000000000000000000000.mp4');
  mkdirSync(dirname(leftover), { recursive: true });
  writeFileSync(leftover, 'half a clip');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  t.notOk(existsSync(leftover), 'the relay cleared what a crash left in its scratch directory');
  edgeBase = `http://127.0.0.1:${edge.http!.address.port}`;
  // A grid worker limited to camera 1, a viewer limited to camera 2, an admin for the edge's own pictures.
  const users = new UserStore({ db: edge.db, clock: systemClock });
  const access = new CameraAccess(edge.db);
  access.restrict((await users.create({ username: 'zhang', password: PASSWORD, role: 'grid_worker' })).id, [1]);
  access.restrict((await users.create({ username: 'li', password: PASSWORD, role: 'viewer' })).id, [2]);
  await users.create({ username: 'admin1', password: PASSWORD, role: 'admin' });
  // The accounts reach the cloud with their camera restrictions.
  await waitFor('users synced to the cloud', () => tc.cloud.store.accounts.user(villageId, 'li')?.cameras?.[0] === 2 || undefined, 60_000, 100);
  await waitFor('both cameras recording', () => edge.cameraStatus().every((c) => c.state === 'recording') || undefined, 60_000, 200);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

async function phoneToken(username: string): Promise<string> {
  const r = await fetch(`${tc.url}/api/v1/villages/${villageId}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}
/** The phone's request; its answer is held to the cloud's OpenAPI document (status and content type). */
async function snapshot(token: string, cameraId: number): Promise<Response> {
  const path = `/api/v1/villages/${villageId}/cameras/${cameraId}/snapshot`;
  const r = await fetch(`${tc.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await r.arrayBuffer());
  const type = r.headers.get('content-type');
  await assertDocumented(tc.url, 'GET', path, r.status, type, type?.startsWith('application/json') ? body.toString('utf8') : '');
  return new Response(body, { status: r.status, headers: r.headers });
}

/** A phone's clip request, held to the OpenAPI document like the snapshot's. */
async function clip(token: string, cameraId: number, from: number, to: number): Promise<Response> {
  const path = `/api/v1/villages/${villageId}/cameras/${cameraId}/clip?from=${from}&to=${to}`;
  const r = await fetch(`${tc.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await r.arrayBuffer());
  const type = r.headers.get('content-type');
  await assertDocumented(tc.url, 'GET', path, r.status, type, type?.startsWith('application/json') ? body.toString('utf8') : '');
  return new Response(body, { status: r.status, headers: r.headers });
}

/** Every relay answer the cloud receives from here on, as well as handing it to the cloud's relay; until the test ends. */
function tapRelayReplies(t: Test): RelayReplyMessage[] {
  const replies: RelayReplyMessage[] = [];
  const relay = tc.cloud.relay;
  tc.cloud.sync.setRelayHandler((e, msg) => {
    replies.push(msg);
    relay.onReply(e, msg);
  });
  t.teardown(() => tc.cloud.sync.setRelayHandler((e, msg) => relay.onReply(e, msg)));
  return replies;
}

/** A small grey thumbnail: pictures of the same camera are close, of the two cameras far apart. */
const thumb = (jpeg: Buffer) => sharp(jpeg).resize(32, 18, { fit: 'fill' }).greyscale().raw().toBuffer();
const distance = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

async function edgePicture(cookie: string, cameraId: number): Promise<Buffer> {
  const r = await fetch(`${edgeBase}/api/cameras/${cameraId}/snapshot.jpg`, { headers: { cookie } });
  if (r.status !== 200) throw new Error(`edge snapshot ${cameraId}: ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

const cloudAudit = () => tc.cloud.store.audit.after(villageId, 0, 1000).filter((e) => e.action === 'relay.snapshot');
const edgeAudit = () =>
  (edge.db.prepare("SELECT actor, role, target, detail, source FROM audit_log WHERE action = 'relay.snapshot' ORDER BY id").all() as Array<{ actor: string; role: string | null; target: string; detail: string; source: string }>).map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));

t.test("a phone gets a JPEG of the camera it asked for, through the cloud; both sides audit it", async (t) => {
  const login = await fetch(`${edgeBase}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin1', password: PASSWORD }) });
  const admin = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const [own1, own2] = [await thumb(await edgePicture(admin, 1)), await thumb(await edgePicture(admin, 2))];
  t.ok(distance(own1, own2) > 20, 'the two cameras look different');

  for (const [user, cameraId] of [['zhang', 1], ['li', 2]] as const) {
    const token = await phoneToken(user);
    const r = await snapshot(token, cameraId);
    t.equal(r.status, 200, `${user}: camera ${cameraId}`);
    t.equal(r.headers.get('content-type'), 'image/jpeg');
    t.equal(r.headers.get('x-relay-cached'), '0', 'asked the edge');
    t.ok(Date.parse(r.headers.get('x-snapshot-time')!) > Date.now() - 60_000, 'a recent picture');
    const jpeg = Buffer.from(await r.arrayBuffer());
    t.same([jpeg[0], jpeg[1]], [0xff, 0xd8], 'a JPEG');
    const mine = await thumb(jpeg);
    const [same, other] = cameraId === 1 ? [own1, own2] : [own2, own1];
    t.ok(distance(mine, same) < distance(mine, other), `the picture is camera ${cameraId}'s (closer to its own than to the other's)`);
    // Held by the cloud's content store, under its hash.
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    t.ok(await tc.cloud.media.find(villageId, sha256), 'stored content-addressed in the cloud');

    // Asked again at once: the cloud's short cache answers without the edge.
    const again = await snapshot(token, cameraId);
    t.equal(again.status, 200);
    t.equal(again.headers.get('x-relay-cached'), '1', 'from the cloud cache');
    t.ok(Buffer.from(await again.arrayBuffer()).equals(jpeg), 'the same picture');
  }

  const cloudRows = cloudAudit();
  t.same(
    cloudRows.map((e) => [e.actor, e.target, e.detail?.outcome, e.detail?.cached, e.detail?.via]),
    [
      ['zhang', 'camera:1', 'served', false, 'phone'],
      ['zhang', 'camera:1', 'served', true, 'phone'],
      ['li', 'camera:2', 'served', false, 'phone'],
      ['li', 'camera:2', 'served', true, 'phone'],
    ],
    'the cloud audits every phone request, cached or not',
  );
  const edgeServed = edgeAudit().filter((r) => r.source === 'edge');
  t.same(
    edgeServed.map((r) => [r.actor, r.role, r.target, r.detail.outcome, r.detail.via]),
    [
      ['zhang', 'grid_worker', 'camera:1', 'served', 'cloud'],
      ['li', 'viewer', 'camera:2', 'served', 'cloud'],
    ],
    'the edge audits each request it served',
  );
  // The cloud's own rows reach the edge's audit log by sync.
  await waitFor('cloud audit rows on the edge', () => edgeAudit().filter((r) => r.source === 'cloud').length === 4 || undefined, 30_000, 100);
});

t.test('a camera outside the user\'s scope: 403 from the cloud, the edge is not asked, and the refusal is audited', async (t) => {
  const before = edgeAudit().filter((r) => r.source === 'edge').length;
  const r = await snapshot(await phoneToken('zhang'), 2);
  t.equal(r.status, 403);
  t.match(await r.json(), { error: { code: 'FORBIDDEN' } });
  t.match(cloudAudit().at(-1), { actor: 'zhang', target: 'camera:2', detail: { outcome: 'forbidden' } });
  t.equal(edgeAudit().filter((r) => r.source === 'edge').length, before, 'nothing reached the edge');
});

t.test('the edge refuses a forged request for a camera the user may not see, and audits it', async (t) => {
  // Published on the cloud's own MQTT session, as a cloud with a bug (or an attacker holding its broker login) would.
  const replies = tapRelayReplies(t);
  const now = Date.now();
  for (const [id, user, cameraId] of [[randomBytes(16).toString('hex'), 'zhang', 2], [randomBytes(16).toString('hex'), 'nobody', 1]] as const) {
    t.ok(tc.cloud.sync.publishRelay(edgeId, { v: 1, id, kind: 'snapshot', cameraId, user, at: now, expiresAt: now + 10_000 }));
    const reply = await waitFor(`the edge's answer to ${user}`, () => replies.find((m) => m.id === id), 30_000, 50);
    t.match(reply, { ok: false, reason: 'forbidden' }, `${user} may not see camera ${cameraId}: refused`);
    t.notOk('sha256' in reply, 'no picture named');
    t.match(edgeAudit().find((r) => r.detail.request === id), { actor: user, target: `camera:${cameraId}`, source: 'edge', detail: { outcome: 'forbidden', via: 'cloud' } }, 'audited on the edge');
  }
});

t.test('a clip of a recorded range: cut by the edge as MP4, checked on both sides, audited', async (t) => {
  const seg = await waitFor('a finished segment of camera 1', () => edge.db.prepare('SELECT start_ms AS startMs, end_ms AS endMs FROM segments WHERE camera_id = 1 ORDER BY start_ms LIMIT 1').get() as { startMs: number; endMs: number } | undefined, 60_000, 200);
  const from = seg.startMs;
  const to = Math.min(seg.endMs, from + 3000);
  const zhang = await phoneToken('zhang');
  const r = await clip(zhang, 1, from, to);
  t.equal(r.status, 200);
  t.equal(r.headers.get('content-type'), 'video/mp4');
  const mp4 = Buffer.from(await r.arrayBuffer());
  t.equal(mp4.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
  const file = join(tmpDir(t, 'cunbox-relay-clip-'), 'clip.mp4');
  writeFileSync(file, mp4);
  const seconds = await probeDuration(file);
  t.ok(seconds > 1 && seconds < 6, `about the range asked (${seconds} s for ${(to - from) / 1000} s)`);
  t.ok(await tc.cloud.media.find(villageId, createHash('sha256').update(mp4).digest('hex')), 'stored content-addressed in the cloud');
  const clipRow = edge.db.prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'relay.clip' AND source = 'edge'").get() as { actor: string; target: string; detail: string };
  t.match({ ...clipRow, detail: JSON.parse(clipRow.detail) }, { actor: 'zhang', target: 'camera:1', detail: { outcome: 'served', fromMs: from, toMs: to } }, 'the edge audited the clip');
  const edgeRows = () => edge.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'relay.clip' AND source = 'edge'").get() as { n: number };

  // Outside the scope: refused by the cloud, the edge not asked.
  const refused = await clip(zhang, 2, from, to);
  t.equal(refused.status, 403);
  t.equal(edgeRows().n, 1, 'nothing reached the edge');
  // Nothing recorded then: the edge says so.
  const empty = await clip(zhang, 1, from - 3_600_000, from - 3_590_000);
  t.equal(empty.status, 404);
  t.match(await empty.json(), { error: { code: 'NO_FOOTAGE' } });
  // Longer than a relay may carry: refused before anything is asked.
  const long = await clip(zhang, 1, from, from + 120_000);
  t.equal(long.status, 400);
  t.match(await long.json(), { error: { code: 'INVALID_RANGE' } });
  t.same(
    tc.cloud.store.audit.after(villageId, 0, 1000).filter((e) => e.action === 'relay.clip').map((e) => e.detail?.outcome),
    ['served', 'forbidden', 'NO_FOOTAGE'],
    'the cloud audits each clip request it relayed or refused',
  );

  // A forged clip request for a camera the user may not see: the edge refuses it.
  const replies = tapRelayReplies(t);
  const id = randomBytes(16).toString('hex');
  const now = Date.now();
  t.ok(tc.cloud.sync.publishRelay(edgeId, { v: 1, id, kind: 'clip', cameraId: 1, user: 'li', at: now, expiresAt: now + 60_000, fromMs: from, toMs: to }));
  t.match(await waitFor('the edge refuses', () => replies.find((m) => m.id === id), 30_000, 50), { ok: false, reason: 'forbidden' });
});

/** A phone's live view of a camera; a refusal's body is held to the OpenAPI document. */
async function live(token: string, cameraId: number): Promise<LiveWatch> {
  const path = `/api/v1/villages/${villageId}/cameras/${cameraId}/live`;
  const w = await watchLive(`${tc.url}${path}`, token);
  if (w.status !== 200) await assertDocumented(tc.url, 'GET', path, w.status, w.headers.get('content-type'), w.error);
  else await assertDocumented(tc.url, 'GET', path, w.status, w.headers.get('content-type'), '');
  return w;
}
const liveAudit = (source: 'edge' | 'cloud') =>
  (edge.db.prepare("SELECT actor, role, target, detail FROM audit_log WHERE action = 'relay.live' AND source = ? ORDER BY id").all(source) as Array<{ actor: string; role: string | null; target: string; detail: string }>).map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
/** The phone got a stream it can start playing: the init segment, then a fragment that starts at a key frame. */
function startsPlayable(t: Test, w: LiveWatch, who: string): void {
  t.ok(w.init && w.init.subarray(4, 8).toString('latin1') === 'ftyp', `${who}: the init segment first`);
  t.ok(w.fragments[0]?.keyframe, `${who}: the first fragment starts at a key frame`);
}

t.test('live view: three phones watch one camera through one upload from the edge; it stops once they leave; both sides audit', async (t) => {
  const zhang = await phoneToken('zhang');
  const admin = await phoneToken('admin1');
  const first = await live(zhang, 1);
  t.equal(first.status, 200);
  t.equal(first.headers.get('content-type'), 'video/mp4');
  t.equal(first.headers.get('x-video-codec'), 'h264', 'the simulator sends H.264: the phone can play it');
  await waitFor('fragments for the first phone', () => first.fragments.length >= 3 || undefined, 60_000, 50);
  // A second phone of the same user and a phone of another user join the running stream.
  const second = await live(zhang, 1);
  const third = await live(admin, 1);
  t.same([second.status, third.status], [200, 200]);
  await waitFor('fragments for the late phones', () => (second.fragments.length >= 2 && third.fragments.length >= 2) || undefined, 60_000, 50);
  for (const [w, who] of [[first, 'first'], [second, 'second'], [third, 'third']] as const) startsPlayable(t, w, who);
  t.equal(edge.relayLive!.stats.opened, 1, 'the edge opened one upload for three phones');
  t.equal(tc.cloud.live.stats.uploads, 1, 'the cloud took one upload');
  t.same(edge.relayLive!.active().length, 1);

  // What a phone got is video ffmpeg decodes.
  const file = join(tmpDir(t, 'cunbox-relay-live-'), 'live.mp4');
  writeFileSync(file, first.bytes());
  t.ok((await decodeFrames(file)).frames > 0, 'decodable video');
  // Live bytes spend the village's relay budget like pictures do.
  t.ok(tc.cloud.relay.budget.spentBytes(villageId) >= first.bytes().length, 'the live bytes count against the relay budget');

  for (const w of [first, second, third]) w.stop();
  await waitFor('the edge stops uploading after the last phone left', () => edge.relayLive!.active().length === 0 || undefined, 60_000, 100);
  t.same(tc.cloud.live.active(), [], 'no channel left on the cloud');

  t.same(
    tc.cloud.store.audit.after(villageId, 0, 1000).filter((e) => e.action === 'relay.live').map((e) => [e.actor, e.target, e.detail?.outcome]),
    [['zhang', 'camera:1', 'served'], ['zhang', 'camera:1', 'served'], ['admin1', 'camera:1', 'served']],
    'the cloud audits every phone',
  );
  t.same(
    liveAudit('edge').map((r) => [r.actor, r.target, r.detail.outcome, r.detail.via]),
    [['zhang', 'camera:1', 'served', 'cloud'], ['admin1', 'camera:1', 'joined', 'cloud']],
    'the edge checked and audited each user it streamed for',
  );
});

t.test("live view: a phone without permission gets 403 and the edge is not asked", async (t) => {
  const opened = edge.relayLive!.stats.opened;
  const edgeRows = liveAudit('edge').length;
  const w = await live(await phoneToken('li'), 1);
  t.equal(w.status, 403);
  t.match(JSON.parse(w.error), { error: { code: 'FORBIDDEN' } });
  t.match(tc.cloud.store.audit.after(villageId, 0, 1000).filter((e) => e.action === 'relay.live').at(-1), { actor: 'li', target: 'camera:1', detail: { outcome: 'forbidden' } });
  t.equal(edge.relayLive!.stats.opened, opened, 'no upload');
  t.equal(liveAudit('edge').length, edgeRows, 'nothing reached the edge');

  // A forged live request (the cloud's broker login in the wrong hands) is refused by the edge, which uploads nothing.
  const replies = tapRelayReplies(t);
  const id = randomBytes(16).toString('hex');
  const now = Date.now();
  t.ok(tc.cloud.sync.publishRelay(edgeId, { v: 1, id, kind: 'live', cameraId: 1, user: 'li', at: now, expiresAt: now + 20_000 }));
  t.match(await waitFor('the edge refuses', () => replies.find((m) => m.id === id), 30_000, 50), { ok: false, reason: 'forbidden' });
  t.equal(edge.relayLive!.stats.opened, opened, 'still no upload');
  t.match(liveAudit('edge').at(-1), { actor: 'li', target: 'camera:1', detail: { outcome: 'forbidden', request: id } });
});

t.test('live view and a snapshot through a slow link (1 Mbit/s, 150 ms each way)', async (t) => {
  link.set('slow', { latencyMs: 150, bytesPerSec: 125_000 });
  t.teardown(() => link.set('pass'));
  const zhang = await phoneToken('zhang');
  const w = await live(zhang, 1);
  t.equal(w.status, 200);
  await waitFor('a few fragments over the slow link', () => w.fragments.length >= 5 || undefined, 90_000, 50);
  startsPlayable(t, w, 'over the slow link');
  // A picture still gets through beside the stream.
  const snap = await snapshot(zhang, 1);
  t.equal(snap.status, 200);
  t.ok(link.slowBytes.up > 0, 'the bytes went through the slow link');
  w.stop();
  await waitFor('the upload stops', () => edge.relayLive!.active().length === 0 || undefined, 60_000, 100);
});

t.test("live view: past the village's relay budget a new phone gets 429, before the edge is asked", async (t) => {
  const opened = edge.relayLive!.stats.opened;
  // Spend the rest of this minute's budget (as a burst of clips would).
  tc.cloud.relay.budget.spend(villageId, tc.cloud.relay.options.bytesPerWindow);
  const w = await live(await phoneToken('zhang'), 1);
  t.equal(w.status, 429);
  t.match(JSON.parse(w.error), { error: { code: 'RATE_LIMITED', message: /budget/ } });
  t.equal(edge.relayLive!.stats.opened, opened, 'the edge was not asked');
});
