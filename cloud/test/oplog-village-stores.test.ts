/**
 * The op log's properties through the cloud store, on each backend: on
 * PostgreSQL the op log runs over a unit of work (src/pg/village-unit.ts), so
 * these check that what it reads up front is all it needs, and that several
 * workers writing one village keep its order and idempotency.
 */
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { FieldCipher, Replica, governanceModels, type Op } from '@cunbox/shared';
import { actionArb, seededBatches, shuffleWithDuplicates, simulate } from '@cunbox/test-support/gen-ops';
import type { CloudStoreOptions, EdgeRecord } from '../src/store.ts';
import type { AsyncCloudStore } from '../src/store-async.ts';
import { storeBackends } from './helpers/store-backends.ts';

const NOW = Date.UTC(2026, 0, 10, 12);
const opts: CloudStoreOptions = { models: governanceModels, now: () => NOW, cipher: new FieldCipher(randomBytes(32)) };

/** A village of its own for each run: villages share nothing, so one database serves every run. */
async function freshVillage(store: AsyncCloudStore): Promise<EdgeRecord> {
  const v = await store.createVillage('村');
  return { edgeId: `e${v.id}`, villageId: v.id, node: null, online: true, presenceAt: 0 };
}

const inOrder = (ops: readonly Op[]) => {
  const r = new Replica(governanceModels);
  for (const op of ops) r.apply(op);
  return r.snapshot();
};

for (const backend of storeBackends(t)) {
  t.test(backend.name, async (t) => {
    t.test('property: shuffled, duplicated and late ops, in batches, reach the state of in-order arrival', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 40 }), fc.integer(), async (actions, seed) => {
          const ops = simulate(actions);
          const edge = await freshVillage(store);
          const arrivals = shuffleWithDuplicates(ops, seed);
          let applied = 0;
          let duplicates = 0;
          for (const batch of seededBatches(arrivals, seed)) {
            const r = await store.ingestEdgeOps(edge, batch);
            applied += r.applied;
            duplicates += r.duplicates;
          }
          t.same(await store.snapshot(edge.villageId), inOrder(ops));
          t.equal(applied, ops.length);
          t.equal(duplicates, arrivals.length - ops.length);
        }),
        { numRuns: 20 },
      );
    });

    t.test('property: cloud commits interleaved with edge ops fold as one replica would', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 20 }), fc.integer(), async (actions, seed) => {
          const ops = simulate(actions);
          const edge = await freshVillage(store);
          const ours: Op[] = [];
          for (const [i, batch] of seededBatches(shuffleWithDuplicates(ops, seed), seed).entries()) {
            await store.ingestEdgeOps(edge, batch);
            const target = batch[0]!;
            ours.push(...(await store.commit(edge.villageId, 'phone', [{ entityKind: 'ticket', entityId: target.entityId, type: 'ticket.comment', payload: { commentId: `c${i}`, text: `第${i}条` } }])));
          }
          t.same(
            ours.map((o) => o.seq),
            ours.map((_, i) => i + 1),
            'the cloud numbers its ops 1, 2, 3 … in the village',
          );
          t.same(await store.snapshot(edge.villageId), inOrder([...ops, ...ours]));
        }),
        { numRuns: 10 },
      );
    });

    if (!backend.worker) return;

    t.test('two workers on one village: seqs without gaps or repeats, each op stored once', async (t) => {
      const a = await backend.open(t, opts);
      if (!a) return;
      const b = await backend.worker!(t, opts);
      const edge = await freshVillage(a);
      const ops = simulate(Array.from({ length: 30 }, (_, i) => ({ node: i % 3, advance: 5, sync: i % 4 === 0, entity: i % 5, template: i % 3, a: i, b: i + 1, c: i + 2 })));
      // Both workers get every batch (MQTT redelivery, a shared subscription handing one message to two).
      const results = await Promise.all(seededBatches(ops, 7).flatMap((batch) => [a.ingestEdgeOps(edge, batch), b.ingestEdgeOps(edge, batch)]));
      t.equal(results.reduce((n, r) => n + r.applied, 0), ops.length, 'each op applied once');
      t.equal(results.reduce((n, r) => n + r.duplicates, 0), ops.length, 'and found a duplicate once');
      const commits = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 2 ? a : b).commit(edge.villageId, `phone:${i}`, [{ entityKind: 'ticket', entityId: ops[i % ops.length]!.entityId, type: 'ticket.comment', payload: { commentId: `w${i}`, text: '并发' } }]),
        ),
      );
      const seqs = commits.flat().map((o) => o.seq).sort((x, y) => x - y);
      t.same(seqs, Array.from({ length: 24 }, (_, i) => i + 1));
      const hlcs = commits.flat().sort((x, y) => x.seq - y.seq).map((o) => o.hlc);
      t.same(hlcs, [...hlcs].sort(), 'the village clock moves forward with the seq, whichever worker wrote');
      t.same(await a.snapshot(edge.villageId), inOrder([...ops, ...commits.flat()]));
      t.same(await b.snapshot(edge.villageId), await a.snapshot(edge.villageId));
    });
  });
}

t.test('the unit of work refuses a read it was not given, instead of folding over missing rows', async (t) => {
  const { OverlayOpLogStorage } = await import('../src/pg/village-unit.ts');
  const storage = new OverlayOpLogStorage({ nextSeq: 1, hlc: null, ids: new Map([['aaaaaaaaaaaaaaaa.1', null]]), entityOps: new Map(), states: new Map() });
  t.equal(storage.storedOp('aaaaaaaaaaaaaaaa.1'), undefined, 'read, and not stored');
  t.throws(() => storage.storedOp('aaaaaaaaaaaaaaaa.2'), /not read before the op log ran/);
  t.throws(() => storage.entityOps('ticket', 't1'), /not read before the op log ran/);
  t.throws(() => storage.readState('ticket', 't1'), /not read before the op log ran/);
  t.throws(() => storage.entityKeys(), /whole-village walk/);
});
