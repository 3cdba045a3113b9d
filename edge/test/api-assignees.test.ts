/**
 * The office's pickers of assignees (GET /api/ticket-assignees for a
 * dispatcher, GET /api/help-assignees for whoever handles help): who may ask
 * (the assign route's permission), who is listed (the box's enabled accounts
 * the shared assign rule accepts, nobody else) and what of them (name,
 * display name, role: never more of the account). A real API over a real
 * SQLite file, one account per role (named after it) and a few more.
 */
import t from 'tap';
import { ROLES } from '../src/auth/users.ts';
import { PERMISSIONS } from '../src/api/permissions.ts';
import { apiHarness } from './helpers/api.ts';

/** The harness's accounts plus a named grid worker and a disabled one. */
async function harness(t: Parameters<typeof apiHarness>[0]) {
  const h = await apiHarness(t, { extraUsers: [['liwei', 'grid_worker'], ['gone', 'grid_worker'], ['zhangsan', 'villager']] });
  h.users.update(h.users.getByUsername('liwei')!.id, { displayName: '李伟' });
  h.users.update(h.users.getByUsername('gone')!.id, { disabled: true });
  return h;
}

/** Enabled staff who may be assigned anything, by user name; no disabled account, no villager, nobody of another role. */
const STAFF = [
  { username: 'admin', displayName: null, role: 'admin' },
  { username: 'cadre', displayName: null, role: 'cadre' },
  { username: 'grid_worker', displayName: null, role: 'grid_worker' },
  { username: 'liwei', displayName: '李伟', role: 'grid_worker' },
];

for (const [path, permission] of [['/api/ticket-assignees', 'tickets.dispatch'], ['/api/help-assignees', 'help.handle']] as const) {
  t.test(`GET ${path}: who may ask (${permission}) and whom it lists`, async (t) => {
    const h = await harness(t);
    const r = await h.as.cadre.get(path);
    t.equal(r.status, 200);
    t.same(r.body, { assignees: STAFF }, 'the enabled accounts the assign command accepts, by name, and only name, display name and role');
    t.notMatch(JSON.stringify(r.body), /villager|zhangsan|gone|technician|viewer|party_/, 'no villager, no disabled account, no other role');
    for (const role of ROLES) {
      const allowed = (PERMISSIONS[permission] as readonly string[]).includes(role);
      t.equal((await h.as[role].get(path)).status, allowed ? 200 : 403, `${role}: ${allowed ? 'may' : 'may not'} assign, so ${allowed ? 'may' : 'may not'} list`);
    }
    t.equal((await h.anon.get(path)).status, 401, 'signed out');
    // Re-enabled, the account is offered again: the list is read when asked, not kept.
    h.users.update(h.users.getByUsername('gone')!.id, { disabled: false });
    t.ok(((await h.as.admin.get(path)).body.assignees as Array<{ username: string }>).some((a) => a.username === 'gone'), 'enabled again: listed again');
  });
}

t.test('each listed account may be given the ticket or the help request; an unlisted one may not', async (t) => {
  const h = await harness(t);
  const ticket = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: '桥头有垃圾', place: '桥头' })).body.ticket.id as string;
  await h.as.cadre.post('/api/residents', { name: '张三', username: 'zhangsan', gridWorker: 'liwei' });
  const help = (await h.login('zhangsan').then((z) => z.post('/api/help-requests', { type: 'medical' }))).body.request.id as string;
  for (const [list, assign] of [['/api/ticket-assignees', `/api/tickets/${ticket}/assign`], ['/api/help-assignees', `/api/help-requests/${help}/assign`]] as const) {
    const listed = ((await h.as.cadre.get(list)).body.assignees as Array<{ username: string }>).map((a) => a.username);
    for (const who of listed) t.equal((await h.as.cadre.post(assign, { assignee: who })).status, 200, `${assign}: ${who} is listed and may be assigned`);
    for (const who of ['gone', 'zhangsan', 'technician', 'party_secretary']) {
      t.notOk(listed.includes(who), `${who} is not listed`);
      t.match(await h.as.cadre.post(assign, { assignee: who }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, `${assign}: nor may ${who} be assigned`);
    }
  }
});
