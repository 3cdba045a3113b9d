/**
 * The cloud's sync engine awaits its store, yet handles one edge's messages in
 * the order they arrived: an op batch sent right after a hello waits for the
 * hello's commit (which names the edge's node) instead of being turned away as
 * "ops before hello". The store (SQLite, then PostgreSQL) is made slow on
 * purpose for one call.
 */
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { encode, governanceModels, systemClock, topic } from '@cunbox/shared';
import { SqliteCloudStore } from '../src/store.ts';
import { CloudSync } from '../src/sync.ts';
import { EmbeddedBroker } from '../src/broker.ts';
import type { AsyncCloudStore } from '../src/store-async.ts';
import { storeBackends } from './helpers/store-backends.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';

const log = pino({ level: 'silent' });

for (const backend of storeBackends(t)) {
  t.test(`${backend.name}: an edge's ops sent right after its hello wait for the hello's commit, and are acked after their own`, async (t) => {
    const dir = tmpDir(t);
    const store = await backend.open(t, { models: governanceModels });
    if (!store) return;
    const village = await store.createVillage('东村');
    const { edge } = (await store.redeemPairCode(await store.createPairCode(village.id, 60_000)))!;
    // The edge's own op log: another store makes an op of its node.
    const edgeLog = SqliteCloudStore.open({ file: join(dir, 'edge.db'), models: governanceModels });
    t.teardown(() => edgeLog.close());
    const node = edgeLog.createVillage('edge').node;
    const ops = edgeLog.commit(edgeLog.villages()[0]!.id, 'admin', [
      {
        entityKind: 'ticket',
        entityId: '01JF0000000000000000000001',
        type: 'ticket.created',
        payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: '路灯坏了', place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: 'phone' },
      },
    ]);

    // Recording the hello's node waits until the test lets it go.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new Proxy(store, {
      get(target, prop) {
        if (prop === 'setEdgeNode') return async (edgeId: string, n: string) => (await gate, target.setEdgeNode(edgeId, n));
        // Bound to the store itself: PgCloudStore keeps its state in private fields.
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as AsyncCloudStore;

    const broker = new EmbeddedBroker({ log, auth: { authenticate: async (user) => (user === 'svc' ? { kind: 'service' } : { kind: 'edge', edgeId: user }) } });
    await broker.start('127.0.0.1', 0);
    t.teardown(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    // What sync warns about (a dead letter, a failed step) goes into the failure message.
    const said: string[] = [];
    const syncLog = pino({ level: 'warn' }, { write: (line: string) => void said.push(line) });
    const sync = new CloudSync({ store: slow, log: syncLog, url, username: 'svc', password: 'x', clock: systemClock, options: { tickMs: 50 } });
    sync.start();
    t.teardown(() => sync.stop());
    await waitFor('the cloud is connected', () => sync.connected);

    const client = await mqtt.connectAsync(url, { username: edge.edgeId, password: 'x', protocolVersion: 4, clientId: `edge-${edge.edgeId}` });
    t.teardown(() => client.endAsync());
    const acks: Array<{ stream: string; seq: number }> = [];
    client.on('message', (_tp, payload) => acks.push(JSON.parse(payload.toString()) as { stream: string; seq: number }));
    await client.subscribeAsync(topic(edge.edgeId, 'down/ack'), { qos: 1 });

    await client.publishAsync(topic(edge.edgeId, 'up/hello'), encode('up/hello', { v: 1, node, appliedSeq: 0 }), { qos: 1 });
    await client.publishAsync(topic(edge.edgeId, 'up/ops'), encode('up/ops', { v: 1, ops }), { qos: 1 });
    await waitFor('both messages reached the cloud', () => sync.stats.received >= 2);
    t.same(acks, [], 'nothing is acked while the hello is still being committed');
    release();

    await waitFor(`the ops are acked (sync said: ${said.join('')})`, () => acks.some((a) => a.stream === 'ops'));
    t.same(
      acks.filter((a) => a.stream === 'ops'),
      [{ v: 1, stream: 'ops', origin: node, seq: 1 }],
      'one ack, for the committed op',
    );
    t.equal(sync.stats.deadLettered, 0, 'the ops were not turned away as sent before the hello');
    t.equal(await store.opCount(village.id, node), 1, 'the op is in the cloud');
  });
}
