// The relay's bounds, on a real cloud (embedded Aedes) and a real edge sync
// client that does not run the relay (an edge without cameras, or an older
// one): the phone gets a clear 504 after the bound, a village cannot stack up
// more waiting requests than its cap, an offline edge is a 503 at once, and
// the op stream keeps flowing while relay requests wait.
import t from 'tap';
import { testCloudStore } from '@cunbox/test-support/cloud-store';
import { join } from 'node:path';
import { pino } from 'pino';
import { Cloud } from '../src/index.ts';
import { OPERATOR_TOKEN, SERVICE_PASSWORD, testSyncOptions, type BrokerRig } from '@cunbox/test-support/brokers';
import { freePort } from '@cunbox/test-support/ports';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge } from './helpers/phone.ts';

t.test('bounded waits, a per-village cap, and ops that never wait for the relay', async (t) => {
  const dir = tmpDir(t, 'cunbox-relay-bounds-');
  const port = await freePort();
  const cloud = new Cloud({
    config: { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded', host: '127.0.0.1', port, publicUrl: null } },
    log: pino({ level: 'silent' }),
    syncOptions: testSyncOptions,
    servicePassword: SERVICE_PASSWORD,
    relayOptions: { timeoutMs: 1500, maxPendingPerVillage: 2 },
  });
  await cloud.start();
  t.teardown(() => cloud.stop());
  const rig = { name: 'aedes', cloud, url: `mqtt://127.0.0.1:${port}`, addUser: async () => undefined } as unknown as BrokerRig;
  const village = await pairVillage(rig, '南村');
  const edge = await startVillageEdge(t, dir, village, 'edge', [{ username: 'wang', role: 'admin' }]);
  await waitFor('accounts synced', async () => (await cloud.data.accounts.user(village.villageId, 'wang')), 30_000);
  await waitFor('edge online', async () => (await cloud.data.edges(village.villageId))[0]?.online || undefined, 30_000);
  const login = await http(rig, 'POST', `/api/v1/villages/${village.villageId}/login`, { body: { username: 'wang', password: passwordOf('wang') } });
  const token = login.json.token as string;
  const snap = (cameraId: number) => http(rig, 'GET', `/api/v1/villages/${village.villageId}/cameras/${cameraId}/snapshot`, { token });

  // Two requests wait on the silent edge (the cap); a third is refused at once, before the edge is asked.
  const waiting = [snap(1), snap(2)];
  await waitFor('two requests waiting', () => cloud.relay.stats.requested === 2 || undefined, 10_000);
  const third = await snap(3);
  t.equal(third.status, 429);
  t.match(third.json, { error: { code: 'RATE_LIMITED', message: /at most 2 camera requests/ } });
  t.equal(cloud.relay.stats.requested, 2, 'the third never reached the edge');

  // Meanwhile the op stream flows: an op made at the edge is committed in the cloud.
  const before = (await cloud.data.edges(village.villageId))[0]!.opsCommitted;
  const ticket = edge.gov.tickets.create({ username: 'wang', role: 'admin' }, { category: 'garbage', description: '桥头垃圾', place: '桥头' });
  t.ok(ticket.id);
  await waitFor('the op reached the cloud', async () => (await cloud.data.edges(village.villageId))[0]!.opsCommitted > before || undefined, 10_000);

  // No answer within the bound: 504 with the code and a message that says why.
  for (const r of await Promise.all(waiting)) {
    t.equal(r.status, 504);
    t.match(r.json, { error: { code: 'RELAY_TIMEOUT', message: /did not answer within 1500 ms/ } });
  }
  // The edge saw the requests and dead-lettered them (it does not run the relay); nothing crashed.
  await waitFor('dead-lettered at the edge', () => ((edge.db.prepare("SELECT COUNT(*) AS n FROM sync_dead_letters WHERE reason LIKE 'relay is not enabled%'").get() as { n: number }).n === 2) || undefined, 10_000);
  t.same(
    (await cloud.data.audit.after(village.villageId, 0, 100)).filter((e) => e.action === 'relay.snapshot').map((e) => `${e.target} ${String(e.detail?.outcome)}`).sort(),
    ['camera:1 RELAY_TIMEOUT', 'camera:2 RELAY_TIMEOUT', 'camera:3 RATE_LIMITED'],
    'every request audited with its outcome',
  );

  // The edge goes offline: 503 at once.
  await edge.sync.stop();
  await waitFor('edge offline', async () => ((await cloud.data.edges(village.villageId))[0]?.online === false) || undefined, 30_000);
  const offline = await snap(1);
  t.equal(offline.status, 503);
  t.match(offline.json, { error: { code: 'UNAVAILABLE', message: /offline/ } });
});
