import t, { type Test } from 'tap';
import { apiHarness } from './helpers/api.ts';

const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', gridWorker: 'grid_worker', username: 'villager', dibao: true, elderly: true, notes: '独居' };
const LI = { name: '李四', idNumber: '37020219800101567X', phone: '13987654321', address: '二组3号', gridWorker: 'worker2', disabled: true };

async function setup(t: Test) {
  const h = await apiHarness(t, { extraUsers: [['worker2', 'grid_worker']] });
  const zhang = (await h.as.cadre.post('/api/residents', ZHANG)).body.resident;
  const li = (await h.as.cadre.post('/api/residents', LI)).body.resident;
  return { h, zhang, li, worker2: await h.login('worker2') };
}

t.test('sensitive fields: full for those allowed (audited), masked for everyone else', async (t) => {
  const { h, zhang, li } = await setup(t);
  t.match(zhang, { name: '张三', idNumber: ZHANG.idNumber, phone: ZHANG.phone, dibao: true, sensitive: true });

  const mine = (await h.as.grid_worker.get('/api/residents')).body.residents;
  t.same(mine.map((r: { name: string }) => r.name), ['张三'], 'a grid worker lists only their grid');
  t.match(mine[0], { idNumber: ZHANG.idNumber, phone: ZHANG.phone, dibao: true, elderly: true, notes: '独居', sensitive: true });
  // Another grid's resident is not in the grid worker's list, so not there by id either (not even masked).
  t.match(await h.as.grid_worker.get(`/api/residents/${li.id}`), { status: 404, body: { error: { code: 'NOT_FOUND' } } }, 'another grid: no such resident');

  const all = (await h.as.cadre.get('/api/residents')).body.residents;
  t.same(all.map((r: { name: string; sensitive: boolean }) => [r.name, r.sensitive]), [['李四', true], ['张三', true]]);
  for (const role of ['viewer', 'villager', 'party_member', 'party_secretary', 'technician'] as const) {
    t.match(await h.as[role].get('/api/residents'), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, `${role} cannot list residents`);
    t.equal((await h.as[role].get(`/api/residents/${li.id}`)).status, 403);
  }
  t.equal((await h.as.grid_worker.post('/api/residents', { name: '王五' })).status, 403, 'grid workers do not create profiles');
  t.same((await h.as.viewer.get('/api/residents/stats')).body, { residents: 2, dibao: 1, disabled: 1, elderly: 1 }, 'counts only');

  const audit = (await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries as Array<{ actor: string; target: string | null; detail: { residents: string[] } }>;
  // Newest first: cadre's list, grid worker's list, and the two creates' replies (the grid worker's read of another grid was a 404).
  t.same(
    audit.map((e) => [e.actor, [...e.detail.residents].sort()]),
    [
      ['cadre', [li.id, zhang.id].sort()],
      ['grid_worker', [zhang.id]],
      ['cadre', [li.id]],
      ['cadre', [zhang.id]],
    ],
  );
  const everything = JSON.stringify([(await h.as.admin.get('/api/audit?limit=500')).body]);
  t.notMatch(everything, /110101195003071234|13812345678|37020219800101567X/, 'no ID or phone number in the audit log');

  t.match(await h.as.cadre.post('/api/residents', { name: '赵六', idNumber: '1234' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.match(await h.as.cadre.post('/api/residents', { name: '赵六', gridWorker: 'villager' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'grid worker must be a grid worker');
  t.match(await h.as.cadre.patch(`/api/residents/${li.id}`, { phone: '13900000000' }), { body: { resident: { phone: '13900000000' } } });
});

t.test('help requests: one tap, dispatch, follow-up, visibility', async (t) => {
  const { h, zhang, li, worker2 } = await setup(t);
  const tap = await h.as.villager.post('/api/help-requests', { type: 'medical' });
  t.equal(tap.status, 201);
  const req = tap.body.request;
  t.match(req, { residentId: zhang.id, residentName: '张三', type: 'medical', typeName: '就医陪护', status: 'submitted', createdBy: 'villager' });
  t.match(await h.as.party_member.post('/api/help-requests', { type: 'medical' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'no linked profile');
  t.equal((await h.as.villager.post('/api/help-requests', { type: 'medical', residentId: li.id })).status, 403, 'not for someone else');
  t.equal((await worker2.post('/api/help-requests', { type: 'repair', residentId: li.id, description: '屋顶漏水' })).status, 201, 'a grid worker asks for a resident of their grid');
  t.match(await h.as.villager.post('/api/help-requests', { type: 'nope' }), { status: 400 });

  t.same((await worker2.get('/api/help-requests')).body.requests.map((r: { residentName: string }) => r.residentName), ['李四'], 'worker2 sees only their residents');
  t.equal((await worker2.get(`/api/help-requests/${req.id}`)).status, 404);
  t.same((await h.as.villager.get('/api/help-requests')).body.requests.map((r: { id: string }) => r.id), [req.id]);
  t.equal((await h.as.cadre.get('/api/help-requests')).body.requests.length, 2);

  t.equal((await h.as.villager.post(`/api/help-requests/${req.id}/assign`, { assignee: 'grid_worker' })).status, 403);
  t.match(await h.as.cadre.post(`/api/help-requests/${req.id}/assign`, { assignee: 'grid_worker' }), { body: { request: { status: 'assigned', assignee: 'grid_worker' } } });
  t.equal((await worker2.post(`/api/help-requests/${req.id}/start`)).status, 404, 'not visible to another grid worker');
  t.match(await h.as.grid_worker.post(`/api/help-requests/${req.id}/start`), { body: { request: { status: 'in_progress' } } });
  t.match(await h.as.grid_worker.post(`/api/help-requests/${req.id}/followups`, { text: '已联系卫生院，明早8点陪同就医' }), { status: 201, body: { request: { followUps: [{ by: 'grid_worker', text: '已联系卫生院，明早8点陪同就医' }] } } });
  t.equal((await h.as.villager.post(`/api/help-requests/${req.id}/followups`, { text: 'x' })).status, 403);
  t.match(await h.as.grid_worker.post(`/api/help-requests/${req.id}/resolve`, { note: '已陪同就医' }), { body: { request: { status: 'resolved' } } });
  t.match(await h.as.grid_worker.post(`/api/help-requests/${req.id}/close`), { body: { request: { status: 'closed' } } });
  t.match(await h.as.villager.post(`/api/help-requests/${req.id}/cancel`, { reason: 'x' }), { status: 409, body: { error: { code: 'INVALID_TRANSITION' } } });
  t.match((await h.as.villager.get(`/api/help-requests/${req.id}`)).body.request, { status: 'closed', statusNote: null });
  const history = (await h.as.cadre.get(`/api/help-requests/${req.id}/history`)).body.history;
  t.same(history.map((o: { type: string; payload: { to?: string } }) => o.payload.to ?? o.type), ['help_request.created', 'assigned', 'in_progress', 'help_request.followup', 'resolved', 'closed']);

  const second = (await h.as.villager.post('/api/help-requests', { type: 'daily_living', urgent: true })).body.request;
  t.match(await h.as.villager.post(`/api/help-requests/${second.id}/cancel`, { reason: '家人回来了' }), { body: { request: { status: 'cancelled' } } });

  t.equal((await h.as.grid_worker.put('/api/help-types/transport', { name: '代购' })).status, 403);
  t.match(await h.as.cadre.put('/api/help-types/shopping', { name: '代购' }), { body: { type: { id: 'shopping', name: '代购', active: true } } });
  t.ok((await h.as.villager.get('/api/help-types')).body.types.some((x: { id: string }) => x.id === 'shopping'));
});
