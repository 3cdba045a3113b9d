/**
 * The edge's composition: with a `cloud:` section (and upload_kbps) the edge
 * runs the media uploader; a photo uploaded to the edge's API and named by a
 * ticket reaches the cloud by itself, and `cunbox cloud status` counts it.
 */
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { UserStore } from '../src/auth/users.ts';
import { readMediaStatus } from '../src/sync/media-queue.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';

t.test('a ticket photo made at the edge reaches the cloud beside the ops', async (t) => {
  const dir = tmpDir(t, 'cunbox-media-edge-');
  const { url: cloudUrl, token, villageWithCode } = await startTestCloud(t, dir);
  const { villageId, code } = await villageWithCode('东村');
  const edgeDir = join(dir, 'edge');
  t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code])).code, 0);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string; password: string };

  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, `data_dir: ${edgeDir}\nhttp:\n  host: 127.0.0.1\n  port: 0\ncloud:\n  url: ${cloudUrl}\n  edge_id: ${JSON.stringify(cred.edgeId)}\n  credentials_file: ${credFile}\n  upload_kbps: 4000\n`);
  const config = parseConfig(readFileSync(configFile, 'utf8'), configFile);
  t.equal(config.cloud?.uploadKbps, 4000, 'upload_kbps read from the config');
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  t.ok(edge.mediaUploader, 'the uploader runs with a cloud section');

  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin', password: 'A long password 1', role: 'admin' });
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'A long password 1' }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([png], { type: 'image/png' }), 'photo.png');
  const up = await fetch(`${base}/api/media`, { method: 'POST', headers: { cookie }, body: form });
  t.equal(up.status, 201);
  const mediaId = ((await up.json()) as { media: { id: string } }).media.id;
  const made = await fetch(`${base}/api/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ category: 'garbage', description: '垃圾没清', place: '村委会', photos: [mediaId] }) });
  t.equal(made.status, 201);

  await waitFor('photo uploaded', () => readMediaStatus(edge.db).mediaDone === 1);
  const atEdge = await fetch(`${base}/api/media/${mediaId}`, { headers: { cookie } }).then(async (r) => Buffer.from(await r.arrayBuffer()));
  const atCloud = await fetch(`${cloudUrl}/api/villages/${villageId}/media/${mediaId}`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(atCloud.status, 200);
  t.ok(Buffer.from(await atCloud.arrayBuffer()).equals(atEdge), 'the cloud serves the same bytes the edge stored, by the media id');

  const status = await cli(['--config', configFile, 'cloud', 'status', '--json']);
  t.equal(status.code, 0, status.err);
  t.match(JSON.parse(status.out), { mediaPending: 0, mediaPendingBytes: 0, mediaDone: 1, mediaFailed: 0 });
  const text = await cli(['--config', configFile, 'cloud', 'status']);
  t.match(text.out, /media: 0 waiting \(0 B\), 1 uploaded, 0 given up/);
  t.notMatch(text.out + status.out, cred.password, 'the password is never printed');
});

t.test('an approved certificate reaches the cloud as a PDF by itself (the composed uploader renders it)', async (t) => {
  const dir = tmpDir(t, 'cunbox-media-edge-cert-');
  const tc = await startTestCloud(t, dir);
  const { villageId, code } = await tc.villageWithCode('东村');
  const edgeDir = join(dir, 'edge');
  t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', tc.url, '--code', code])).code, 0);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string };
  const yaml = `data_dir: ${edgeDir}\nhttp:\n  host: 127.0.0.1\n  port: 0\ncloud:\n  url: ${tc.url}\n  edge_id: ${JSON.stringify(cred.edgeId)}\n  credentials_file: ${credFile}\nvillage:\n  name: 东村\n  verify_base_url: https://dongcun.example.cn\n`;
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());

  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin', password: 'A long password 1', role: 'admin' });
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'A long password 1' }) });
  const headers = { cookie: login.headers.get('set-cookie')!.split(';')[0]!, 'content-type': 'application/json' };
  const asked = await fetch(`${base}/api/certificates`, { method: 'POST', headers, body: JSON.stringify({ type: 'residence', purpose: '办理社保', applicantName: '张三' }) });
  t.equal(asked.status, 201);
  const id = ((await asked.json()) as { certificate: { id: string } }).certificate.id;
  t.equal((await fetch(`${base}/api/certificates/${id}/approve`, { method: 'POST', headers, body: '{}' })).status, 200);

  const atCloud = await waitFor('the PDF at the cloud', async () => (await tc.cloud.media.find(villageId, `certificate-${id}`)) || undefined, 60_000, 200);
  t.match(atCloud, { kind: 'certificate-pdf', mime: 'application/pdf' });
  t.equal(readFileSync(atCloud.path).subarray(0, 5).toString('latin1'), '%PDF-');
});
