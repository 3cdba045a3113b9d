import fc from 'fast-check';
import { HlcClock, TICKET_STATUSES, opId, type Op } from '@cunbox/shared';

/**
 * Random but plausible op histories: three nodes with skewed clocks that
 * step back now and then, syncing with each other at random moments, editing
 * the same few entities concurrently. Status ops carry random `from` values,
 * so concurrent (conflicting) changes are common.
 */
export const NODES = ['0000000000000a01', '0000000000000b02', '0000000000000c03'] as const;
const ENTITIES = [
  ['ticket', 'T0'],
  ['ticket', 'T1'],
  ['party_member', 'M0'],
  ['party_member', 'M1'],
  ['ticket_category', 'garbage'],
  ['party_session', 'S0'],
] as const;

export interface Action {
  node: number;
  advance: number;
  sync: boolean;
  entity: number;
  template: number;
  a: number;
  b: number;
  c: number;
}

export const actionArb: fc.Arbitrary<Action> = fc.record({
  node: fc.nat(2),
  advance: fc.integer({ min: -2000, max: 5000 }),
  sync: fc.boolean(),
  entity: fc.nat(ENTITIES.length - 1),
  template: fc.nat(9),
  a: fc.nat(9),
  b: fc.nat(9),
  c: fc.nat(9),
});

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
const DATES = ['2026-01-05', '2026-01-20', '2026-02-03', '2026-04-11', '2026-07-01', '2025-12-31'];
const CAPS = [null, { period: 'year', maxPoints: 3 }, { period: 'month', maxPoints: 1 }];

function payloadFor(kind: string, x: Action, priorIds: string[]): { type: string; payload: Record<string, unknown> } {
  const { template: t, a, b, c } = x;
  switch (kind) {
    case 'ticket':
      switch (t % 8) {
        case 0:
          return { type: 'ticket.created', payload: { category: pick(['garbage', 'parking'], a), categoryName: 'n', slaMinutes: pick([30, 120], b), description: `d${c}`, reporter: `u${a}`, anonymous: b % 3 === 0, photos: [`P${a}`], place: null, lat: 36.1, lng: 120.3 } };
        case 1:
        case 2:
          // Some without fromAssignee (ops from before it existed), some with a random one: crossed reassignments are common.
          return { type: 'ticket.status', payload: { from: pick(TICKET_STATUSES, a), to: pick(TICKET_STATUSES, b), note: `n${c}`, assignee: `w${c % 3}`, ...(a % 3 === 0 ? {} : { fromAssignee: pick([null, 'w0', 'w1', 'w2'], a + b) }), duplicateOf: null } };
        case 3:
          return { type: 'ticket.updated', payload: { fields: a % 2 ? { description: `e${b}` } : { slaMinutes: pick([15, 30, 60], b), lat: c } } };
        case 4:
          return { type: 'ticket.comment', payload: { commentId: `c${a % 4}`, text: `t${b}` } };
        case 5:
          return { type: 'ticket.footage', payload: { linkId: `f${a % 3}`, cameraId: b, startMs: 1000 * c, endMs: 1000 * c + 60_000 } };
        case 6:
          return { type: 'ticket.escalated', payload: { level: 1 + (a % 2), round: b % 2 } };
        default:
          return { type: 'ticket.reviewed', payload: { opIds: priorIds.filter((_, i) => (i + a) % 2 === 0) } };
      }
    case 'party_member':
      switch (t % 5) {
        case 0:
          return { type: 'party_member.created', payload: { fields: { name: `m${a}`, branch: 'b', duesStandardFen: 100 * b, duesStartMonth: '2026-01' } } };
        case 1:
          return { type: 'party_member.updated', payload: { fields: { livingAway: a % 2 === 0, duesStandardFen: 50 * c } } };
        case 2:
          return {
            type: 'party_member.points',
            payload: { entryId: `e${a % 6}`, ruleCode: pick(['training', 'help_neighbour', 'missed_meeting'], b), ruleName: 'r', points: pick([1, 2, -5], b), cap: pick(CAPS, c), date: pick(DATES, a + c), source: { type: 'manual', id: null }, note: null },
          };
        case 3:
          return { type: 'party_member.points_voided', payload: { entryId: `e${a % 6}` } };
        default:
          return { type: 'party_member.dues_paid', payload: { paymentId: `p${a % 3}`, months: [pick(['2026-01', '2026-02', '2026-03'], b), pick(['2026-02', '2026-04'], c)], amountFen: 200, standardFen: 100 } };
      }
    case 'ticket_category':
      return { type: 'ticket_category.set', payload: { fields: a % 2 ? { slaMinutes: pick([15, 30, 45], b) } : { name: `g${b}`, active: c % 2 === 0 } } };
    default:
      switch (t % 5) {
        case 0:
          return { type: 'party_session.created', payload: { fields: { sessionType: 'party_lecture', title: `s${a}`, startAt: 1000 * b, remoteAllowed: c % 2 === 0 } } };
        case 1:
          return { type: 'party_session.checkin', payload: { memberId: `M${a % 2}`, mode: b % 2 ? 'remote' : 'onsite' } };
        case 2:
          return { type: 'party_session.leave', payload: { leaveId: `l${a % 2}`, memberId: `M${b % 2}`, reason: 'r' } };
        case 3:
          return { type: 'party_session.leave_decided', payload: { leaveId: `l${a % 2}`, approved: b % 2 === 0 } };
        default:
          return { type: 'party_session.status', payload: { from: pick(['scheduled', 'finalized'], a), to: pick(['finalized', 'cancelled'], b) } };
      }
  }
}

export function simulate(actions: readonly Action[], start = Date.UTC(2026, 0, 10)): Op[] {
  let globalMs = start;
  const offsets = [0, 40_000, -25_000];
  const walls = [0, 0, 0];
  const clocks = NODES.map((node, i) => new HlcClock({ node, now: () => walls[i]! }));
  const seqs = [0, 0, 0];
  const ops: Op[] = [];
  for (const x of actions) {
    globalMs += x.advance;
    for (let i = 0; i < 3; i++) walls[i] = Math.max(0, globalMs + offsets[i]!);
    const clock = clocks[x.node]!;
    if (x.sync) for (const op of ops) if (op.origin !== clock.node) clock.observe(op.hlc);
    const [kind, entityId] = ENTITIES[x.entity]!;
    const prior = ops.filter((o) => o.entityId === entityId).map((o) => o.id);
    const { type, payload } = payloadFor(kind, x, prior);
    const seq = ++seqs[x.node]!;
    const origin = NODES[x.node]!;
    ops.push({ id: opId(origin, seq), origin, seq, hlc: clock.now(), actor: `user${x.node}`, entityKind: kind, entityId, type, payload });
  }
  return ops;
}

/** A deterministic shuffle with duplicates, driven by a seed (mulberry32). */
export function shuffleWithDuplicates<T>(items: readonly T[], seed: number, duplicateRatio = 0.3): T[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (const item of items) if (rand() < duplicateRatio) out.push(item);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Splits items into batches of 1–4 (one transaction each), driven by the seed. */
export function seededBatches<T>(items: readonly T[], seed: number): T[][] {
  const out: T[][] = [];
  let s = seed >>> 0;
  for (let i = 0; i < items.length; ) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = 1 + (s % 4);
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}
