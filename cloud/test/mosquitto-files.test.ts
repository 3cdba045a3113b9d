import t from 'tap';
import { testCloudStore } from '@cunbox/test-support/cloud-store';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { pbkdf2Sync } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { governanceModels, topic, edgeSubscriptions } from '@cunbox/shared';
import { Cloud, SERVICE_USER, parseCloudConfig } from '../src/index.ts';
import { MosquittoFiles, mosquittoHash } from '../src/mosquitto-files.ts';
import { OPERATOR_TOKEN, SERVICE_PASSWORD, startMosquitto, testSyncOptions, loginWorks, type Paired } from '@cunbox/test-support/brokers';
import { freePort } from '@cunbox/test-support/ports';
import { waitFor } from '@cunbox/test-support/wait';
import { startEdgeSync } from '@cunbox/test-support/edge-sync';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const dir = tmpDir(t, 'cunbox-mosquitto-files-');
const files = { passwordFile: join(dir, 'passwd'), aclFile: join(dir, 'acl'), pidFile: join(dir, 'mosquitto.pid') };

async function connect(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { username, password, clientId, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 });
}

t.test("Mosquitto's hash format: PBKDF2-SHA512, 101 rounds, as mosquitto_passwd writes it", async (t) => {
  const h = mosquittoHash('secret', Buffer.alloc(12, 7));
  const [, kind, rounds, salt, digest] = h.split('$');
  t.equal(kind, '7');
  t.equal(rounds, '101');
  t.equal(Buffer.from(salt!, 'base64').length, 12);
  t.equal(digest, pbkdf2Sync('secret', Buffer.alloc(12, 7), 101, 64, 'sha512').toString('base64'));
});

t.test('two writes at once (two pairings): the one that read the store later lands last', async (t) => {
  const own = { passwordFile: join(dir, 'order-passwd'), aclFile: join(dir, 'order-acl'), pidFile: join(dir, 'no-such.pid') };
  const edges: Array<{ edgeId: string; hash: string }> = [];
  let reads = 0;
  // The first read answers slowly, the second at once: as a database may answer two queries.
  const source = {
    brokerHashes: async () => {
      const snapshot = [...edges];
      await new Promise((r) => setTimeout(r, ++reads === 2 ? 100 : 0));
      return snapshot;
    },
    edgesWithoutBrokerHash: async () => [],
    adoptBrokerHash: async () => undefined,
  };
  const m = new MosquittoFiles({ config: own, serviceUser: SERVICE_USER, servicePassword: 'svc', source, log: pino({ level: 'silent' }), signal: () => undefined });
  await m.start();
  edges.push({ edgeId: '00000000000000a1', hash: mosquittoHash('a') });
  const first = m.apply();
  edges.push({ edgeId: '00000000000000b2', hash: mosquittoHash('b') });
  const second = m.apply();
  await Promise.all([first, second]);
  const users = readFileSync(own.passwordFile, 'utf8').split('\n').map((l) => l.split(':')[0]);
  t.same(users.filter((u) => u && u !== SERVICE_USER), ['00000000000000a1', '00000000000000b2'], 'both edges in the file: the slower first read did not overwrite the second');
});

t.test('config: mqtt.mosquitto names the files, relative to the config; only with an external broker', async (t) => {
  writeFileSync(join(dir, 'token'), 'x');
  writeFileSync(join(dir, 'svc'), 'y');
  const base = 'data_dir: d\noperator_token_file: token\n';
  const c = parseCloudConfig(`${base}mqtt:\n  url: mqtt://127.0.0.1:1883\n  username: cunbox-cloud\n  password_file: svc\n  mosquitto: { password_file: m/passwd, acl_file: m/acl, pid_file: /run/mosquitto/mosquitto.pid }\n`, join(dir, 'c.yaml'));
  t.same(c.mqtt.mode === 'external' && c.mqtt.mosquitto, { passwordFile: join(dir, 'm/passwd'), aclFile: join(dir, 'm/acl'), pidFile: '/run/mosquitto/mosquitto.pid' });
  t.throws(() => parseCloudConfig(`${base}mqtt:\n  mosquitto: { password_file: p, acl_file: a, pid_file: i }\n`, join(dir, 'c.yaml')), /needs an external broker/);
  t.throws(() => parseCloudConfig(`${base}mqtt:\n  url: mqtt://h\n  username: u\n  password_file: svc\n  mosquitto: { password_file: p }\n`, join(dir, 'c.yaml')), /acl_file/);
});

t.test('the cloud provisions paired edges into an external Mosquitto', async (t) => {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  // The cloud writes the files first (no broker yet: nothing to signal); the broker starts on them.
  const cloud = new Cloud({
    config: {
      dataDir: join(dir, 'cloud'),
      store: testCloudStore(join(dir, 'cloud')),
      http: { host: '127.0.0.1', port: 0 },
      operatorToken: OPERATOR_TOKEN,
      mqtt: { mode: 'external', url, username: SERVICE_USER, password: SERVICE_PASSWORD, publicUrl: null, mosquitto: files },
    },
    log: pino({ level: process.env.CUNBOX_TEST_LOG ?? 'silent' }),
    syncOptions: testSyncOptions,
  });
  await cloud.start();
  t.teardown(() => cloud.stop());
  t.match(readFileSync(files.passwordFile, 'utf8'), new RegExp(`^${SERVICE_USER}:\\$7\\$101\\$`), 'the service user is in the password file');
  const broker = await startMosquitto(dir, files, port);
  t.teardown(() => broker.kill());
  await waitFor('the cloud logged in to Mosquitto with the hash it wrote', () => cloud.sync.connected);

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`http://127.0.0.1:${cloud.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json() };
  };
  const pair = async (name: string): Promise<Paired> => {
    const v = await api('POST', '/api/villages', { name });
    const code = await api('POST', `/api/villages/${v.json.id}/pair-codes`);
    const p = await api('POST', '/api/pair', { code: code.json.code });
    t.equal(p.status, 200, `${name} paired`);
    return p.json as Paired;
  };

  const a = await pair('东村');
  t.match(readFileSync(files.passwordFile, 'utf8'), `\n${a.edgeId}:$7$101$`, "the new edge's hash is in the file");
  t.notMatch(readFileSync(files.passwordFile, 'utf8'), a.password, 'never the password itself');

  await t.test('the new edge logs in with its pairing credentials and syncs', async (t) => {
    const db = openDatabase(join(dir, 'edge-a.db'));
    const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
    const sync = startEdgeSync(t, db, store, { edgeId: a.edgeId, mqttUrl: a.mqttUrl, username: a.username, password: a.password });
    store.commit('admin', [{ entityKind: 'ticket', entityId: '01JD0000000000000000000001', type: 'ticket.created', payload: { category: 'other', description: '路灯坏了' } }]);
    await waitFor("the edge's op at the cloud", async () => (await cloud.data.opCount(a.villageId)) === 1);
    await cloud.data.commit(a.villageId, 'phone', [{ entityKind: 'ticket', entityId: '01JD0000000000000000000001', type: 'ticket.comment', payload: { commentId: 'c1', text: '收到' } }]);
    cloud.sync.notify();
    await waitFor("the cloud's op at the edge", () => (db.prepare('SELECT COUNT(*) AS n FROM gov_ops').get() as { n: number }).n === 2);
    t.ok(sync, 'synced both ways through Mosquitto');
  });

  await t.test('an unpaired edge and a wrong password are refused', async (t) => {
    t.notOk(await loginWorks(url, '0123456789abcdef', 'made-up-password'), 'an edge id the cloud never paired');
    t.notOk(await loginWorks(url, a.edgeId, `${a.password}x`), "a paired edge's id with a wrong password");
    t.ok(await loginWorks(url, a.edgeId, a.password), 'the right password still works');
  });

  await t.test("an edge cannot touch another edge's topics", async (t) => {
    const b = await pair('西村');
    await waitFor('B let in once Mosquitto re-read its files', () => loginWorks(url, b.username, b.password));
    const watcher = await connect(url, SERVICE_USER, SERVICE_PASSWORD, 'test-watcher');
    const seen: string[] = [];
    watcher.on('message', (tp) => seen.push(tp));
    await watcher.subscribeAsync([`cunbox/v1/${b.edgeId}/#`, `cunbox/v1/${a.edgeId}/up/ack`], { qos: 1 });
    const bDown: string[] = [];
    const spy = await connect(url, a.username, a.password, 'test-a-spy');
    spy.on('message', (tp) => bDown.push(tp));
    await spy.subscribeAsync(edgeSubscriptions(b.edgeId), { qos: 1 });
    spy.publish(topic(b.edgeId, 'up/hello'), JSON.stringify({ v: 1, node: 'aaaaaaaaaaaaaaaa', appliedSeq: 0 }), { qos: 0 });
    // A marker on A's own topic after the forgery on the same connection: once it is seen, the forgery would have been.
    spy.publish(topic(a.edgeId, 'up/ack'), 'marker', { qos: 0 });
    await waitFor("the marker on A's own topic", () => seen.includes(topic(a.edgeId, 'up/ack')));
    await watcher.publishAsync(topic(b.edgeId, 'down/ack'), JSON.stringify({ v: 1, stream: 'ops', origin: 'bbbbbbbbbbbbbbbb', seq: 0 }), { qos: 1 });
    await waitFor("the watcher's own message on B's downlink", () => seen.includes(topic(b.edgeId, 'down/ack')));
    t.notOk(seen.includes(topic(b.edgeId, 'up/hello')), "A's publish on B's uplink was dropped by the ACL");
    t.same(bDown, [], "A received nothing of B's downlink");
    await spy.endAsync(true);
    await watcher.endAsync(true);
  });

  await t.test('a revoked edge is refused; the others are not', async (t) => {
    const c = await pair('南村');
    await waitFor('C let in', () => loginWorks(url, c.username, c.password));
    t.ok(await cloud.revokeEdge(c.edgeId), 'revoked');
    t.notMatch(readFileSync(files.passwordFile, 'utf8'), c.edgeId, 'gone from the password file');
    await waitFor('C refused once Mosquitto re-read its files', async () => !(await loginWorks(url, c.username, c.password)));
    t.ok(await loginWorks(url, a.edgeId, a.password), 'A still logs in');
    t.notOk(await cloud.revokeEdge(c.edgeId), 'revoking again changes nothing');
  });

  await t.test('a restarted cloud writes the same edges again', async (t) => {
    await cloud.stop();
    await cloud.start();
    const text = readFileSync(files.passwordFile, 'utf8');
    t.match(text, a.edgeId);
    t.equal(text.trim().split('\n').length, 3, 'the service user, A and B (C is revoked)');
    await waitFor('the cloud back on Mosquitto', () => cloud.sync.connected);
    t.ok(await loginWorks(url, a.edgeId, a.password), 'A still logs in');
  });

});
