import t from 'tap';
import { apiHarness } from './helpers/api.ts';

const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', gridWorker: 'grid_worker', dibao: true, notes: '独居' };

t.test('a masked list reveals nothing and is not audited; reading one resident is', async (t) => {
  const h = await apiHarness(t);
  const zhang = (await h.as.cadre.post('/api/residents', ZHANG)).body.resident;
  const before = (await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries.length;

  const list = await h.as.cadre.get('/api/residents?masked=true');
  t.equal(list.status, 200);
  t.same(list.body.residents[0], { ...zhang, idNumber: '110101********1234', phone: '138****5678', dibao: null, disabled: null, elderly: null, notes: null, sensitive: false }, 'masked as for a viewer without access');
  t.notMatch(JSON.stringify(list.body), /110101195003071234|13812345678|独居/, 'no sensitive value in the reply');
  t.equal((await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries.length, before, 'nothing shown, nothing audited');

  const one = (await h.as.cadre.get(`/api/residents/${zhang.id}`)).body.resident;
  t.match(one, { idNumber: ZHANG.idNumber, phone: ZHANG.phone, dibao: true, sensitive: true }, 'the full record, on purpose');
  const [read] = (await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries;
  t.match(read, { actor: 'cadre', target: `resident:${zhang.id}` }, 'and that read is audited');

  t.equal((await h.as.cadre.get('/api/residents?masked=false')).body.residents[0].sensitive, true, 'masked=false: as before');
  t.equal((await h.as.cadre.get('/api/residents?masked=maybe')).status, 400, 'a bad flag is refused');
});
