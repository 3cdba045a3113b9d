import t from 'tap';
import fc from 'fast-check';
import { join } from 'node:path';
import { Replica, governanceModels, type EntityBase, type TicketState } from '@cunbox/shared';
import { openDatabase, type Db } from '../src/db/database.ts';
import { OpStore } from '../src/governance/store.ts';
import { silentLogger } from '../src/log.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { actionArb, simulate, shuffleWithDuplicates } from '@cunbox/test-support/gen-ops';

function entities(db: Db): Record<string, EntityBase> {
  const rows = db.prepare('SELECT kind, id, state FROM gov_entities ORDER BY kind, id').all() as Array<{ kind: string; id: string; state: string }>;
  return Object.fromEntries(rows.map((r) => [`${r.kind}/${r.id}`, JSON.parse(r.state) as EntityBase]));
}

t.test('property: the SQLite store reaches the same state from shuffled, duplicated ops', async (t) => {
  const dir = tmpDir(t);
  let run = 0;
  const { clock } = fakeClock();
  fc.assert(
    fc.property(fc.array(actionArb, { minLength: 1, maxLength: 40 }), fc.integer(), (actions, seed) => {
      const ops = simulate(actions);
      const replica = new Replica(governanceModels);
      for (const op of ops) replica.apply(op);
      const db = openDatabase(join(dir, `p${run++}.db`));
      try {
        const store = new OpStore({ db, clock, log: silentLogger(), models: governanceModels });
        let duplicates = 0;
        for (const op of shuffleWithDuplicates(ops, seed)) duplicates += store.ingest([op]).duplicates;
        t.same(entities(db), replica.snapshot());
        t.same(store.verify(), []);
        t.equal(store.opCount(), ops.length);
        t.equal(duplicates, shuffleWithDuplicates(ops, seed).length - ops.length);
      } finally {
        db.close();
      }
    }),
    { numRuns: 25 },
  );
});

t.test('local ops: one transaction with the state, gapless sequence, immutable rows', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'g.db'));
  t.teardown(() => db.close());
  const { clock } = fakeClock();
  let failHook = false;
  const store = new OpStore({
    db,
    clock,
    log: silentLogger(),
    models: governanceModels,
    hooks: {
      ticket: () => {
        if (failHook) throw new Error('hook failed');
      },
    },
  });
  t.match(store.node, /^[0-9a-f]{16}$/);
  const payload = { category: 'garbage', categoryName: '垃圾倾倒', slaMinutes: 30, description: '路边垃圾', reporter: 'li', anonymous: false, photos: [] };
  const [a] = store.commit('li', [{ entityKind: 'ticket', entityId: 'T1', type: 'ticket.created', payload }]);
  t.match(a, { seq: 1, origin: store.node, actor: 'li', id: `${store.node}.1` });
  t.match(store.get<TicketState>('ticket', 'T1'), { status: 'submitted', description: '路边垃圾', createdAt: clock.now(), deadline: clock.now() + 30 * 60_000 });

  failHook = true;
  t.throws(() => store.commit('li', [{ entityKind: 'ticket', entityId: 'T2', type: 'ticket.created', payload }]), /hook failed/);
  t.equal(store.get('ticket', 'T2'), undefined, 'no state');
  t.equal(store.opCount(), 1, 'no op');
  failHook = false;
  const [b] = store.commit('li', [{ entityKind: 'ticket', entityId: 'T2', type: 'ticket.created', payload }]);
  t.equal(b!.seq, 2, 'the rolled-back op did not use up a sequence number');
  t.same(store.localOpsAfter(0).map((o) => o.seq), [1, 2]);

  t.throws(() => db.prepare("UPDATE gov_ops SET actor = 'x'").run(), /ops are immutable/);
  t.throws(() => db.prepare('DELETE FROM gov_ops').run(), /ops are immutable/);

  db.prepare("UPDATE gov_entities SET state = json_set(state, '$.description', 'tampered') WHERE id = 'T1'").run();
  t.same(store.verify(), [{ kind: 'ticket', id: 'T1' }], 'verify finds a state that is not the fold of its ops');
  store.refoldAll();
  t.same(store.verify(), []);
  t.equal(store.get<TicketState>('ticket', 'T1')!.description, '路边垃圾');
});

t.test('clock and sequence survive a restart; our own ops restored from elsewhere are not renumbered', async (t) => {
  const file = join(tmpDir(t), 'g.db');
  const fc1 = fakeClock();
  let db = openDatabase(file);
  let store = new OpStore({ db, clock: fc1.clock, log: silentLogger(), models: governanceModels });
  const node = store.node;
  const [first] = store.commit('a', [{ entityKind: 'ticket_category', entityId: 'garbage', type: 'ticket_category.set', payload: { fields: { slaMinutes: 20 } } }]);
  db.close();
  const fc2 = fakeClock(fc1.clock.now() - 60_000); // restarted with the clock a minute behind
  db = openDatabase(file);
  t.teardown(() => db.close());
  store = new OpStore({ db, clock: fc2.clock, log: silentLogger(), models: governanceModels });
  t.equal(store.node, node, 'same node id');
  // Ops 2..3 were made before a disk swap and come back from the cloud.
  const restored = [2, 3].map((seq) => ({ ...first!, id: `${node}.${seq}`, seq, hlc: first!.hlc.replace(/-0000-/, `-000${seq}-`) }));
  t.match(store.ingest(restored), { applied: 2, duplicates: 0 });
  const [next] = store.commit('a', [{ entityKind: 'ticket_category', entityId: 'garbage', type: 'ticket_category.set', payload: { fields: { slaMinutes: 25 } } }]);
  t.equal(next!.seq, 4);
  t.ok(next!.hlc > restored[1]!.hlc, 'new op orders after everything before the restart');
  t.equal(store.get<{ slaMinutes: number } & EntityBase>('ticket_category', 'garbage')!.slaMinutes, 25);
  t.throws(() => store.ingest([{ ...first!, hlc: next!.hlc }]), { code: 'CONFLICT' }, 'same id, different content');
  t.throws(() => store.ingest([{ ...first!, id: 'x.1' }]), { code: 'INVALID_INPUT' });
});

t.test('an op the edge makes must match its published schema (docs/protocol/); one that does not is never stored', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'schema.db'));
  t.teardown(() => db.close());
  const store = new OpStore({ db, clock: fakeClock().clock, log: silentLogger(), models: governanceModels });
  t.throws(() => store.commit('li', [{ entityKind: 'ticket', entityId: 'T1', type: 'ticket.comment', payload: { text: 'no comment id' } }]), /ticket\.comment: payload must have required property 'commentId'/);
  t.throws(() => store.commit('li', [{ entityKind: 'ticket', entityId: 'T1', type: 'ticket.teleported', payload: {} }]), /not one of ticket's/);
  t.throws(() => store.commit('li', [{ entityKind: 'resident', entityId: 'R1', type: 'ticket.comment', payload: { commentId: 'c', text: 'x' } }]), /not one of resident's/, 'the type belongs to another kind');
  t.throws(() => store.commit('li', [{ entityKind: 'ticket', entityId: 'T1', type: 'ticket.status', payload: { from: 'submitted', to: 'teleported' } }]), /payload\/to/);
  t.equal(store.opCount(), 0, 'nothing stored');
  t.equal(store.commit('li', [{ entityKind: 'ticket', entityId: 'T1', type: 'ticket.comment', payload: { commentId: 'c1', text: '收到', extra: 'a newer field' } }]).length, 1, 'a conforming op, with a field the schema does not name');
});
