/**
 * Crossed reassignments in the fold: who is responsible changes like a status,
 * and two changes made without seeing each other are flagged the same way.
 */
import t from 'tap';
import { fold } from '../src/oplog/fold.ts';
import type { Op } from '../src/oplog/types.ts';
import { ticketModel } from '../src/governance/ticket.ts';
import { helpRequestModel } from '../src/governance/help.ts';

const EDGE = '00000000000000e1';
const CLOUD = '00000000000000c1';
const op = (origin: string, seq: number, minute: number, type: string, payload: Record<string, unknown>, kind = 'ticket'): Op => ({
  id: `${origin}.${seq}`,
  origin,
  seq,
  hlc: `2026-01-10T08:${String(minute).padStart(2, '0')}:00.000Z-0000-${origin}`,
  actor: origin === EDGE ? 'office' : 'phone',
  entityKind: kind,
  entityId: 'T1',
  type,
  payload,
});
const created = op(EDGE, 1, 0, 'ticket.created', { category: 'garbage', categoryName: 'g', slaMinutes: 30, description: 'd', reporter: 'v', anonymous: false, photos: [] });
const assign = (origin: string, seq: number, minute: number, from: string, fromAssignee: string | null | undefined, assignee: string, kind = 'ticket') =>
  op(origin, seq, minute, `${kind}.status`, { from, to: 'assigned', note: null, assignee, ...(fromAssignee === undefined ? {} : { fromAssignee }) }, kind);

t.test('both sides reassign from the same worker: the later stands, a conflict names both, whatever the order', async (t) => {
  const ops = [created, assign(EDGE, 2, 1, 'submitted', null, 'liwei'), assign(EDGE, 3, 5, 'assigned', 'liwei', 'zhaoliu'), assign(CLOUD, 1, 6, 'assigned', 'liwei', 'sunqi')];
  const a = fold(ticketModel, 'T1', ops);
  const b = fold(ticketModel, 'T1', [...ops].reverse());
  t.same(a, b);
  t.match(a, { assignee: 'sunqi', status: 'assigned', needsReview: true });
  t.same(a.conflicts, [{ opId: `${CLOUD}.1`, hlc: ops[3]!.hlc, actor: 'phone', expected: 'assigned', found: 'assigned', to: 'assigned', applied: true, reviewedBy: null, assignee: { found: 'zhaoliu', to: 'sunqi' } }]);
  const reviewed = fold(ticketModel, 'T1', [...ops, op(EDGE, 4, 7, 'ticket.reviewed', { opIds: [`${CLOUD}.1`] })]);
  t.match(reviewed, { needsReview: false, conflicts: [{ reviewedBy: 'office' }] });
});

t.test('a reassignment that saw the current worker is ordinary; so is a first assignment', async (t) => {
  const s = fold(ticketModel, 'T1', [created, assign(EDGE, 2, 1, 'submitted', null, 'liwei'), assign(CLOUD, 1, 2, 'assigned', 'liwei', 'sunqi'), assign(EDGE, 3, 3, 'assigned', 'sunqi', 'zhaoliu')]);
  t.match(s, { assignee: 'zhaoliu', needsReview: false, conflicts: [] });
});

t.test('both assign a new ticket (the status crossed too): the status conflict gets the names', async (t) => {
  const s = fold(ticketModel, 'T1', [created, assign(EDGE, 2, 1, 'submitted', null, 'liwei'), assign(CLOUD, 1, 2, 'submitted', null, 'sunqi')]);
  t.match(s, { assignee: 'sunqi', needsReview: true });
  t.same(s.conflicts.map((c) => [c.expected, c.found, c.assignee]), [['submitted', 'assigned', { found: 'liwei', to: 'sunqi' }]]);
});

t.test('an op from before fromAssignee existed is judged by its status alone', async (t) => {
  const s = fold(ticketModel, 'T1', [created, assign(EDGE, 2, 1, 'submitted', undefined, 'liwei'), assign(EDGE, 3, 5, 'assigned', undefined, 'zhaoliu'), assign(CLOUD, 1, 6, 'assigned', undefined, 'sunqi')]);
  t.match(s, { assignee: 'sunqi', needsReview: false, conflicts: [] });
});

t.test('help requests follow the same rule', async (t) => {
  const h = (origin: string, seq: number, minute: number, type: string, payload: Record<string, unknown>) => op(origin, seq, minute, type, payload, 'help_request');
  const s = fold(helpRequestModel, 'T1', [
    h(EDGE, 1, 0, 'help_request.created', { residentId: 'R1', type: 'daily_living', typeName: 't', description: 'd', urgent: false }),
    assign(EDGE, 2, 1, 'submitted', null, 'liwei', 'help_request'),
    assign(CLOUD, 1, 5, 'assigned', 'liwei', 'sunqi', 'help_request'),
    assign(EDGE, 3, 6, 'assigned', 'liwei', 'zhaoliu', 'help_request'),
  ]);
  t.match(s, { assignee: 'zhaoliu', needsReview: true, conflicts: [{ opId: `${EDGE}.3`, applied: true, assignee: { found: 'sunqi', to: 'zhaoliu' } }] });
});
