/**
 * 随手拍 from a phone: the photo goes to the cloud's phone API (multipart,
 * checked by its bytes, re-encoded without EXIF), a ticket names it, and the
 * village's edge fetches it from the cloud by itself, so the office sees it
 * through the edge's own API. A real cloud (embedded Aedes broker, SQLite),
 * a real composed Edge paired with `cunbox cloud pair`, real HTTP throughout.
 */
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Edge } from '../../edge/src/edge.ts';
import { parseConfig } from '../../edge/src/config/load.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { UserStore } from '../../edge/src/auth/users.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';

const PASSWORD = 'A long password 1';

t.test('a phone photo reaches the edge: upload, ticket, fetched by the edge', async (t) => {
  const dir = tmpDir(t, 'cunbox-media-phone-');
  const tc = await startTestCloud(t, dir);
  const { villageId, code } = await tc.villageWithCode('东村');
  const edgeDir = join(dir, 'edge');
  t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', tc.url, '--code', code])).code, 0);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string; password: string };
  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, `data_dir: ${edgeDir}\nhttp:\n  host: 127.0.0.1\n  port: 0\ncloud:\n  url: ${tc.url}\n  edge_id: ${JSON.stringify(cred.edgeId)}\n  credentials_file: ${credFile}\n`);
  const edge = new Edge({ config: parseConfig(readFileSync(configFile, 'utf8'), configFile), log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  t.ok(edge.mediaDownloader, 'the downloader runs with a cloud section and the API');

  const users = new UserStore({ db: edge.db, clock: systemClock });
  await users.create({ username: 'admin', password: PASSWORD, role: 'admin' });
  await users.create({ username: 'villager', password: PASSWORD, role: 'villager' });
  await waitFor('accounts synced to the cloud', async () => (await tc.cloud.data.accounts.user(villageId, 'villager')) !== undefined);

  const phone = `${tc.url}/api/v1/villages/${villageId}`;
  const login = await fetch(`${phone}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'villager', password: PASSWORD }) });
  t.equal(login.status, 200);
  const token = ((await login.json()) as { token: string }).token;
  const auth = { authorization: `Bearer ${token}` };
  const upload = async (bytes: Buffer, name: string, type: string, field = 'file') => {
    const form = new FormData();
    form.append(field, new Blob([bytes], { type }), name);
    const r = await fetch(`${phone}/media`, { method: 'POST', headers: auth, body: form });
    return { status: r.status, json: (await r.json()) as any };
  };

  // A JPEG with a GPS position in its EXIF, sent with a misleading name and type: judged by its bytes.
  const jpeg = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: { r: 30, g: 120, b: 200 } } })
    .withExif({ IFD0: { Make: 'PhoneCo', Copyright: 'someone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '31/1 30/1 0/1' } })
    .jpeg()
    .toBuffer();
  t.ok((await sharp(jpeg).metadata()).exif, 'the test photo carries EXIF');
  const up = await upload(jpeg, 'photo.png', 'image/png');
  t.equal(up.status, 201, JSON.stringify(up.json));
  t.match(up.json.media, { id: /^[0-9A-Z]{26}$/, mime: 'image/jpeg', width: 2048, height: 1024 });
  const photoId = up.json.media.id as string;
  const stored = await fetch(`${tc.url}/api/villages/${villageId}/media/${photoId}`, { headers: auth });
  t.equal(stored.status, 200, 'the phone reads it back by its id');
  t.equal(stored.headers.get('etag'), `"${up.json.media.sha256}"`, 'content-addressed');
  const meta = await sharp(Buffer.from(await stored.arrayBuffer())).metadata();
  t.equal(meta.exif, undefined, 'no EXIF (GPS) kept in the cloud');

  const made = await fetch(`${phone}/tickets`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ category: 'garbage', description: '垃圾没清', place: '村委会', photos: [photoId] }) });
  t.equal(made.status, 201);
  const ticket = ((await made.json()) as { ticket: { id: string; photos: string[] } }).ticket;
  t.same(ticket.photos, [photoId]);

  // The office: the edge's own API serves the photo under the same id, fetched from the cloud.
  await users.create({ username: 'office', password: PASSWORD, role: 'cadre' });
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const edgeLogin = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'office', password: PASSWORD }) });
  const cookie = edgeLogin.headers.get('set-cookie')!.split(';')[0]!;
  await waitFor('the edge has the ticket and its photo', async () => (await fetch(`${base}/api/media/${photoId}`, { headers: { cookie } })).status === 200, 60_000);
  const atEdge = await fetch(`${base}/api/tickets/${ticket.id}`, { headers: { cookie } }).then((r) => r.json() as Promise<{ ticket: { photos: string[] } }>);
  t.same(atEdge.ticket.photos, [photoId], 'the edge ticket names the photo');
  const edgePhoto = await fetch(`${base}/api/media/${photoId}`, { headers: { cookie } });
  t.equal(edgePhoto.headers.get('content-type'), 'image/jpeg');
  t.match(await sharp(Buffer.from(await edgePhoto.arrayBuffer())).metadata(), { format: 'jpeg', width: 2048, height: 1024 });
  t.equal(edge.mediaDownloader!.stats.fetched, 1);

  // A second photo added to the existing ticket by its reporter.
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
  const second = await upload(png, 'x.bin', 'application/octet-stream');
  t.equal(second.status, 201);
  const added = await fetch(`${phone}/tickets/${ticket.id}/photos`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ photos: [second.json.media.id] }) });
  t.equal(added.status, 200);
  t.same(((await added.json()) as { ticket: { photos: string[] } }).ticket.photos, [photoId, second.json.media.id]);
  await waitFor('the second photo at the edge', async () => (await fetch(`${base}/api/media/${second.json.media.id}`, { headers: { cookie } })).status === 200, 60_000);
  t.notMatch(JSON.stringify(edge.mediaDownloader!.stats), cred.password);
});

t.test('what a phone upload refuses, with clear errors, and a stored nothing', async (t) => {
  const dir = tmpDir(t, 'cunbox-media-phone-bad-');
  const tc = await startTestCloud(t, dir);
  const { villageId } = await tc.villageWithCode('西村');
  // A phone account put into the cloud's account table as the edge's users snapshot puts it, and a session for it.
  const accounts = tc.cloud.data.accounts;
  await accounts.putUsers(villageId, 'edge', { v: 1, version: 'v1', at: Date.now(), users: [{ username: 'villager', displayName: null, role: 'villager', passwordHash: 'unused', disabled: false, cameras: null }] });
  const { token } = await accounts.createSession(villageId, 'villager', 3600_000);
  const phone = `${tc.url}/api/v1/villages/${villageId}`;
  const auth = { authorization: `Bearer ${token}` };
  const send = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${phone}/media`, { method: 'POST', headers: { ...auth, ...headers }, body });
    return { status: r.status, json: (await r.json()) as { error: { code: string; message: string } } };
  };
  const form = (bytes: Buffer, name = 'a.jpg', field = 'file') => {
    const f = new FormData();
    f.append(field, new Blob([bytes], { type: 'image/jpeg' }), name);
    return f;
  };
  const cases: Array<[string, () => Promise<{ status: number; json: { error: { code: string; message: string } } }>, number, string, RegExp]> = [
    ['text named .jpg', () => send(form(Buffer.from('hello, not a photo at all'))), 415, 'UNSUPPORTED_MEDIA_TYPE', /not an image/],
    ['a PDF', () => send(form(Buffer.from('%PDF-1.4\n%âãÏÓ\n'))), 415, 'UNSUPPORTED_MEDIA_TYPE', /not an image/],
    ['empty', () => send(form(Buffer.alloc(0))), 400, 'INVALID_INPUT', /empty file/],
    ['over 10 MiB', () => send(form(Buffer.alloc(10 * 1024 * 1024 + 1, 0xff))), 413, 'PAYLOAD_TOO_LARGE', /larger than 10485760 bytes/],
    ['wrong field', () => send(form(Buffer.from('x'), 'a.jpg', 'photo')), 400, 'INVALID_INPUT', /field "file"/],
    ['JSON instead of multipart', () => send(JSON.stringify({ file: 'x' }), { 'content-type': 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE', /multipart\/form-data/],
  ];
  for (const [what, call, status, code, message] of cases) {
    const r = await call();
    t.equal(r.status, status, `${what}: ${status}`);
    t.match(r.json, { error: { code, message } }, `${what}: ${code}`);
  }
  t.equal(tc.cloud.media.stats.phonePhotos, 0, 'nothing stored');
  const noAuth = await fetch(`${phone}/media`, { method: 'POST', body: form(Buffer.from('x')) });
  t.equal(noAuth.status, 401, 'no token: refused before the file is read');
  const ticket = await fetch(`${phone}/tickets`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ category: 'garbage', description: '垃圾', place: '村口', photos: ['01JF0000000000000000000000'] }) });
  t.equal(ticket.status, 400, 'a ticket cannot name a photo the cloud does not hold');
  t.match(await ticket.json(), { error: { code: 'INVALID_INPUT', message: /no uploaded photo/ } });
});
