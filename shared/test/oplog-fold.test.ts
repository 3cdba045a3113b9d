import t from 'tap';
import fc from 'fast-check';
import { Replica, fold, compareOps } from '../src/oplog/fold.ts';
import type { EntityBase, Op } from '../src/oplog/types.ts';
import { governanceModels } from '../src/governance/models.ts';
import { ticketModel, type TicketState } from '../src/governance/ticket.ts';
import { partyMemberModel } from '../src/governance/party.ts';
import { actionArb, simulate, shuffleWithDuplicates, NODES } from '@cunbox/test-support/gen-ops';

const models = new Map(governanceModels.map((m) => [m.kind, m]));

/** The reference: each entity folded from its set of ops at once. */
function canonical(ops: readonly Op[]): Record<string, EntityBase> {
  const groups = new Map<string, Op[]>();
  for (const op of ops) {
    const key = `${op.entityKind}/${op.entityId}`;
    groups.set(key, [...(groups.get(key) ?? []), op]);
  }
  const out: Record<string, EntityBase> = {};
  for (const key of [...groups.keys()].sort()) {
    const list = groups.get(key)!;
    out[key] = fold(models.get(list[0]!.entityKind)!, list[0]!.entityId, list);
  }
  return out;
}

t.test('property: any arrival order, with duplicates, folds to the same state', async (t) => {
  let refolds = 0;
  fc.assert(
    fc.property(fc.array(actionArb, { minLength: 1, maxLength: 60 }), fc.integer(), (actions, seed) => {
      const ops = simulate(actions);
      const expected = canonical(ops);
      const replica = new Replica(governanceModels);
      for (const op of shuffleWithDuplicates(ops, seed)) replica.apply(op);
      refolds += replica.refolds;
      t.same(replica.snapshot(), expected);
      // And the one-shot fold itself does not depend on input order.
      t.same(canonical(shuffleWithDuplicates(ops, seed ^ 0x5bd1e995, 0)), expected);
    }),
    { numRuns: 150 },
  );
  t.ok(refolds > 0, 'late ops were exercised (entities re-folded)');
});

const T = Date.UTC(2026, 4, 1, 2, 0, 0);
function op(node: string, seq: number, ms: number, counter: number, type: string, payload: Record<string, unknown>, entityId = 'T'): Op {
  const hlc = `${new Date(ms).toISOString()}-${counter.toString(16).padStart(4, '0')}-${node}`;
  const kind = type.split('.')[0]!;
  return { id: `${node}.${seq}`, origin: node, seq, hlc, actor: `u-${node.slice(-2)}`, entityKind: kind, entityId, type, payload };
}

t.test('concurrent status changes resolve the same way everywhere and are flagged for review', async (t) => {
  const [A, B] = NODES;
  const created = op(A, 1, T, 0, 'ticket.created', { category: 'garbage', categoryName: '垃圾倾倒', slaMinutes: 30, description: '河边垃圾', reporter: 'li', anonymous: false, photos: [] });
  const assigned = op(A, 2, T + 1000, 0, 'ticket.status', { from: 'submitted', to: 'assigned', assignee: 'wang' });
  // Both saw "assigned"; the edge starts work, the cloud rejects it, without seeing each other.
  const start = op(A, 3, T + 5000, 0, 'ticket.status', { from: 'assigned', to: 'in_progress' });
  const reject = op(B, 1, T + 6000, 0, 'ticket.status', { from: 'assigned', to: 'rejected', note: '不属实' });
  const one = fold(ticketModel, 'T', [created, assigned, start, reject]);
  const two = fold(ticketModel, 'T', [reject, start, assigned, created]);
  t.same(one, two);
  // in_progress → rejected is not allowed: the earlier change stands, the later is recorded.
  t.equal(one.status, 'in_progress');
  t.equal(one.needsReview, true);
  t.match(one.conflicts, [{ opId: reject.id, expected: 'assigned', found: 'in_progress', to: 'rejected', applied: false, reviewedBy: null }]);

  // When the later change is allowed from where the fold stands, it wins.
  const resolve = op(B, 1, T + 6000, 0, 'ticket.status', { from: 'assigned', to: 'resolved' });
  const s = fold(ticketModel, 'T', [created, assigned, start, resolve]);
  t.equal(s.status, 'resolved');
  t.match(s.conflicts, [{ opId: resolve.id, applied: true }]);

  const reviewed = op(A, 4, T + 9000, 0, 'ticket.reviewed', { opIds: [resolve.id] });
  const after = fold<TicketState>(ticketModel, 'T', [created, assigned, start, resolve, reviewed]);
  t.equal(after.needsReview, false);
  t.equal(after.conflicts[0]!.reviewedBy, 'u-01');
});

t.test('an op that arrives late re-folds only its entity', async (t) => {
  const [A, B] = NODES;
  const created = op(A, 1, T, 0, 'ticket.created', { category: 'garbage', categoryName: '垃圾倾倒', slaMinutes: 30, description: 'x', reporter: 'li', anonymous: false, photos: [] });
  const other = op(A, 2, T + 10, 0, 'ticket.created', { category: 'parking', categoryName: '乱停乱放', slaMinutes: 30, description: 'y', reporter: 'li', anonymous: false, photos: [] }, 'U');
  const edit = op(A, 3, T + 5000, 0, 'ticket.updated', { fields: { description: 'newer' } });
  const lateEdit = op(B, 1, T + 3000, 0, 'ticket.updated', { fields: { description: 'older' } });
  const r = new Replica(governanceModels);
  r.apply(created);
  r.apply(other);
  r.apply(edit);
  t.equal(r.refolds, 0);
  r.apply(lateEdit);
  t.equal(r.refolds, 1);
  t.equal(r.get<TicketState>('ticket', 'T')!.description, 'newer', 'last writer (by HLC) wins, not last arrival');
  t.equal(r.apply(lateEdit), false, 'duplicates are skipped');
  t.equal(r.get<TicketState>('ticket', 'T')!.opCount, 3);
});

t.test('status ops before their create op (delivery order) end up right once the create arrives', async (t) => {
  const [A] = NODES;
  const created = op(A, 1, T, 0, 'ticket.created', { category: 'garbage', categoryName: '垃圾倾倒', slaMinutes: 30, description: 'x', reporter: 'li', anonymous: false, photos: [] });
  const assigned = op(A, 2, T + 1000, 0, 'ticket.status', { from: 'submitted', to: 'assigned', assignee: 'wang' });
  const r = new Replica(governanceModels);
  r.apply(assigned);
  t.equal(r.get<TicketState>('ticket', 'T')!.exists, false, 'not shown until created');
  r.apply(created);
  t.match(r.get<TicketState>('ticket', 'T'), { exists: true, status: 'assigned', assignee: 'wang', createdBy: 'u-01' });
});

t.test('points caps apply in HLC order and survive any arrival order', async (t) => {
  const [A, B] = NODES;
  const cap = { period: 'year', maxPoints: 3 };
  const entry = (node: string, seq: number, ms: number, id: string, points: number, date = '2026-03-01') =>
    op(node, seq, ms, 0, 'party_member.points', { entryId: id, ruleCode: 'training', ruleName: '参加培训', points, cap, date, source: { type: 'manual', id: null }, note: null }, 'M');
  const created = op(A, 1, T, 0, 'party_member.created', { fields: { name: '张三', branch: '一支部' } }, 'M');
  const ops = [created, entry(A, 2, T + 1, 'a', 1), entry(B, 1, T + 2, 'b', 2), entry(A, 3, T + 3, 'c', 1), entry(B, 2, T + 4, 'd', 1, '2027-01-02')];
  const m = fold(partyMemberModel, 'M', ops);
  t.same(m.points.map((e) => [e.id, e.effective]), [['a', 1], ['b', 2], ['c', 0], ['d', 1]], 'third training of 2026 is capped; 2027 starts afresh');
  const voided = fold(partyMemberModel, 'M', [...ops, op(A, 4, T + 9, 0, 'party_member.points_voided', { entryId: 'b' }, 'M')]);
  t.same(voided.points.map((e) => [e.id, e.effective]), [['a', 1], ['b', 0], ['c', 1], ['d', 1]], 'a voided entry frees its share of the cap');
  t.same([...ops].sort(compareOps), ops);
});
