/**
 * `cunbox-cloud move-village`: a real cloud on SQLite with a paired, synced
 * edge and a phone ticket with a photo is stopped, its village moved to a
 * cloud on a throwaway PostgreSQL (another data directory), and the new cloud
 * started on the same ports: the edge syncs on with the credentials it paired
 * with, a phone signs in again and sees the ticket and its photo, and the two
 * sides converge with nothing lost or doubled. And what the move refuses.
 */
import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { loadOrCreateKey, type TicketState } from '@cunbox/shared';
import { Cloud, loadCloudConfig } from '../src/index.ts';
import { run } from '../src/cli/main.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { startPostgres } from '@cunbox/test-support/postgres';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { assertConverged } from '@cunbox/test-support/converge';
import { freePort } from '@cunbox/test-support/ports';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { passwordOf, startVillageEdge, type PairedVillage } from './helpers/phone.ts';

const DB_PASSWORD = 'Db-Secret-9c1e';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env: { LANG: 'C' } });
  return { code, out, err };
}

t.test('a village moves from SQLite to PostgreSQL: the edge syncs on, a phone sees its ticket and photo', async (t) => {
  const server = startPostgres(t);
  if (!server) return;
  const dir = tmpDir(t, 'cunbox-move-village-');
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'token'), OPERATOR_TOKEN);
  writeFileSync(join(dir, 'db-url'), server.url.replace('postgresql://postgres@', `postgresql://postgres:${DB_PASSWORD}@`), { mode: 0o600 });
  const ports = `http:\n  port: ${httpPort}\nmqtt:\n  port: ${mqttPort}\n`;
  const oldYaml = join(dir, 'old.yaml');
  const newYaml = join(dir, 'new.yaml');
  writeFileSync(oldYaml, `data_dir: old\noperator_token_file: token\n${ports}`);
  writeFileSync(newYaml, `data_dir: new\noperator_token_file: token\nstore:\n  kind: postgres\n  url_file: db-url\n${ports}`);

  const old = new Cloud({ config: loadCloudConfig(oldYaml), log: silentLogger(), phoneApp: null });
  await old.start();
  let oldRunning = true;
  t.teardown(async () => void (oldRunning && (await old.stop())));
  const base = `http://127.0.0.1:${httpPort}`;
  const call = async (method: string, path: string, body?: unknown, token = OPERATOR_TOKEN) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as any };
  };
  // A village made first and left behind: the moved one is #2, so its id is kept, not renumbered.
  await call('POST', '/api/villages', { name: '西村' });
  const village = await call('POST', '/api/villages', { name: '东村' });
  const villageId = village.json.id as number;
  t.equal(villageId, 2);
  const code = await call('POST', `/api/villages/${villageId}/pair-codes`);
  const paired = (await call('POST', '/api/pair', { code: code.json.code })).json as PairedVillage;
  const edge = await startVillageEdge(t, dir, paired, 'edge', [{ username: 'zhangsan', role: 'villager' }]);
  await waitFor('the edge\'s accounts at the cloud', async () => (await old.data.accounts.user(villageId, 'zhangsan')) !== undefined);

  const phone = `/api/v1/villages/${villageId}`;
  const login = await call('POST', `${phone}/login`, { username: 'zhangsan', password: passwordOf('zhangsan') }, '');
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 60, b: 20 } } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
  const up = (await (await fetch(`${base}${phone}/media`, { method: 'POST', headers: { authorization: `Bearer ${login.json.token}` }, body: form })).json()) as any;
  const photoId = up.media.id as string;
  const filed = await call('POST', `${phone}/tickets`, { category: 'garbage', description: '桥头有垃圾', place: '东村桥头', photos: [photoId] }, login.json.token);
  t.equal(filed.status, 201, 'a ticket with a photo');
  const ticketId = filed.json.ticket.id as string;
  await waitFor('the ticket at the edge', () => edge.gov.store.get<TicketState>('ticket', ticketId) !== undefined);

  const busy = await cli(['move-village', '--from-config', oldYaml, '--to-config', newYaml, '--village', String(villageId)]);
  t.equal(busy.code, 69, 'refused while the old cloud runs');
  t.match(busy.err, /is in use: stop the old cloud first/);

  await old.stop();
  oldRunning = false;
  const toSqlite = await cli(['move-village', '--from-config', oldYaml, '--to-config', oldYaml, '--village', String(villageId)]);
  t.equal(toSqlite.code, 64);
  t.match(toSqlite.err, /must be on PostgreSQL/);
  const missing = await cli(['move-village', '--from-config', oldYaml, '--to-config', newYaml, '--village', '9']);
  t.equal(missing.code, 66);
  t.match(missing.err, /no village #9/);

  // A target that made its own key: the sealed fields of the village could not be opened there.
  loadOrCreateKey(join(dir, 'new', 'keys', 'data.key'));
  const otherKey = await cli(['move-village', '--from-config', oldYaml, '--to-config', newYaml, '--village', String(villageId)]);
  t.equal(otherKey.code, 64, 'refused when the keys differ');
  t.match(otherKey.err, /different data keys/);
  rmSync(join(dir, 'new', 'keys'), { recursive: true });

  const moved = await cli(['move-village', '--from-config', oldYaml, '--to-config', newYaml, '--village', String(villageId)]);
  t.equal(moved.code, 0, moved.err);
  t.match(moved.out, /^ops: \d+ rows copied$/m, 'progress per table');
  t.match(moved.out, /^edges: 1 rows copied$/m);
  t.match(moved.out, /^media_objects: 1 rows copied$/m);
  t.match(moved.out, /village #2 东村 moved: \d+ ops/);
  t.match(moved.out, /media files: 1 copied/);
  t.match(moved.out, /left behind: phone_sessions, phone_login_failures/);
  t.notMatch(moved.out + moved.err, DB_PASSWORD, 'the database password is never printed');
  t.same(readFileSync(join(dir, 'new', 'keys', 'data.key')), readFileSync(join(dir, 'old', 'keys', 'data.key')), 'the data key went along');

  const again = await cli(['move-village', '--from-config', oldYaml, '--to-config', newYaml, '--village', String(villageId)]);
  t.equal(again.code, 64, 'a second move is refused');
  t.match(again.err, /already has village #2/);

  const cloud = new Cloud({ config: loadCloudConfig(newYaml), log: silentLogger(), phoneApp: null });
  await cloud.start();
  t.teardown(() => cloud.stop());
  t.equal((await call('GET', `${phone}/tickets/${ticketId}`, undefined, login.json.token)).status, 401, 'the old phone session stayed behind');
  const relogin = await call('POST', `${phone}/login`, { username: 'zhangsan', password: passwordOf('zhangsan') }, '');
  t.equal(relogin.status, 200, 'the phone signs in again');
  const read = await call('GET', `${phone}/tickets/${ticketId}`, undefined, relogin.json.token);
  t.same(read.json.ticket.photos, [photoId], 'the ticket and its photo id');
  const photo = await fetch(`${base}/api/villages/${villageId}/media/${photoId}`, { headers: { authorization: `Bearer ${relogin.json.token}` } });
  t.equal(photo.status, 200, 'the photo itself');
  t.same(Buffer.from(await photo.arrayBuffer()).length > 0, true);

  const second = await call('POST', `${phone}/tickets`, { category: 'garbage', description: '村口垃圾桶满了', place: '村口' }, relogin.json.token);
  t.equal(second.status, 201);
  await waitFor('the new ticket reaches the edge over its old credentials', () => edge.gov.store.get<TicketState>('ticket', second.json.ticket.id) !== undefined, 60_000);
  const made = await call('POST', '/api/villages', { name: '南村' });
  t.equal(made.json.id, 3, 'the next village made on the new cloud draws a fresh id');
  await assertConverged(t, join(dir, 'edge.db'), { url: server.url, dataDir: join(dir, 'new') }, villageId, [`ticket/${ticketId}`, `ticket/${second.json.ticket.id}`]);
});
