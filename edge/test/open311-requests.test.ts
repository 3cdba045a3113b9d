import t from 'tap';
import { apiHarness, type Reply } from './helpers/api.ts';
import { form, parseXml } from './helpers/open311.ts';

/** GeoReport v2 POST and GET requests: attributes checked against the service definition, the 90-day window, filters, paging. */
t.test('attribute[code]: required, datatype and choices checked against the definition, clear errors, nothing stored', async (t) => {
  const h = await apiHarness(t);
  const put = await h.as.admin.put('/api/ticket-categories/streetlamp', {
    name: '路灯报修',
    slaMinutes: 120,
    attributes: [
      { code: 'pole_no', description: '灯杆编号', datatype: 'number', required: true, variable: true, order: 1, datatypeDescription: '灯杆上的数字', values: [] },
      { code: 'seen_at', description: '何时发现', datatype: 'datetime', required: false, variable: true, order: 2, datatypeDescription: null, values: [] },
      { code: 'faults', description: '故障', datatype: 'multivaluelist', required: false, variable: true, order: 3, datatypeDescription: null, values: [{ key: 'dark', name: '不亮' }, { key: 'flicker', name: '闪烁' }, { key: 'leaning', name: '倾斜' }] },
      { code: 'note', description: '夜间请注意安全', datatype: 'text', required: false, variable: false, order: 4, datatypeDescription: null, values: [] },
    ],
  });
  t.equal(put.status, 200, JSON.stringify(put.body));
  t.match(await h.as.admin.put('/api/ticket-categories/streetlamp', { attributes: [{ code: 'x', description: 'y', datatype: 'singlevaluelist', required: false, variable: true, order: 1, datatypeDescription: null, values: [] }] }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'a list without choices is refused');
  const def = await h.anon.get('/open311/v2/services/streetlamp.json');
  t.same(def.body.attributes.map((a: { code: string }) => a.code), ['pole_no', 'seen_at', 'faults', 'note']);
  t.match(def.body.attributes[3], { variable: false });

  const key = (await h.as.villager.post('/api/tokens', { name: 'app' })).body.token as string;
  const base: Array<[string, string]> = [['api_key', key], ['service_code', 'streetlamp'], ['address_string', '东头'], ['description', '路灯坏了']];
  const post = (extra: Array<[string, string]>, fmt = 'json') => h.anon.inject({ method: 'POST', url: `/open311/v2/requests.${fmt}`, ...form([...base, ...extra]) });
  const ops = () => (h.db.prepare('SELECT count(*) AS n FROM gov_ops').get() as { n: number }).n;
  const opsBefore = ops();

  t.match(await post([]), { status: 400, body: [{ code: 400, description: 'attribute[pole_no]: required (灯杆编号)' }] });
  t.match(await post([['attribute[pole_no]', '12a']]), { status: 400, body: [{ code: 400, description: 'attribute[pole_no]: must be a decimal number' }] });
  t.match(await post([['attribute[pole_no]', '12'], ['attribute[seen_at]', 'yesterday']]), { status: 400, body: [{ code: 400, description: /attribute\[seen_at\]: must be a date-time/ }] });
  t.match(await post([['attribute[pole_no]', '12'], ['attribute[faults][]', 'dark'], ['attribute[faults][]', 'smoking']]), { status: 400, body: [{ code: 400, description: /attribute\[faults\]: not among the choices \(dark, flicker, leaning\)/ }] });
  t.match(await post([['attribute[pole_no]', '12'], ['attribute[colour]', 'red']]), { status: 400, body: [{ code: 400, description: 'attribute[colour]: this service has no such attribute' }] });
  t.match(await post([['attribute[pole_no]', '12'], ['attribute[note]', 'hi']]), { status: 400, body: [{ code: 400, description: 'attribute[note]: informational, not to be answered' }] });
  const both = await post([['attribute[seen_at]', 'soon'], ['attribute[colour]', 'red']], 'xml');
  t.equal(both.status, 400);
  t.same(parseXml(both).body.error.map((e: { description: string }) => e.description).sort(), ['attribute[colour]: this service has no such attribute', 'attribute[pole_no]: required (灯杆编号)', 'attribute[seen_at]: must be a date-time with its zone, e.g. 2026-05-11T09:00:00+08:00'], 'every problem, one <error> each');
  t.equal(ops(), opsBefore, 'no refused report left an op');

  const ok = await post([['attribute[pole_no]', ' 12 '], ['attribute[seen_at]', '2026-05-10T21:30:00+08:00'], ['attribute[faults][]', 'dark'], ['attribute[faults][]', 'leaning'], ['attribute[faults][]', 'dark']]);
  t.equal(ok.status, 201, JSON.stringify(ok.body));
  const ticket = (await h.as.cadre.get(`/api/tickets/${ok.body[0].service_request_id}`)).body.ticket;
  t.same(ticket.attributes, { pole_no: '12', seen_at: '2026-05-10T21:30:00+08:00', faults: ['dark', 'leaning'] });

  // The box's own API asks the same questions, so a required one does not lock its users out.
  t.match(await h.as.villager.post('/api/tickets', { category: 'streetlamp', description: '路灯坏了', place: '东头' }), { status: 400, body: { error: { code: 'INVALID_INPUT', details: ['attribute[pole_no]: required (灯杆编号)'] } } });
  t.match(await h.as.villager.post('/api/tickets', { category: 'streetlamp', description: '路灯坏了', place: '东头', attributes: { pole_no: '3', faults: ['flicker'] } }), { status: 201, body: { ticket: { attributes: { pole_no: '3', faults: ['flicker'] } } } });
});

t.test('GET requests: 90-day default window, date span, filters, paging', async (t) => {
  const h = await apiHarness(t);
  const make = async (category: string) => (await h.as.villager.post('/api/tickets', { category, description: `${category} 问题`, place: '村口' })).body.ticket.id as string;
  const old = await make('garbage');
  await h.advance(100 * 86_400_000);
  const recent: string[] = [];
  for (const c of ['garbage', 'parking', 'garbage', 'other', 'garbage']) {
    recent.push(await make(c));
    await h.advance(60_000);
  }
  const ids = (r: Reply) => (r.body as Array<{ service_request_id: string }>).map((x) => x.service_request_id);
  const newestFirst = [...recent].reverse();

  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json')), newestFirst, 'by default the last 90 days, newest first');
  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json?start_date=2026-05-01T00:00:00%2B08:00')), [old], 'start_date alone: the 90 days after it');
  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json?end_date=2026-05-12T00:00:00%2B08:00')), [old], 'end_date alone: the 90 days before it');
  const span = await h.as.cadre.get('/open311/v2/requests.json?start_date=2026-05-01T00:00:00%2B08:00&end_date=2026-09-01T00:00:00%2B08:00');
  t.match(span, { status: 400, body: [{ code: 400, description: 'start_date and end_date may be at most 90 days apart' }] });
  t.match(await h.as.cadre.get('/open311/v2/requests.json?start_date=2026-06-01T00:00:00%2B08:00&end_date=2026-05-01T00:00:00%2B08:00'), { status: 400, body: [{ code: 400, description: 'start_date is after end_date' }] });

  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json?service_code=garbage')), [recent[4], recent[2], recent[0]]);
  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json?service_code=parking,other')), [recent[3], recent[1]]);
  t.same(ids(await h.as.cadre.get('/open311/v2/requests.json?status=open,closed&service_code=garbage')), [recent[4], recent[2], recent[0]]);
  t.same(ids(await h.as.cadre.get(`/open311/v2/requests.json?service_request_id=${old},${recent[1]}&service_code=other`)), [old, recent[1]], 'ids given: the other filters are ignored');

  const page = (n: number) => h.as.cadre.get(`/open311/v2/requests.json?page_size=2&page=${n}`);
  t.same(ids(await page(1)), newestFirst.slice(0, 2));
  t.same(ids(await page(2)), newestFirst.slice(2, 4));
  t.same(ids(await page(3)), newestFirst.slice(4), 'a short page is the last');
  t.same(ids(await page(4)), []);
  const pxml = parseXml(await h.as.cadre.get('/open311/v2/requests.xml?page_size=2&page=2'));
  t.same(pxml.body.request.map((r: { service_request_id: string }) => r.service_request_id), newestFirst.slice(2, 4));
  t.equal(parseXml(await h.as.cadre.get('/open311/v2/requests.xml?page=9')).body, '', 'an empty page is an empty <service_requests/>');
  t.match(await h.as.cadre.get('/open311/v2/requests.json?page_size=1001'), { status: 400, body: [{ code: 400, description: /page_size/ }] });
  t.match(await h.as.cadre.get('/open311/v2/requests.json?page=0'), { status: 400, body: [{ code: 400, description: /page/ }] });
});
