/**
 * One behavioural suite for the op log, run against every storage it has:
 * the edge's SQLite tables and one village of the cloud's. The rules live
 * once in shared/src/oplog/op-log.ts; this checks that each storage gives
 * them what they need, so both sides reach the same state from the same ops
 * whatever order, batching or repetition they arrive in.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FieldCipher, OpLog, Replica, governanceModels, opDraftProblem, opId, type EntityBase, type Op, type OpLogStorage } from '@cunbox/shared';
import { openDatabase } from '../../edge/src/db/database.ts';
import { SqliteOpLogStorage } from '../../edge/src/governance/op-log-storage.ts';
import { openCloudDatabase } from '../src/database.ts';
import { VillageOpLogStorage } from '../src/op-log-storage.ts';
import { Statements } from '../src/statements.ts';
import { SqliteCloudStore } from '../src/store.ts';
import { actionArb, seededBatches, simulate, shuffleWithDuplicates } from '@cunbox/test-support/gen-ops';

const NOW = Date.UTC(2026, 0, 10, 12);

interface Opened {
  storage: OpLogStorage;
  node: string;
  close(): void;
}

/** Each storage, opened on a fresh file with sealing on (as in production). */
const storages: Record<string, (file: string, cipher: FieldCipher) => Opened> = {
  'edge SQLite': (file, cipher) => {
    const db = openDatabase(file);
    const node = (db.prepare('SELECT node_id AS node FROM gov_node').get() as { node: string }).node;
    return { storage: new SqliteOpLogStorage({ db, now: () => NOW, cipher }), node, close: () => db.close() };
  },
  'cloud village': (file, cipher) => {
    const db = openCloudDatabase(file);
    const statements = new Statements(db);
    const village = (node: string) => Number(db.prepare("INSERT INTO villages (name, node, created_at) VALUES ('v', ?, 1)").run(node).lastInsertRowid);
    // A neighbour village holding ops with the same ids: dedupe and folds must stay inside a village.
    const neighbour = new OpLog({ storage: new VillageOpLogStorage({ db, statements, villageId: village('00000000000000ff'), cipher }), node: '00000000000000ff', now: () => NOW, models: governanceModels });
    neighbour.ingest(simulate([{ node: 0, advance: 0, sync: false, entity: 0, template: 0, a: 1, b: 1, c: 1 }]));
    const node = '00000000000000cc';
    return { storage: new VillageOpLogStorage({ db, statements, villageId: village(node), cipher }), node, close: () => db.close() };
  },
};

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-oplog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function snapshot(log: OpLog, storage: OpLogStorage): Record<string, EntityBase> {
  const keys = storage.entityKeys().map((k) => `${k.kind}/${k.id}`).sort();
  return Object.fromEntries(keys.map((key) => [key, log.state(key.split('/')[0]!, key.split('/')[1]!)!]));
}

for (const [name, open] of Object.entries(storages)) {
  t.test(name, async (t) => {
    const dir = tmp(t);
    const cipher = new FieldCipher(randomBytes(32));
    let run = 0;
    const fresh = () => {
      const o = open(join(dir, `${run++}.db`), cipher);
      const log = new OpLog({ storage: o.storage, node: o.node, now: () => NOW, models: governanceModels, draftProblem: opDraftProblem });
      return { ...o, log };
    };

    t.test('property: shuffled, duplicated and late ops, in batches, reach the state of in-order arrival', async (t) => {
      fc.assert(
        fc.property(fc.array(actionArb, { minLength: 1, maxLength: 40 }), fc.integer(), (actions, seed) => {
          const ops = simulate(actions);
          const inOrder = new Replica(governanceModels);
          for (const op of ops) inOrder.apply(op);
          const o = fresh();
          try {
            const arrivals = shuffleWithDuplicates(ops, seed);
            let applied = 0;
            let duplicates = 0;
            for (const batch of seededBatches(arrivals, seed)) {
              const r = o.log.ingest(batch);
              applied += r.applied.length;
              duplicates += r.duplicates;
            }
            t.same(snapshot(o.log, o.storage), inOrder.snapshot());
            t.same(o.log.verify(), [], 'every stored state is the fold of its ops');
            t.equal(applied, ops.length);
            t.equal(duplicates, arrivals.length - ops.length);
          } finally {
            o.close();
          }
        }),
        { numRuns: 20 },
      );
    });

    t.test('property: idempotent by (origin, seq): a second delivery of everything changes nothing', async (t) => {
      fc.assert(
        fc.property(fc.array(actionArb, { minLength: 1, maxLength: 25 }), fc.integer(), (actions, seed) => {
          const ops = simulate(actions);
          const o = fresh();
          try {
            o.log.ingest(ops);
            const before = snapshot(o.log, o.storage);
            const again = o.log.ingest(shuffleWithDuplicates(ops, seed, 0));
            t.same({ applied: again.applied.length, duplicates: again.duplicates }, { applied: 0, duplicates: ops.length });
            t.same(snapshot(o.log, o.storage), before);
          } finally {
            o.close();
          }
        }),
        { numRuns: 15 },
      );
    });

    t.test('the same (origin, seq) with other content is refused, and the whole batch with it', async (t) => {
      const o = fresh();
      t.teardown(() => o.close());
      const [a, b] = simulate([
        { node: 0, advance: 0, sync: false, entity: 0, template: 0, a: 1, b: 1, c: 1 },
        { node: 1, advance: 10, sync: false, entity: 1, template: 0, a: 2, b: 2, c: 2 },
      ]) as [Op, Op];
      o.log.ingest([a]);
      const forged: Op = { ...a, type: 'ticket.comment', payload: { commentId: 'x', text: 'y' } };
      t.throws(() => o.log.ingest([b, forged]), { code: 'CONFLICT' });
      t.equal(o.log.state('ticket', b.entityId), undefined, 'the batch was rolled back');
      t.throws(() => o.log.ingest([{ ...b, id: opId(b.origin, b.seq + 1) }]), { code: 'INVALID_INPUT' }, 'an id that is not origin.seq');
    });

    t.test('local ops order after everything seen, a clock far ahead is not adopted, our own ops coming back are not renumbered', async (t) => {
      const o = fresh();
      t.teardown(() => o.close());
      const remote = simulate([{ node: 1, advance: 0, sync: false, entity: 0, template: 0, a: 1, b: 1, c: 1 }])[0]!;
      const ahead: Op = { ...remote, hlc: remote.hlc.replace(/^2026-01-10T00/, '2026-01-10T12').replace(/:00:00\.000Z/, ':30:00.000Z') };
      // 30 minutes ahead of our wall clock: within the tolerated drift, adopted.
      const r1 = o.log.ingest([{ ...ahead }]);
      t.equal(r1.skewed, 0);
      const [local] = o.log.commit('li', [{ entityKind: 'ticket', entityId: remote.entityId, type: 'ticket.comment', payload: { commentId: 'c1', text: '好' } }]);
      t.ok(local!.hlc > ahead.hlc, 'the local op orders after the remote one it followed');
      const future: Op = { ...remote, id: opId(remote.origin, 2), seq: 2, hlc: '2099-01-01T00:00:00.000Z-0000-' + remote.origin, type: 'ticket.comment', payload: { commentId: 'c2', text: '未来' } };
      const r2 = o.log.ingest([future]);
      t.same({ applied: r2.applied.length, skewed: r2.skewed }, { applied: 1, skewed: 1 });
      const [next] = o.log.commit('li', [{ entityKind: 'ticket', entityId: remote.entityId, type: 'ticket.comment', payload: { commentId: 'c3', text: '后' } }]);
      t.ok(next!.hlc < '2027', 'the clock stayed near the wall clock');
      t.match(o.log.state('ticket', remote.entityId), { comments: [{ id: 'c1' }, { id: 'c3' }, { id: 'c2' }] }, 'the far-ahead op is still folded, last');
      const own: Op = { ...remote, id: opId(o.node, 7), origin: o.node, seq: 7, hlc: next!.hlc.replace(/-[0-9a-f]{16}$/, `-${o.node}`).replace(/-0000-/, '-0001-'), type: 'ticket.comment', payload: { commentId: 'c4', text: '旧' } };
      o.log.ingest([own]);
      const [after] = o.log.commit('li', [{ entityKind: 'ticket', entityId: remote.entityId, type: 'ticket.comment', payload: { commentId: 'c5', text: '新' } }]);
      t.equal(after!.seq, 8, 'numbered after our own op that came back');
    });
  });
}

t.test('the cloud store counts and logs an edge op whose clock is too far ahead, as the edge does', async (t) => {
  const warnings: Array<{ obj: object; msg: string }> = [];
  const store = SqliteCloudStore.open({ file: ':memory:', models: governanceModels, now: () => NOW, log: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
  t.teardown(() => store.close());
  const v = store.createVillage('东村');
  const [op] = simulate([{ node: 0, advance: 0, sync: false, entity: 0, template: 0, a: 1, b: 1, c: 1 }]);
  const edge = { edgeId: 'e1', villageId: v.id, node: op!.origin, online: true, presenceAt: 0 };
  const r = store.ingestEdgeOps(edge, [{ ...op!, hlc: `2099-01-01T00:00:00.000Z-0000-${op!.origin}` }]);
  t.match(r, { applied: 1, skewed: 1 });
  t.match(warnings, [{ obj: { op: op!.id, origin: op!.origin }, msg: /remote clock far ahead/ }]);
  const [mine] = store.commit(v.id, 'phone', [{ entityKind: 'ticket', entityId: op!.entityId, type: 'ticket.comment', payload: { commentId: 'c1', text: '好' } }]);
  t.ok(mine!.hlc < '2027', 'the village clock was not dragged to 2099');
});
