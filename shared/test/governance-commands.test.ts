/**
 * The shared governance commands over an in-memory village (a Replica of the
 * real models): pure (they read through lookups and answer drafts, committing
 * nothing), and the record-level rules both APIs rely on. The edge's API and
 * the phone API running them alike is cloud/test/governance-parity.test.ts.
 */
import t from 'tap';
import { MemoryVillage } from '@cunbox/test-support/memory-village';
import { Replica } from '../src/oplog/fold.ts';
import { HlcClock } from '../src/oplog/hlc.ts';
import { newId, opId } from '../src/oplog/ids.ts';
import type { EntityBase, Op } from '../src/oplog/types.ts';
import { governanceModels } from '../src/governance/models.ts';
import type { AccountFacts, Actor, CommandResult, GovernanceLookups } from '../src/governance/command.ts';
import { ticketAssignees, ticketCommands } from '../src/governance/tickets/commands.ts';
import { ticketHistoryView, ticketView } from '../src/governance/tickets/view.ts';
import { certificateCommands } from '../src/governance/certificates/commands.ts';
import { residentCommands } from '../src/governance/residents/commands.ts';
import { helpAssignees, helpCommands } from '../src/governance/help/commands.ts';
import { GRID_KEEPERS, HELP_HANDLERS, PERMISSIONS, TICKET_WORKERS } from '../src/auth/permissions.ts';
import { ROLES } from '../src/auth/roles.ts';
import { CunboxError } from '../src/platform/errors.ts';
import type { TicketState } from '../src/governance/ticket.ts';

/** A village in memory (accounts, a replica of the models); commit moves its clock on a second. */
function village(accounts: AccountFacts[]) {
  const mv = new MemoryVillage({ now: Date.UTC(2026, 4, 11, 1, 0, 0), accounts });
  // Media is the adapters' business (each checks its own store): any id is taken here.
  mv.requireMedia = () => {};
  const commit = (r: CommandResult): string => {
    mv.run(r);
    mv.now += 1000;
    return r.entityId;
  };
  return { look: mv as GovernanceLookups, commit, replica: mv.replica, ops: () => mv.ops.length };
}

const ACCOUNTS: AccountFacts[] = [
  { username: 'admin', role: 'admin', disabled: false },
  { username: 'cadre', role: 'cadre', disabled: false },
  { username: 'liwei', role: 'grid_worker', disabled: false },
  { username: 'gone', role: 'grid_worker', disabled: true },
  { username: 'zhang', role: 'villager', disabled: false },
  { username: 'li', role: 'villager', disabled: false },
];
const as = (username: string): Actor => ({ username, role: ACCOUNTS.find((a) => a.username === username)!.role });
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof CunboxError ? err.code : String(err);
  }
};

t.test('commands commit nothing themselves: they answer drafts', async (t) => {
  const v = village(ACCOUNTS);
  const r = ticketCommands.create(v.look, as('zhang'), { category: 'garbage', description: '桥头垃圾', place: '桥头' });
  t.equal(r.drafts.length, 1);
  t.equal(v.ops(), 0, 'nothing in the village until the adapter commits');
  t.match(r.drafts[0], { entityKind: 'ticket', type: 'ticket.created', payload: { category: 'garbage', slaMinutes: 30, reporter: 'zhang' } });
  t.equal(r.actor, 'zhang');
});

t.test('tickets: anonymous, dispatch to a worker, a grid worker only on their own', async (t) => {
  const v = village(ACCOUNTS);
  const anon = ticketCommands.create(v.look, as('li'), { category: 'garbage', description: 'x', place: 'y', anonymous: true });
  t.equal(anon.actor, 'anonymous', 'committed as anonymous');
  t.equal((anon.drafts[0]!.payload as { reporter: unknown }).reporter, null, 'no reporter in the op');
  const id = v.commit(ticketCommands.create(v.look, as('zhang'), { category: 'garbage', description: 'x', place: 'y' }));
  t.equal(code(() => ticketCommands.assign(v.look, as('cadre'), id, { assignee: 'zhang' })), 'INVALID_INPUT', 'a villager does not work tickets');
  t.equal(code(() => ticketCommands.assign(v.look, as('cadre'), id, { assignee: 'gone' })), 'INVALID_INPUT', 'a disabled account is not dispatched to');
  t.equal(code(() => ticketCommands.close(v.look, as('zhang'), id, {})), 'INVALID_TRANSITION', 'submitted → closed is not a step');
  v.commit(ticketCommands.assign(v.look, as('cadre'), id, { assignee: 'cadre' }));
  t.equal(code(() => ticketCommands.start(v.look, as('liwei'), id, {})), 'FORBIDDEN', 'assigned to someone else');
  t.equal(code(() => ticketCommands.close(v.look, as('li'), id, {})), 'FORBIDDEN', 'not the reporter');
  t.equal(code(() => ticketCommands.start(v.look, as('cadre'), 'nope', {})), 'NOT_FOUND');
  v.commit(ticketCommands.start(v.look, as('cadre'), id, {}));
  const t1 = v.look.get<TicketState>('ticket', id)!;
  t.equal(t1.status, 'in_progress');
  t.equal(ticketView(t1, as('li'), v.look.now).reporter, null, 'another villager does not see who reported');
  t.equal(ticketView(t1, as('liwei'), v.look.now).reporter, 'zhang', 'a worker does');
  const createdOp = { id: 'x', hlc: 'h', actor: 'zhang', type: 'ticket.created', payload: { reporter: 'zhang' } } as unknown as Op;
  t.match(ticketHistoryView(t1, [createdOp], as('li'))[0], { actor: null, payload: { reporter: null } }, 'nor in the history');
});

t.test('certificates: the profile\'s ID number is never copied into the op; only reviewers ask for others', async (t) => {
  const v = village(ACCOUNTS);
  const rid = v.commit(residentCommands.create(v.look, as('admin'), { name: '张三', idNumber: '110101199003071234', username: 'zhang', gridWorker: 'liwei' }));
  const own = certificateCommands.request(v.look, as('zhang'), { type: 'residence', purpose: '社保' });
  t.match(own.drafts[0]!.payload, { residentId: rid, applicantName: '张三', idNumber: null });
  t.equal(code(() => certificateCommands.request(v.look, as('li'), { type: 'residence', purpose: 'x', residentId: rid })), 'FORBIDDEN');
  t.equal(code(() => certificateCommands.request(v.look, as('li'), { type: 'residence', purpose: 'x' })), 'INVALID_INPUT', 'no profile, no name');
  const cid = v.commit(certificateCommands.request(v.look, as('cadre'), { type: 'residence', purpose: 'x', residentId: rid }));
  t.equal(code(() => certificateCommands.approve(v.look, as('zhang'), cid)), 'FORBIDDEN');
  const approved = certificateCommands.approve(v.look, as('cadre'), cid);
  t.match((approved.drafts[0]!.payload as { verificationCode: string }).verificationCode, /^[0-9A-Z]{12}$/, 'the code is made once, in the op');
});

t.test('residents and help: only grid workers look after a grid; the village office and the grid worker ask for a resident', async (t) => {
  const v = village(ACCOUNTS);
  t.equal(code(() => residentCommands.create(v.look, as('admin'), { name: 'x', gridWorker: 'cadre' })), 'INVALID_INPUT');
  const rid = v.commit(residentCommands.create(v.look, as('admin'), { name: '王奶奶', gridWorker: 'liwei' }));
  t.equal(code(() => helpCommands.request(v.look, as('li'), { type: 'repair', residentId: rid })), 'FORBIDDEN');
  const hid = v.commit(helpCommands.request(v.look, as('liwei'), { type: 'repair', residentId: rid }));
  t.equal(code(() => helpCommands.start(v.look, as('li'), hid, {})), 'NOT_FOUND', 'a request one may not see is not there');
  t.equal(code(() => helpCommands.assign(v.look, as('cadre'), hid, { assignee: 'zhang' })), 'INVALID_INPUT');
  v.commit(helpCommands.assign(v.look, as('cadre'), hid, { assignee: 'liwei' }));
  t.equal(v.look.get<EntityBase & { status: string }>('help_request', hid)!.status, 'assigned');
});

t.test('the pickers offer exactly whom the assign commands accept: every role, enabled or not', async (t) => {
  const everyone: AccountFacts[] = ROLES.flatMap((role) => [
    { username: `${role}-on`, role, disabled: false },
    { username: `${role}-off`, role, disabled: true },
  ]);
  const v = village([...everyone, ...ACCOUNTS]);
  const ticket = v.commit(ticketCommands.create(v.look, as('zhang'), { category: 'garbage', description: '桥头垃圾', place: '桥头' }));
  const resident = v.commit(residentCommands.create(v.look, as('admin'), { name: '王奶奶', gridWorker: 'liwei' }));
  const help = v.commit(helpCommands.request(v.look, as('liwei'), { type: 'repair', residentId: resident }));
  const accepted = (assign: (assignee: string) => unknown) => everyone.filter((u) => code(() => assign(u.username)) === undefined).map((u) => u.username);
  const tickets = accepted((assignee) => ticketCommands.assign(v.look, as('cadre'), ticket, { assignee }));
  const helpers = accepted((assignee) => helpCommands.assign(v.look, as('cadre'), help, { assignee }));
  t.same(ticketAssignees(everyone).map((u) => u.username), tickets, 'tickets: the picker and the command agree');
  t.same(helpAssignees(everyone).map((u) => u.username), helpers, 'help: the picker and the command agree');
  t.same(helpers, ['admin-on', 'cadre-on', 'grid_worker-on'], 'enabled staff who handle help; nobody disabled, no villager');
  t.same(helpAssignees(ACCOUNTS), ACCOUNTS.filter((u) => u.username === 'admin' || u.username === 'cadre' || u.username === 'liwei'), 'the accounts themselves, in the order given');
});

t.test('named role sets are the permission table\'s', async (t) => {
  t.same([...TICKET_WORKERS].sort(), [...PERMISSIONS['tickets.work']].sort());
  t.same([...HELP_HANDLERS].sort(), [...PERMISSIONS['help.handle']].sort());
  for (const r of GRID_KEEPERS) t.ok(TICKET_WORKERS.has(r) && HELP_HANDLERS.has(r), `${r} works tickets and handles help`);
});
