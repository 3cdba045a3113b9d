import t from 'tap';
import { ROLES } from '../src/auth/users.ts';
import { apiHarness } from './helpers/api.ts';

/**
 * Every detail route answers exactly for what its list shows the same caller:
 * a record missing from someone's list is a 404 for them by id (as if it did
 * not exist), and one in the list is a 200. Checked for every role over
 * records made by several people.
 */
t.test('each GET …/{id} shows what its list shows, for every role', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['worker2', 'grid_worker'], ['member2', 'party_member']] });
  const worker2 = await h.login('worker2');
  const member2 = await h.login('member2');
  const created = (r: { status: number; body: Record<string, { id: string }> }, key: string) => {
    if (r.status !== 201) throw new Error(`${key}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body[key]!.id;
  };

  const residents = [
    created(await h.as.cadre.post('/api/residents', { name: '张三', gridWorker: 'grid_worker', username: 'villager', phone: '13812345678' }), 'resident'),
    created(await h.as.cadre.post('/api/residents', { name: '李四', gridWorker: 'worker2', phone: '13987654321' }), 'resident'),
    created(await h.as.cadre.post('/api/residents', { name: '王五' }), 'resident'),
  ];
  const helpRequests = [
    created(await h.as.villager.post('/api/help-requests', { type: 'medical' }), 'request'),
    created(await worker2.post('/api/help-requests', { type: 'repair', residentId: residents[1] }), 'request'),
  ];
  const tickets = [created(await h.as.villager.post('/api/tickets', { category: 'garbage', description: '桥下垃圾', place: '桥头' }), 'ticket')];
  const certificates = [
    created(await h.as.villager.post('/api/certificates', { type: 'work_away', purpose: '外出务工', details: '青岛' }), 'certificate'),
    created(await h.as.party_member.post('/api/certificates', { type: 'work_away', purpose: '外出务工', details: '烟台', applicantName: '党员甲' }), 'certificate'),
  ];
  const members = [
    created(await h.as.party_secretary.post('/api/party/members', { name: '安一', branch: '一支部', username: 'party_member' }), 'member'),
    created(await h.as.party_secretary.post('/api/party/members', { name: '白二', branch: '一支部', username: 'member2' }), 'member'),
  ];
  const claims = [
    created(await h.as.party_member.post('/api/party/claims', { ruleCode: 'blood_donation', description: '献血', date: '2026-05-04' }), 'claim'),
    created(await member2.post('/api/party/claims', { ruleCode: 'blood_donation', description: '献血', date: '2026-05-05' }), 'claim'),
  ];
  const announcements = [created(await h.as.cadre.post('/api/announcements', { category: 'village', title: '村务草稿', body: '内容' }), 'announcement')];

  const pairs: Array<{ list: string; key: string; detail: (id: string) => string; ids: string[] }> = [
    { list: '/api/residents', key: 'residents', detail: (id) => `/api/residents/${id}`, ids: residents },
    { list: '/api/help-requests', key: 'requests', detail: (id) => `/api/help-requests/${id}`, ids: helpRequests },
    { list: '/api/tickets', key: 'tickets', detail: (id) => `/api/tickets/${id}`, ids: tickets },
    { list: '/api/certificates', key: 'certificates', detail: (id) => `/api/certificates/${id}`, ids: certificates },
    { list: '/api/party/claims', key: 'claims', detail: (id) => `/api/party/claims/${id}`, ids: claims },
    { list: '/api/party/members', key: 'members', detail: (id) => `/api/party/members/${id}`, ids: members },
    { list: '/api/announcements', key: 'announcements', detail: (id) => `/api/announcements/${id}`, ids: announcements },
  ];
  const callers = [...ROLES.map((r) => [r, h.as[r]] as const), ['worker2', worker2] as const, ['member2', member2] as const];
  let checked = 0;
  for (const p of pairs) {
    for (const [who, c] of callers) {
      const list = await c.get(p.list);
      for (const id of p.ids) {
        const detail = await c.get(p.detail(id));
        checked++;
        if (list.status === 403) {
          t.equal(detail.status, 403, `${who}: ${p.list} forbidden, so is ${p.detail(id)}`);
          continue;
        }
        const listed = (list.body[p.key] as Array<{ id: string }>).some((x) => x.id === id);
        t.equal(detail.status, listed ? 200 : 404, `${who}: ${p.detail(id)} ${listed ? 'listed' : 'not listed'}`);
      }
    }
  }
  t.ok(checked > 100, `${checked} (caller, record) pairs`);
  t.match(await h.as.grid_worker.get(`/api/residents/${residents[1]}`), { status: 404, body: { error: { code: 'NOT_FOUND' } } }, 'another grid\'s resident does not exist for a grid worker');
});
