/**
 * One behavioural suite for sync, run against every broker (after MQTT.js:
 * one abstract suite, several transports). Real parts throughout: the cloud
 * with its SQLite store, an edge database with the real OpStore, EventStore
 * and SyncClient, a real broker on loopback.
 */
import type { Test } from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { edgeSubscriptions, governanceModels, topic, type EntityBase, type Op } from '@cunbox/shared';
import { openDatabase, type Db } from '../../../edge/src/db/database.ts';
import { OpStore } from '../../../edge/src/governance/store.ts';
import { EventStore } from '../../../edge/src/events/event-store.ts';
import { SyncClient, readSyncStatus } from '../../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../../edge/src/clock.ts';
import { silentLogger } from '../../../edge/src/log.ts';
import { SERVICE_PASSWORD, operatorApi as api, type BrokerRig, type Paired } from '@cunbox/test-support/brokers';
import { DEAD_LETTERS_PER_EDGE, MAX_MQTT_PACKET_BYTES, SERVICE_USER } from '../../src/index.ts';
import { startEdgeSync } from '@cunbox/test-support/edge-sync';
import { waitFor } from '@cunbox/test-support/wait';

const GOLDEN_DIR = join(import.meta.dirname, '../../../shared/test/golden');
const GOLDEN_MANIFEST = JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as Array<{ file: string; topic: string; ok: boolean; reason?: string }>;

async function pairVillage(t: Test, rig: BrokerRig, name: string): Promise<Paired> {
  const v = await api(rig, 'POST', '/api/villages', { name });
  t.equal(v.status, 201);
  const code = await api(rig, 'POST', `/api/villages/${v.json.id}/pair-codes`);
  const paired = await api(rig, 'POST', '/api/pair', { code: code.json.code });
  t.equal(paired.status, 200);
  const again = await api(rig, 'POST', '/api/pair', { code: code.json.code });
  t.equal(again.status, 403, 'a used pairing code cannot be used again');
  t.equal(again.json.error.code, 'PAIR_CODE_INVALID');
  await rig.addUser(paired.json.username, paired.json.password);
  return paired.json as Paired;
}

interface EdgeSide {
  db: Db;
  store: OpStore;
  events: EventStore;
  sync: SyncClient;
}

function startEdge(t: Test, dir: string, p: Paired, name: string): EdgeSide {
  const db = openDatabase(join(dir, `${name}.db`));
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const events = new EventStore({ db, clock: systemClock });
  const sync = startEdgeSync(t, db, store, { edgeId: p.edgeId, mqttUrl: p.mqttUrl, username: p.username, password: p.password });
  return { db, store, events, sync };
}

function edgeSnapshot(db: Db): Record<string, EntityBase> {
  const rows = db.prepare('SELECT kind, id, state FROM gov_entities ORDER BY kind, id').all() as Array<{ kind: string; id: string; state: string }>;
  return Object.fromEntries(rows.map((r) => [`${r.kind}/${r.id}`, JSON.parse(r.state) as EntityBase]));
}

function edgeSeqs(db: Db, origin: string): number[] {
  return (db.prepare('SELECT seq FROM gov_ops WHERE origin = ? ORDER BY seq').all(origin) as Array<{ seq: number }>).map((r) => r.seq);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
let ticketNo = 0;
function ticketDraft(description: string) {
  const id = `01JD${String(++ticketNo).padStart(22, '0')}`;
  return { entityKind: 'ticket', entityId: id, type: 'ticket.created', payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description, place: '东口', lat: null, lng: null, photos: [], anonymous: false, reporter: 'admin' } };
}

async function rawClient(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { username, password, clientId, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 });
}

/** The whole checker: every op of either side on the other exactly once, seqs contiguous, equal state. */
async function checkConverged(t: Test, rig: BrokerRig, edge: EdgeSide, villageId: number, cloudNode: string, nEdge: number, nCloud: number): Promise<void> {
  const store = rig.cloud.data;
  t.same(edgeSeqs(edge.db, edge.store.node), range(nEdge), 'edge ops: seqs 1..n at the edge');
  t.same(edgeSeqs(edge.db, cloudNode), range(nCloud), 'cloud ops at the edge: each once, seqs contiguous');
  t.same((await store.opsAfter(villageId, edge.store.node, 0, 1e6)).map((o) => o.seq), range(nEdge), 'edge ops at the cloud: each once, seqs contiguous');
  t.equal(await store.opCount(villageId), nEdge + nCloud, 'nothing else at the cloud');
  t.same(await store.snapshot(villageId), edgeSnapshot(edge.db), 'materialised states are equal');
  t.same(edge.store.verify(), [], 'edge state equals the fold of its ops');
}

export function syncSuite(suite: Test, makeRig: (dir: string) => Promise<BrokerRig>, dir: string): void {
  let rig: BrokerRig;
  let a: Paired;
  let edge: EdgeSide;
  let cloudNode: string;
  let nEdge = 0;
  let nCloud = 0;

  suite.before(async () => {
    rig = await makeRig(dir);
  });
  suite.teardown(async () => {
    await rig?.close();
  });
  const t = suite;

  t.test('pairing, then a round trip of ops and events both ways', async (t) => {
    a = await pairVillage(t, rig, '东村');
    cloudNode = (await rig.cloud.data.village(a.villageId))!.node;
    edge = startEdge(suite, dir, a, 'edge-a');
    edge.store.commit('admin', [ticketDraft('路灯坏了')]);
    nEdge++;
    edge.events.record(3, 'camera.offline', { reason: 'watchdog' });
    edge.events.record(3, 'camera.online', {});
    const created = await api(rig, 'POST', `/api/villages/${a.villageId}/tickets`, { category: 'facility', description: '桥边积水', place: '桥头', reporter: 'phone-user' });
    t.equal(created.status, 201);
    nCloud++;
    await waitFor('round trip', async () => (await rig.cloud.data.opCount(a.villageId)) === 2 && edgeSeqs(edge.db, cloudNode).length === 1 && (await rig.cloud.data.eventCount(a.edgeId)) === 2 && readSyncStatus(edge.db, edge.store.node).opsPending === 0 && edge.sync.status().eventsPending === 0);
    await checkConverged(t, rig, edge, a.villageId, cloudNode, nEdge, nCloud);
    const tickets = await api(rig, 'GET', `/api/villages/${a.villageId}/tickets`);
    t.same(tickets.json.tickets.map((x: { description: string }) => x.description).sort(), ['桥边积水', '路灯坏了'].sort(), 'the phone API lists tickets made on both sides');
    const status = edge.sync.status();
    t.equal(status.opsPending, 0);
    t.equal(status.eventsPending, 0);
    t.equal(status.appliedSeq, 1);
  });

  t.test('broker killed and restarted during a stream of ops from both sides', async (t) => {
    const rounds = 30;
    for (let i = 0; i < rounds; i++) {
      edge.store.commit('admin', [ticketDraft(`edge ${i}`), ticketDraft(`edge ${i}b`)]);
      nEdge += 2;
      await rig.cloud.data.commit(a.villageId, 'phone', [ticketDraft(`cloud ${i}`)]);
      nCloud++;
      rig.cloud.sync.notify();
      if (i === 10) await rig.stopBroker();
      if (i === 20) await rig.startBroker();
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor('convergence after the broker restart', async () => (await rig.cloud.data.opCount(a.villageId)) === nEdge + nCloud && edgeSeqs(edge.db, cloudNode).length === nCloud, 60_000);
    await checkConverged(t, rig, edge, a.villageId, cloudNode, nEdge, nCloud);
    t.ok(edge.sync.stats.connects >= 2, 'the edge reconnected');
  });

  t.test('duplicated and reordered deliveries change nothing', async (t) => {
    // Downlink: replay the cloud's ops to the edge, shuffled and twice, as the service user.
    const svc = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-service');
    const cloudOps = await rig.cloud.data.opsAfter(a.villageId, cloudNode, 0, 1e6);
    const shuffled = [...cloudOps].reverse();
    await svc.publishAsync(topic(a.edgeId, 'down/ops'), JSON.stringify({ v: 1, ops: [...shuffled.slice(0, 5), ...shuffled.slice(0, 5)] }), { qos: 1 });
    // Uplink: the edge's own ops again, reordered, under its own credentials.
    const dup = await rawClient(rig.url, a.username, a.password, 'test-edge-a-dup');
    const edgeOps: Op[] = edge.store.localOpsAfter(0, 10).reverse();
    await dup.publishAsync(topic(a.edgeId, 'up/ops'), JSON.stringify({ v: 1, ops: [...edgeOps, ...edgeOps] }), { qos: 1 });
    // A fresh op from each side afterwards: once they arrive, the duplicates (sent earlier on the same links) were processed.
    edge.store.commit('admin', [ticketDraft('after duplicates')]);
    nEdge++;
    await rig.cloud.data.commit(a.villageId, 'phone', [ticketDraft('after duplicates (cloud)')]);
    nCloud++;
    rig.cloud.sync.notify();
    await waitFor('fresh ops after duplicates', async () => (await rig.cloud.data.opCount(a.villageId)) === nEdge + nCloud && edgeSeqs(edge.db, cloudNode).length === nCloud);
    await checkConverged(t, rig, edge, a.villageId, cloudNode, nEdge, nCloud);
    await svc.endAsync();
    await dup.endAsync();
  });

  t.test("village A cannot publish or subscribe to village B's topics", async (t) => {
    const b = await pairVillage(t, rig, '西村');
    const bClient = await rawClient(rig.url, b.username, b.password, 'test-b');
    const bGot: string[] = [];
    bClient.on('message', (tp) => bGot.push(tp));
    await bClient.subscribeAsync(edgeSubscriptions(b.edgeId), { qos: 1 });
    await bClient.publishAsync(topic(b.edgeId, 'up/hello'), JSON.stringify({ v: 1, node: 'bbbbbbbbbbbbbbbb', appliedSeq: 0 }), { qos: 1 });
    await waitFor("B's hello answered", () => bGot.filter((x) => x === topic(b.edgeId, 'down/hello')).length === 1);

    const spy = await rawClient(rig.url, a.username, a.password, 'test-a-spy');
    const closed = new Promise<void>((r) => spy.once('close', () => r()));
    const received: string[] = [];
    spy.on('message', (tp) => received.push(tp));
    const granted = await spy.subscribeAsync(edgeSubscriptions(b.edgeId), { qos: 1 }).catch(() => []);
    // Aedes refuses in the SUBACK; Mosquitto 2.0 with MQTT 3.1.1 grants it and delivers nothing (checked below).
    if (rig.name === 'aedes') t.notOk(granted.some((g) => g.qos === 0 || g.qos === 1), "A's subscription to B's downlink is refused");
    // Forged messages for B under A's credentials. QoS 0: Aedes answers a refused publish by closing
    // the connection, Mosquitto by dropping the message; neither acks.
    spy.publish(topic(b.edgeId, 'up/hello'), JSON.stringify({ v: 1, node: 'aaaaaaaaaaaaaaaa', appliedSeq: 0 }), { qos: 0 });
    spy.publish(topic(b.edgeId, 'up/events'), JSON.stringify({ v: 1, after: 0, events: [{ id: 1, cameraId: 1, type: 'camera.offline', atMs: 1, detail: { forged: true } }] }), { qos: 0 });
    // A marker on A's own topic, after the forgeries on the same connection: once the cloud has
    // dead-lettered it, anything the broker let through before it has been processed too.
    const dead = (await rig.cloud.data.deadLetters()).length;
    spy.publish(topic(a.edgeId, 'up/ops'), 'marker', { qos: 0 });
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await waitFor('the marker processed (or A disconnected by the broker)', async () => isClosed || (await rig.cloud.data.deadLetters()).length > dead);
    // B's downlink carries something while A is subscribed (if A still is).
    await bClient.publishAsync(topic(b.edgeId, 'up/hello'), JSON.stringify({ v: 1, node: 'bbbbbbbbbbbbbbbb', appliedSeq: 0 }), { qos: 1 });
    await waitFor("B's second hello answered", () => bGot.filter((x) => x === topic(b.edgeId, 'down/hello')).length === 2);
    t.equal((await rig.cloud.data.edge(b.edgeId))?.node, 'bbbbbbbbbbbbbbbb', "A's forged hello for B was not accepted");
    t.equal((await rig.cloud.data.eventCount(b.edgeId)), 0, "A's forged event for B was not accepted");
    t.same(received, [], "A received nothing of B's downlink");
    await spy.endAsync(true);
    await bClient.endAsync();
  });

  t.test('presence: online while connected, offline by the retained last will when the link dies', async (t) => {
    const c = await pairVillage(t, rig, '南村');
    // The will carries its connection's start, as the connection's online message does.
    const offline = JSON.stringify({ v: 1, online: false, at: 2 });
    const link = await mqtt.connectAsync(rig.url, {
      username: c.username,
      password: c.password,
      clientId: 'test-c-presence',
      reconnectPeriod: 0,
      protocolVersion: 4,
      will: { topic: topic(c.edgeId, 'presence'), payload: Buffer.from(offline), qos: 1, retain: true },
    });
    await link.publishAsync(topic(c.edgeId, 'presence'), JSON.stringify({ v: 1, online: true, at: 2 }), { qos: 1, retain: true });
    await waitFor('online at the cloud', async () => (await rig.cloud.data.edge(c.edgeId))?.online === true);
    link.stream.destroy(); // no DISCONNECT: the broker must publish the will
    await waitFor('offline at the cloud', async () => (await rig.cloud.data.edge(c.edgeId))?.online === false);
    // Retained: whoever subscribes later learns the edge is offline.
    const late = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-late-subscriber');
    const got: string[] = [];
    late.on('message', (_tp, payload) => got.push(payload.toString()));
    await late.subscribeAsync(topic(c.edgeId, 'presence'), { qos: 1 });
    await waitFor('retained presence delivered', () => got.length > 0);
    t.same(JSON.parse(got[0]!), { v: 1, online: false, at: 2 });
    await late.endAsync();
    link.end(true);
  });

  t.test('presence: a clean stop leaves its own offline retained, never the older will', async (t) => {
    const d = await pairVillage(t, rig, '北村');
    const spy = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-presence-spy');
    t.teardown(() => spy.endAsync(true));
    const seen: Array<{ online: boolean; at: number }> = [];
    spy.on('message', (_tp, payload) => seen.push(JSON.parse(payload.toString()) as { online: boolean; at: number }));
    await spy.subscribeAsync(topic(d.edgeId, 'presence'), { qos: 1 });
    const side = startEdge(t, dir, d, 'edge-d');
    await waitFor('online at the cloud', async () => (await rig.cloud.data.edge(d.edgeId))?.online === true);
    await waitFor('the spy saw it', () => seen.some((p) => p.online));
    const online = seen.find((p) => p.online)!;
    await new Promise((r) => setTimeout(r, 20));
    const stopAt = Date.now();
    await side.sync.stop();
    await waitFor('offline at the cloud', async () => (await rig.cloud.data.edge(d.edgeId))?.online === false);
    // Time for the broker to see the closed socket and publish a will, if it had one to publish.
    await new Promise((r) => setTimeout(r, 1000));
    const after = seen.slice(seen.indexOf(online) + 1);
    t.equal(after.length, 1, `one presence after the online one: ${JSON.stringify(after)}`);
    t.match(after[0], { online: false }, 'offline');
    t.ok(after[0]!.at >= stopAt, 'at: the stop time');
    t.ok(after[0]!.at > online.at, "after the online's");
    t.equal((await rig.cloud.data.edge(d.edgeId))?.presenceAt, after[0]!.at, 'the cloud holds it');
    const late = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-presence-late');
    const retained: string[] = [];
    late.on('message', (_tp, payload) => retained.push(payload.toString()));
    await late.subscribeAsync(topic(d.edgeId, 'presence'), { qos: 1 });
    await waitFor('retained presence delivered', () => retained.length > 0);
    t.same(JSON.parse(retained[0]!), { v: 1, ...after[0] }, 'the retained presence is the stop-time offline');
    await late.endAsync();

    // Started again with its wall clock an hour behind: still online with an `at` above every earlier one.
    const again = new SyncClient({
      db: side.db,
      store: side.store,
      clock: { ...systemClock, now: () => Date.now() - 3_600_000 },
      log: silentLogger(),
      credentials: { edgeId: d.edgeId, mqttUrl: d.mqttUrl, username: d.username, password: d.password },
      audit: auditLogBeside(side.db),
    });
    again.start();
    try {
      await waitFor('online again at the cloud', async () => (await rig.cloud.data.edge(d.edgeId))?.online === true);
      t.ok((await rig.cloud.data.edge(d.edgeId))!.presenceAt > after[0]!.at, 'monotonic even with the clock stepped back');
    } finally {
      await again.stop();
    }
  });

  t.test('presence: the cloud keeps the newest, whatever order they arrive in', async (t) => {
    const e = await pairVillage(t, rig, '西村');
    const link = await rawClient(rig.url, e.username, e.password, 'test-e-presence');
    t.teardown(() => link.endAsync(true));
    const held = async () => {
      const r = (await rig.cloud.data.edge(e.edgeId))!;
      return { online: r.online, at: r.presenceAt };
    };
    // The cloud handles a message in one synchronous step: once it counted ours, what it holds is final.
    const send = async (online: boolean, at: number, expect: { online: boolean; at: number }, why: string) => {
      const before = rig.cloud.sync.stats.received;
      await link.publishAsync(topic(e.edgeId, 'presence'), JSON.stringify({ v: 1, online, at }), { qos: 1, retain: true });
      await waitFor(`${why}: ${JSON.stringify(expect)}`, async () => {
        const h = await held();
        return rig.cloud.sync.stats.received > before && h.online === expect.online && h.at === expect.at;
      }, 5000);
      t.pass(why);
    };
    await send(true, 1000, { online: true, at: 1000 }, 'online');
    await send(false, 1000, { online: false, at: 1000 }, 'the will of that connection: offline');
    await send(true, 1000, { online: false, at: 1000 }, 'its own online again: older, ignored');
    await send(true, 3000, { online: true, at: 3000 }, 'a new connection');
    await send(false, 2000, { online: true, at: 3000 }, 'an older offline (a stale will) is ignored');
    await send(false, 4000, { online: false, at: 4000 }, 'a clean stop');
    await send(false, 3000, { online: false, at: 4000 }, 'the will after the clean stop changes nothing');
  });

  t.test('malformed, oversized and wrong-version messages are dead-lettered and the stream goes on', async (t) => {
    const before = (await rig.cloud.data.deadLetters()).length;
    const bad = await rawClient(rig.url, a.username, a.password, 'test-a-bad');
    // The shared golden rejects (those on a v1 topic: the broker's ACL already refuses other versions), then an oversized one.
    const golden = GOLDEN_MANIFEST.filter((g) => !g.ok && g.topic.includes('/v1/'));
    for (const g of golden) await bad.publishAsync(topic(a.edgeId, 'up/ops'), readFileSync(join(GOLDEN_DIR, g.file)), { qos: 1 });
    await bad.publishAsync(topic(a.edgeId, 'up/ops'), Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await bad.endAsync();
    await waitFor('dead letters at the cloud', async () => (await rig.cloud.data.deadLetters()).length >= before + golden.length + 1);
    const reasons = (await rig.cloud.data.deadLetters()).slice(before).map((d) => d.reason);
    t.ok(golden.length >= 3, 'the golden set has malformed, wrong-version and schema cases');
    t.match(reasons, [...golden.map((g) => new RegExp(g.reason!)), /too large/]);
    // A rejected users snapshot is dead-lettered without its password hashes.
    const usersBad = await rawClient(rig.url, a.username, a.password, 'test-a-bad-users');
    const snapshot = readFileSync(join(GOLDEN_DIR, 'bad-users-role.json'));
    await usersBad.publishAsync(topic(a.edgeId, 'up/users'), snapshot, { qos: 1 });
    await usersBad.endAsync();
    await waitFor('the users snapshot dead-lettered', async () => (await rig.cloud.data.deadLetters()).some((d) => d.topic.endsWith('/up/users')));
    const letter = (await rig.cloud.data.deadLetters()).find((d) => d.topic.endsWith('/up/users'))!;
    t.match(letter.reason, /schema/);
    t.equal(letter.bytes, snapshot.length, 'its size is kept');
    t.notMatch((await rig.cloud.data.deadLetterPayload(letter.id))?.toString() ?? '', /scrypt/, 'its password hashes are not');
    // Downlink garbage reaches the edge's dead-letter table.
    const svc = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-service-bad');
    await svc.publishAsync(topic(a.edgeId, 'down/ops'), '{"v":1,"ops":[{"id":"x"}]}', { qos: 1 });
    await svc.endAsync();
    await waitFor('dead letter at the edge', () => readSyncStatus(edge.db, edge.store.node).deadLetters >= 1);
    edge.store.commit('admin', [ticketDraft('after garbage')]);
    nEdge++;
    await waitFor('the stream goes on', async () => (await rig.cloud.data.opCount(a.villageId)) === nEdge + nCloud);
    await checkConverged(t, rig, edge, a.villageId, cloudNode, nEdge, nCloud);
  });

  t.test('the broker drops packets over its size cap and retains nothing of an edge but its presence', async (t) => {
    const turnedAway = rig.cloud.sync.stats.deadLettered;
    const deadBefore = (await rig.cloud.data.deadLetters()).length;
    // Over the cap: the connection goes, the message with it (the cloud never sees it).
    const big = await rawClient(rig.url, a.username, a.password, 'test-a-big');
    const bigClosed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish(topic(a.edgeId, 'up/ops'), Buffer.alloc(MAX_MQTT_PACKET_BYTES + 1024, 0x20), { qos: 0 });
    await bigClosed;
    big.end(true);
    // Retained messages on any other uplink topic, 40 of them: none may stay at the broker.
    for (let i = 0; i < 40; i++) {
      const c = await rawClient(rig.url, a.username, a.password, `test-a-retain-${i}`);
      c.publish(`cunbox/v1/${a.edgeId}/up/junk-${i}`, Buffer.alloc(1024, 0x20), { qos: 0, retain: true });
      await c.endAsync();
    }
    const marker = await rawClient(rig.url, a.username, a.password, 'test-a-retain-ops');
    await marker.publishAsync(topic(a.edgeId, 'up/ops'), 'retained garbage', { qos: 1, retain: true });
    await marker.endAsync();
    await waitFor('the marker dead-lettered', async () => (await rig.cloud.data.deadLetters()).length > deadBefore);
    const late = await rawClient(rig.url, SERVICE_USER, SERVICE_PASSWORD, 'test-retained-check');
    const retained: string[] = [];
    late.on('message', (tp, _p, packet) => packet.retain && retained.push(tp));
    await late.subscribeAsync(`cunbox/v1/${a.edgeId}/up/#`, { qos: 1 });
    // A round trip through the broker after the subscribe: retained messages come before it.
    await late.publishAsync(`cunbox/v1/${a.edgeId}/up/probe`, 'probe', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await late.endAsync();
    // Mosquitto cannot refuse a retained message by topic: its ACL admits only the uplink channels, so at most one per channel stays.
    t.same(retained, rig.name === 'aedes' ? [] : [topic(a.edgeId, 'up/ops')], 'no retained uplink message but what the broker cannot refuse');
    t.notOk((await rig.cloud.data.deadLetters()).slice(deadBefore).some((d) => d.bytes > MAX_MQTT_PACKET_BYTES || /junk/.test(d.topic)), 'neither the oversized nor the junk-topic messages reached the cloud');
    // Counted among what the cloud turned away, not among all it received: the paired edge may
    // still be resending its own (valid) ops here when a loaded box delayed an ack.
    t.ok(rig.cloud.sync.stats.deadLettered - turnedAway <= 2, 'the cloud turned away only the marker (and the probe): no oversized or junk-topic message reached it');
  });

  t.test('a flood of 10,000 invalid messages from a paired edge: dead letters capped and counted, the cloud stays responsive', async (t) => {
    const counts = async () => (await rig.cloud.data.deadLetterCounts()).find((c) => c.edgeId === a.edgeId) ?? { kept: 0, dropped: 0 };
    const before = await counts();
    const rejected = rig.cloud.sync.stats.deadLettered;
    const flood = await rawClient(rig.url, a.username, a.password, 'test-a-flood');
    const n = 10_000;
    for (let i = 0; i < n; i++) flood.publish(topic(a.edgeId, 'up/ops'), `not json ${i}`, { qos: 0 });
    // The cloud answers HTTP while it works through them.
    const during = await api(rig, 'GET', `/api/villages/${a.villageId}/tickets`);
    t.equal(during.status, 200, 'an HTTP request is answered during the flood');
    await waitFor('every flood message rejected', () => rig.cloud.sync.stats.deadLettered - rejected >= n, 60_000);
    await waitFor('the dead letters stored', async () => { const c = await counts(); return c.kept + c.dropped - before.kept - before.dropped >= n; }, 30_000);
    await flood.endAsync();
    const after = await counts();
    t.equal(after.kept, DEAD_LETTERS_PER_EDGE, `the newest ${DEAD_LETTERS_PER_EDGE} are kept`);
    t.equal(after.kept + after.dropped, before.kept + before.dropped + n, 'and the rest counted as dropped');
    const newest = (await rig.cloud.data.deadLetters()).filter((d) => d.edgeId === a.edgeId).at(-1)!;
    t.equal((await rig.cloud.data.deadLetterPayload(newest.id))?.toString(), `not json ${n - 1}`, 'the last one sent is among those kept');
    // The stream still goes on.
    edge.store.commit('admin', [ticketDraft('after the flood')]);
    nEdge++;
    await waitFor('the stream goes on after the flood', async () => (await rig.cloud.data.opCount(a.villageId)) === nEdge + nCloud);
  });
}
