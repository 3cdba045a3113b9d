import t from 'tap';
import { join } from 'node:path';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { UserStore } from '../src/auth/users.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';

t.test('cunbox cloud pair, then the edge syncs tickets both ways through its config', async (t) => {
  const dir = tmpDir(t, 'cunbox-sync-edge-');
  const { cloud, url: cloudUrl, operator, villageWithCode } = await startTestCloud(t, dir);
  const { villageId, code } = await villageWithCode('东村');

  const edgeDir = join(dir, 'edge');
  const paired = await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code]);
  t.equal(paired.code, 0, paired.err);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string; password: string };
  t.equal(statSync(credFile).mode & 0o777, 0o600, 'credentials readable by the owner only');
  t.notMatch(paired.out, cred.password, 'the password is never printed');
  const reused = await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code, '--out', join(dir, 'again.json')]);
  t.not(reused.code, 0, 'a used pairing code is refused');

  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, `data_dir: ${edgeDir}\nhttp:\n  host: 127.0.0.1\n  port: 0\ncloud:\n  url: ${cloudUrl}\n  edge_id: ${JSON.stringify(cred.edgeId)}\n  credentials_file: ${credFile}\n`);
  const edge = new Edge({ config: parseConfig(readFileSync(configFile, 'utf8'), configFile), log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  t.ok(edge.sync, 'the sync part runs when the config has a cloud section');

  // A ticket made in the village office reaches the cloud's phone API ...
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin', password: 'A long password 1', role: 'admin' });
  const base = `http://127.0.0.1:${edge.http!.address.port}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'A long password 1' }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const made = await fetch(`${base}/api/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ category: 'garbage', description: '垃圾没清', place: '村委会' }) });
  t.equal(made.status, 201);
  edge.parts.events.record(null, 'camera.offline', { reason: 'test' });
  // ... and one made on a phone through the cloud reaches the edge's API.
  t.equal((await operator('POST', `/api/villages/${villageId}/tickets`, { category: 'facility', description: '桥边积水', place: '桥头' })).status, 201);
  const edgeTickets = async () => ((await fetch(`${base}/api/tickets`, { headers: { cookie } }).then((r) => r.json())) as { items?: Array<{ description: string }>; tickets?: Array<{ description: string }> });
  let seen: string[] = [];
  await waitFor('tickets on both sides', async () => (await cloud.data.opCount(villageId)) === 2 && (await cloud.data.eventCount(cred.edgeId)) === 1 && (edge.sync?.status().appliedSeq ?? 0) === 1);
  const listed = await edgeTickets();
  seen = (listed.items ?? listed.tickets ?? []).map((x) => x.description).sort();
  t.same(seen, ['垃圾没清', '桥边积水'].sort(), 'the edge lists both tickets');
  const cloudList = (await operator('GET', `/api/villages/${villageId}/tickets`)).json.tickets.map((x: { description: string }) => x.description).sort();
  t.same(cloudList, seen, 'the cloud lists the same');

  await waitFor('uplink confirmed', () => edge.sync!.status().opsPending === 0);
  const status = await cli(['--config', configFile, 'cloud', 'status', '--json']);
  t.equal(status.code, 0, status.err);
  const s = JSON.parse(status.out) as Record<string, unknown>;
  t.match(s, { configured: true, edgeId: cred.edgeId, opsPending: 0, appliedSeq: 1, deadLetters: 0 });
  t.notMatch(status.out, cred.password);
});
