/**
 * The cloud restarts while an edge stays connected to an external broker and
 * says nothing: the cloud must resume the downlink from the edge's retained
 * presence and its stored ack mark, not wait for the edge's next message, and
 * tell the edge its watermarks so that what the edge sent while it was down
 * goes again at once, not when the edge's resend timer runs out.
 * And while an edge's presence is offline, nothing is pumped to it.
 */
import t from 'tap';
import { testCloudData, testCloudStore } from '@cunbox/test-support/cloud-store';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { governanceModels, topic } from '@cunbox/shared';
import { Cloud, SERVICE_USER } from '../src/index.ts';
import { SERVICE_PASSWORD, OPERATOR_TOKEN, startMosquitto, testSyncOptions } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { assertConverged } from '@cunbox/test-support/converge';
import { tmpDir } from '@cunbox/test-support/tmp';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

let n = 0;
const draft = (what: string) => ({
  entityKind: 'ticket',
  entityId: `01JF${String(++n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: what, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'phone' },
});

t.test('after a cloud restart the downlink resumes to an idle edge; an offline edge gets nothing', async (t) => {
  const dir = tmpDir(t, 'cunbox-sync-restart-');
  const broker = await startMosquitto(dir);
  t.teardown(() => broker.kill());
  const log = pino({ level: process.env.CUNBOX_TEST_LOG ?? 'silent' });
  const config = { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'external' as const, url: broker.url, username: SERVICE_USER, password: SERVICE_PASSWORD, publicUrl: null } };
  let cloud = new Cloud({ config, log, syncOptions: testSyncOptions });
  await cloud.start();
  t.teardown(() => cloud.stop());

  const pair = async () => {
    const v = await cloud.data.createVillage(`v${n}`);
    const p = (await cloud.data.redeemPairCode(await cloud.data.createPairCode(v.id, 60_000)))!;
    return { village: v, edgeId: p.edge.edgeId, password: p.password };
  };
  const a = await pair();
  const b = await pair(); // a second edge, as a marker: what the cloud pumps to it shows a pump pass happened
  await broker.addUser(a.edgeId, a.password);
  await broker.addUser(b.edgeId, b.password);

  const edgeFile = join(dir, 'edge.db');
  const db = openDatabase(edgeFile);
  t.teardown(() => db.close());
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const startEdge = () => {
    const s = new SyncClient({
      db,
      store,
      clock: systemClock,
      log: silentLogger(),
      credentials: { edgeId: a.edgeId, mqttUrl: broker.url, username: a.edgeId, password: a.password },
      // A resend timer longer than the test: whatever is resent after the cloud's restart is resent because the cloud asked.
      options: { pollMs: 30, resendMs: 60_000, backoff: { baseMs: 50, maxMs: 300 } },
      audit: auditLogBeside(db),
    });
    s.start();
    return s;
  };
  let sync = startEdge();
  t.teardown(() => sync.stop());
  const applied = () => sync.status().appliedSeq;

  // Edge B is a raw client that says hello and acks nothing: the cloud keeps pumping to it.
  const bLink = await mqtt.connectAsync(broker.url, { username: b.edgeId, password: b.password, clientId: 'test-b', reconnectPeriod: 0, protocolVersion: 4 });
  t.teardown(() => bLink.endAsync(true));
  const bGot: string[] = [];
  bLink.on('message', (_tp, payload) => bGot.push(...(JSON.parse(payload.toString()) as { ops?: Array<{ id: string }> }).ops?.map((o) => o.id) ?? []));
  await bLink.subscribeAsync(topic(b.edgeId, 'down/ops'), { qos: 1 });
  await bLink.publishAsync(topic(b.edgeId, 'presence'), JSON.stringify({ v: 1, online: true, at: 1 }), { qos: 1, retain: true });
  await bLink.publishAsync(topic(b.edgeId, 'up/hello'), JSON.stringify({ v: 1, node: 'bbbbbbbbbbbbbbbb', appliedSeq: 0 }), { qos: 1 });

  await cloud.data.commit(a.village.id, 'phone', [draft('before the restart')]);
  cloud.sync.notify();
  await waitFor('the first op at the edge, and its ack stored in the cloud', async () => applied() === 1 && (await cloud.data.marks(a.edgeId)).downAcked === 1);

  // A spy on everything the edge says from now on.
  const spy = await mqtt.connectAsync(broker.url, { username: SERVICE_USER, password: SERVICE_PASSWORD, clientId: 'test-spy', reconnectPeriod: 0, protocolVersion: 4 });
  t.teardown(() => spy.endAsync(true));
  const said: string[] = [];
  const downOpsToA: number[] = [];
  const upOfA = `${topic(a.edgeId, 'up/hello').slice(0, -'hello'.length)}`;
  spy.on('message', (tp) => {
    if (tp.startsWith(upOfA)) said.push(tp.slice(tp.lastIndexOf('/up/') + 1));
    if (tp === topic(a.edgeId, 'down/ops')) downOpsToA.push(Date.now());
  });
  await spy.subscribeAsync([`${upOfA}#`, topic(a.edgeId, 'down/ops')], { qos: 1 });
  const connects = sync.stats.connects;

  await cloud.stop();
  // Made while the cloud is down: the broker drops it (no one subscribed), the edge waits for an ack.
  const [lost] = store.commit('admin', [draft('edge op while the cloud is down')]);
  await waitFor('the edge sent it', () => said.includes('up/ops'));
  said.length = 0;
  cloud = new Cloud({ config, log, syncOptions: testSyncOptions });
  await cloud.start();
  const t0 = Date.now();
  await cloud.data.commit(a.village.id, 'phone', [draft('after the restart')]);
  cloud.sync.notify();
  await waitFor('the op made after the restart reaches the idle edge', () => applied() === 2, 5_000);
  t.comment(`cloud restart → its op at the idle edge in ${Date.now() - t0} ms`);
  await waitFor('the edge op lost while the cloud was down arrives', async () => (await cloud.data.opsAfter(a.village.id, store.node, 0, 10)).some((o) => o.id === lost!.id), 5_000);
  t.comment(`cloud restart → the lost edge op in the cloud in ${Date.now() - t0} ms (the edge's resend timer is 60 s)`);
  t.equal(sync.stats.connects, connects, 'the edge did not reconnect');
  await waitFor("the edge's ack", () => said.includes('up/ack'));
  t.notOk(said.includes('up/hello'), 'the edge never said hello: the cloud resumed on its own');

  // Offline: a clean stop leaves a retained offline presence.
  await sync.stop();
  await waitFor('edge A offline in the cloud', async () => (await cloud.data.edge(a.edgeId))?.online === false);
  const downBefore = downOpsToA.length;
  await cloud.data.commit(a.village.id, 'phone', [draft('while A is offline 1'), draft('while A is offline 2')]);
  const marker1 = (await cloud.data.commit(b.village.id, 'phone', [draft('marker for a notify pass')]))[0]!;
  cloud.sync.notify();
  await waitFor('a notify pass reached B', () => bGot.includes(marker1.id));
  // No notify this time: the next tick's pass carries it.
  const marker2 = (await cloud.data.commit(b.village.id, 'phone', [draft('marker for a tick pass')]))[0]!;
  await waitFor('a tick pass reached B', () => bGot.includes(marker2.id));
  t.equal(downOpsToA.length, downBefore, 'nothing was pumped to the offline edge');

  // Back online: everything arrives, once.
  sync = startEdge();
  await waitFor('the ops made while offline arrive', async () => applied() === 4 && (await cloud.data.marks(a.edgeId)).downAcked === 4);
  await sync.stop();
  await cloud.stop();
  await assertConverged(t, edgeFile, testCloudData(join(dir, 'cloud')), a.village.id);
  // Teardown stops them again: harmless.
  cloud = new Cloud({ config, log, syncOptions: testSyncOptions });
});
