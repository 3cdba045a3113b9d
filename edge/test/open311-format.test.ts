import t from 'tap';
import { XMLParser } from 'fast-xml-parser';
import { createLogger } from '../src/log.ts';
import { apiHarness, type Client, type Reply } from './helpers/api.ts';

/**
 * GeoReport v2 as the spec shows it: the same answers in JSON and XML, with
 * the spec's element names and nesting, over the real app and SQLite.
 */

const LISTS = new Set(['services.service', 'service_requests.request', 'errors.error', 'service_definition.attributes.attribute', 'service_definition.attributes.attribute.values.value', 'discovery.endpoints.endpoint', 'discovery.endpoints.endpoint.formats.format']);
const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: false, ignoreAttributes: false, isArray: (_name, jpath) => LISTS.has(String(jpath)) });

/** The document's root element and its content, every value as text. */
function parseXml(r: Reply): { decl: Record<string, string>; root: string; body: any } {
  const doc = parser.parse(r.raw.toString('utf8')) as Record<string, any>;
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1) throw new Error(`expected one root element, got ${roots.join(',')}`);
  return { decl: doc['?xml'], root: roots[0]!, body: doc[roots[0]!] };
}

/** What a JSON answer reads as once written as XML text (lists wrapped by their item element). */
const ITEM: Record<string, string> = { services: 'service', service_requests: 'request', errors: 'error', attributes: 'attribute', values: 'value', endpoints: 'endpoint', formats: 'format' };
function asXmlText(key: string, v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? '' : { [ITEM[key]!]: v.map((x) => asXmlText(ITEM[key]!, x)) };
  if (v === null) return '';
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, asXmlText(k, x)]));
  return String(v);
}

async function both(c: Client, path: string): Promise<{ json: Reply; xml: Reply }> {
  return { json: await c.get(`${path}.json${''}`), xml: await c.get(`${path}.xml`) };
}

const form = (fields: Record<string, string> | Array<[string, string]>) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

t.test('services, service definition, discovery: same content in JSON and XML, spec element names', async (t) => {
  const h = await apiHarness(t, { options: { publicUrl: 'http://192.0.2.10:8080', village: { name: '匡村', issuer: '匡村村民委员会', verifyBaseUrl: 'https://kuangcun.example.org', address: '匡村村委会', phone: '0532-00000000' } } });

  const services = await both(h.anon, '/open311/v2/services');
  t.equal(services.json.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(services.xml.status, 200);
  t.equal(services.xml.headers['content-type'], 'text/xml; charset=utf-8');
  const sx = parseXml(services.xml);
  t.same(sx.decl, { '@_version': '1.0', '@_encoding': 'UTF-8' }, 'XML declaration names UTF-8');
  t.equal(sx.root, 'services');
  t.same(Object.keys(sx.body.service[0]), ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'], 'the spec’s service fields, in its order');
  t.same(sx.body, asXmlText('services', services.json.body), 'XML and JSON say the same');
  const facility = services.json.body.find((s: { service_code: string }) => s.service_code === 'facility');
  t.match(facility, { service_name: '设施损坏', metadata: true, type: 'realtime', group: '随手拍' });
  t.match(services.json.body.find((s: { service_code: string }) => s.service_code === 'garbage'), { metadata: false });

  const def = await both(h.anon, '/open311/v2/services/facility');
  const dx = parseXml(def.xml);
  t.equal(dx.root, 'service_definition');
  t.same(dx.body, asXmlText('service_definition', def.json.body));
  t.same(Object.keys(dx.body.attributes.attribute[0]), ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description', 'values']);
  t.match(def.json.body, { service_code: 'facility', attributes: [{ variable: true, code: 'facility_kind', datatype: 'singlevaluelist', required: false, order: 1, values: [{ key: 'streetlight', name: '路灯' }] }] });
  t.same(dx.body.attributes.attribute[0].values.value[1], { key: 'manhole', name: '井盖' }, '<values><value><key/><name/></value></values>');
  const garbage = await both(h.anon, '/open311/v2/services/garbage');
  t.same(garbage.json.body, { service_code: 'garbage', attributes: [] });
  t.same(parseXml(garbage.xml).body, { service_code: 'garbage', attributes: '' });

  const disc = await both(h.anon, '/open311/discovery');
  t.match(disc.json.body, {
    changeset: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/,
    contact: /匡村村民委员会.*0532-00000000/,
    key_service: /api\/tokens/,
    endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: 'http://192.0.2.10:8080/open311/v2', type: 'production', formats: ['text/xml', 'application/json'] }],
  });
  const dsx = parseXml(disc.xml);
  t.equal(dsx.root, 'discovery');
  t.same(dsx.body, asXmlText('discovery', disc.json.body));
  t.same(dsx.body.endpoints.endpoint[0].formats.format, ['text/xml', 'application/json']);
  const before = disc.json.body.changeset as string;
  await h.advance(60_000);
  t.equal((await h.as.admin.put('/api/ticket-categories/garbage', { slaMinutes: 20 })).status, 200);
  t.not((await h.anon.get('/open311/discovery.json')).body.changeset, before, 'changing a service moves the changeset');

  t.match(await h.anon.get('/open311/v2/services.json?jurisdiction_id=kuangcun.example.org'), { status: 200 }, 'the village’s own jurisdiction_id');
  t.match(await h.anon.get('/open311/v2/services/facility.xml?jurisdiction_id=KuangCun.Example.org'), { status: 200 }, 'a host name in any case');
  const wrong = await h.anon.get('/open311/v2/services.xml?jurisdiction_id=sfgov.org');
  t.equal(wrong.status, 404);
  t.match(parseXml(wrong), { root: 'errors', body: { error: [{ code: '404', description: /jurisdiction_id sfgov\.org/ }] } });
});

t.test('POST, GET one, GET list, token: XML and JSON; attributes stored; times in +08:00 with the SLA', async (t) => {
  const h = await apiHarness(t);
  const key = (await h.as.villager.post('/api/tokens', { name: 'FixMyStreet' })).body.token as string;

  const posted = await h.anon.inject({
    method: 'POST',
    url: '/open311/v2/requests.xml',
    ...form([['api_key', key], ['jurisdiction_id', '127.0.0.1'], ['service_code', 'facility'], ['lat', '36.0831'], ['long', '120.3672'], ['address_string', '村委会门口'], ['description', '井盖缺失 <深夜> & 危险'], ['attribute[facility_kind]', 'manhole']]),
  });
  t.equal(posted.status, 201, posted.raw.toString());
  t.equal(posted.headers['content-type'], 'text/xml; charset=utf-8');
  const px = parseXml(posted);
  t.equal(px.root, 'service_requests');
  t.same(Object.keys(px.body.request[0]), ['service_request_id', 'service_notice', 'account_id']);
  const id = px.body.request[0].service_request_id as string;
  t.match(id, /^[0-9A-Z]{26}$/);
  t.notMatch(posted.raw.toString(), key, 'the key is not echoed');
  t.match((await h.as.cadre.get(`/api/tickets/${id}`)).body, { ticket: { attributes: { facility_kind: 'manhole' } } }, 'the answer is stored on the ticket');

  const one = await both(h.as.cadre, `/open311/v2/requests/${id}`);
  const expected = {
    service_request_id: id,
    status: 'open',
    status_notes: null,
    service_name: '设施损坏',
    service_code: 'facility',
    description: '井盖缺失 <深夜> & 危险',
    agency_responsible: '村民委员会',
    service_notice: '响应时限 240 分钟',
    requested_datetime: '2026-05-11T09:00:00+08:00',
    updated_datetime: '2026-05-11T09:00:00+08:00',
    expected_datetime: '2026-05-11T13:00:00+08:00',
    address: '村委会门口',
    address_id: null,
    zipcode: null,
    lat: 36.0831,
    long: 120.3672,
    media_url: null,
  };
  t.same(one.json.body, [expected]);
  const ox = parseXml(one.xml);
  t.equal(ox.root, 'service_requests');
  t.same(ox.body, asXmlText('service_requests', [expected]), 'the spec’s request elements, text escaped and read back intact');
  t.same(Object.keys(ox.body.request[0]), Object.keys(expected), 'in the spec’s order');

  await h.advance(3600_000);
  await h.as.cadre.post(`/api/tickets/${id}/assign`, { assignee: 'grid_worker' });
  await h.as.grid_worker.post(`/api/tickets/${id}/resolve`, { note: '已补井盖' });
  const closed = await both(h.as.cadre, '/open311/v2/requests');
  t.match(closed.json.body, [{ service_request_id: id, status: 'closed', status_notes: '已补井盖', updated_datetime: '2026-05-11T10:00:00+08:00' }]);
  t.same(parseXml(closed.xml).body, asXmlText('service_requests', closed.json.body));

  const viaJson = await h.anon.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: JSON.stringify({ api_key: key, service_code: 'facility', address_string: '桥头', description: '路灯不亮', attribute: { facility_kind: 'streetlight' } }), headers: { 'content-type': 'application/json' } });
  t.match(viaJson, { status: 201, body: [{ service_request_id: /^[0-9A-Z]{26}$/, service_notice: '响应时限 240 分钟', account_id: null }] });

  const token = await both(h.as.cadre, `/open311/v2/tokens/${id}`);
  t.same(token.json.body, [{ service_request_id: id, token: id }]);
  t.same(parseXml(token.xml), { decl: { '@_version': '1.0', '@_encoding': 'UTF-8' }, root: 'service_requests', body: { request: [{ service_request_id: id, token: id }] } });
});

t.test('times carry the box’s own offset: another zone configured, another offset', async (t) => {
  const h = await apiHarness(t, { options: { timeZone: 'America/New_York' } });
  const id = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: '垃圾', place: '村口' })).body.ticket.id as string;
  t.match((await h.as.cadre.get(`/open311/v2/requests/${id}.json`)).body, [{ requested_datetime: '2026-05-10T21:00:00-04:00', updated_datetime: '2026-05-10T21:00:00-04:00', expected_datetime: '2026-05-10T21:30:00-04:00' }]);
  t.match((await h.anon.get('/open311/discovery.json')).body, { changeset: /-0[45]:00$/ });
});

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

t.test('every failure under /open311 answers in the spec’s error shape; 403 on a bad or missing api_key', async (t) => {
  const h = await apiHarness(t);
  const key = (await h.as.villager.post('/api/tokens', { name: 'app' })).body.token as string;
  const viewerKey = (await h.as.viewer.post('/api/tokens', { name: 'v' })).body.token as string;
  const ops = () => (h.db.prepare('SELECT count(*) AS n FROM gov_ops').get() as { n: number }).n;
  const opsBefore = ops();
  const good: Array<[string, string]> = [['service_code', 'garbage'], ['lat', '36.1'], ['long', '120.3'], ['description', '垃圾']];
  const postForm = (fields: Array<[string, string]>, fmt: 'json' | 'xml' = 'json') => h.anon.inject({ method: 'POST', url: `/open311/v2/requests.${fmt}`, ...form(fields) });

  const cases: Array<[string, 'json' | 'xml', Promise<Reply>, number, RegExp]> = [
    ['no api_key', 'json', postForm(good), 403, /api_key missing or not valid/],
    ['unknown api_key', 'json', postForm([['api_key', 'cbx_not-a-real-token'], ...good]), 403, /api_key missing or not valid/],
    ['unknown api_key (XML)', 'xml', postForm([['api_key', 'cbx_not-a-real-token'], ...good], 'xml'), 403, /api_key missing or not valid/],
    ['a key whose account may not report', 'json', postForm([['api_key', viewerKey], ...good]), 403, /may not/],
    ['unknown service on POST', 'xml', postForm([['api_key', key], ['service_code', 'nope'], ['address_string', 'x'], ['description', 'x']], 'xml'), 400, /no active category nope/],
    ['no location', 'json', postForm([['api_key', key], ['service_code', 'garbage'], ['description', 'x']]), 400, /a location is needed/],
    ['address_id alone', 'json', postForm([['api_key', key], ['service_code', 'garbage'], ['address_id', '545483'], ['description', 'x']]), 400, /address_id is not known here/],
    ['lat without long', 'xml', postForm([['api_key', key], ['service_code', 'garbage'], ['lat', '36.1'], ['description', 'x']], 'xml'), 400, /lat and long go together/],
    ['unknown field', 'json', postForm([['api_key', key], ...good, ['colour', 'red']]), 400, /unknown field "colour"/],
    ['missing description', 'xml', postForm([['api_key', key], ['service_code', 'garbage'], ['address_string', 'x']], 'xml'), 400, /missing field "description"/],
    ['wrong jurisdiction on POST', 'json', postForm([['api_key', key], ['jurisdiction_id', 'sfgov.org'], ...good]), 404, /jurisdiction_id sfgov\.org/],
    ['not a form', 'xml', h.anon.inject({ method: 'POST', url: '/open311/v2/requests.xml', payload: '<service_request/>', headers: { 'content-type': 'application/xml' } }), 415, /./],
    ['malformed JSON', 'json', h.anon.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: '{"api_key":', headers: { 'content-type': 'application/json' } }), 400, /malformed JSON/],
    ['unknown service', 'xml', h.anon.get('/open311/v2/services/nope.xml'), 404, /no service nope/],
    ['unknown request', 'xml', h.as.cadre.get('/open311/v2/requests/01KRA8RKM06MPDZYA8W4JH7WGS.xml'), 404, /not found|no ticket/i],
    ['unknown token', 'json', h.as.cadre.get('/open311/v2/tokens/01KRA8RKM06MPDZYA8W4JH7WGS.json'), 404, /no request for token/],
    ['bad request id', 'json', h.as.cadre.get('/open311/v2/requests/123.json'), 400, /params\.id/],
    ['bad status filter', 'xml', h.as.cadre.get('/open311/v2/requests.xml?status=pending'), 400, /querystring\.status/],
    ['bad date', 'json', h.as.cadre.get('/open311/v2/requests.json?start_date=last-week'), 400, /querystring\.start_date/],
    ['reading without an account', 'xml', h.anon.get('/open311/v2/requests.xml'), 401, /log in first/],
    ['reading with an unknown key', 'json', h.anon.get('/open311/v2/requests.json?api_key=cbx_not-a-real-token'), 401, /log in first/],
    ['no such resource (XML)', 'xml', h.anon.get('/open311/v2/nothing.xml'), 404, /no such resource: GET \/open311\/v2\/nothing\.xml/],
    ['no such resource (JSON)', 'json', h.anon.get('/open311/v2/services.csv'), 404, /no such resource/],
    ['wrong method', 'json', h.anon.inject({ method: 'DELETE', url: '/open311/v2/services.json' }), 404, /no such resource/],
  ];
  for (const [name, format, pending, status, description] of cases) {
    const r = await pending;
    t.equal(r.status, status, `${name}: HTTP ${status}`);
    t.notMatch(r.raw.toString(), /cbx_/, `${name}: no key in the answer`);
    if (format === 'xml') {
      t.equal(r.headers['content-type'], 'text/xml; charset=utf-8', `${name}: XML`);
      const doc = parseXml(r);
      t.equal(doc.root, 'errors', `${name}: <errors>`);
      t.ok(doc.body.error.length >= 1 && doc.body.error.every((e: { code: string; description: string }) => e.code === String(status) && Object.keys(e).join() === 'code,description'), `${name}: <error><code/><description/></error>`);
      t.match(doc.body.error.map((e: { description: string }) => e.description).join('\n'), description, name);
    } else {
      t.equal(r.headers['content-type'], 'application/json; charset=utf-8', `${name}: JSON`);
      t.ok(Array.isArray(r.body) && r.body.length >= 1 && r.body.every((e: { code: number; description: string }) => e.code === status && Object.keys(e).join() === 'code,description'), `${name}: [{code, description}]`);
      t.match(r.body.map((e: { description: string }) => e.description).join('\n'), description, name);
    }
  }
  t.equal(ops(), opsBefore, 'no refused request wrote anything');
  t.match(await h.as.cadre.get('/api/nothing'), { status: 404, body: { error: { code: 'NOT_FOUND' } } }, 'outside /open311 the API keeps its own error shape');
});

t.test('an api_key is never logged, whether it works or not', async (t) => {
  const lines: string[] = [];
  const h = await apiHarness(t, { log: createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } as never }) });
  const key = (await h.as.villager.post('/api/tokens', { name: 'app' })).body.token as string;
  const wrong = 'cbx_wrong-key-that-must-not-appear';
  for (const k of [key, wrong]) {
    await h.anon.inject({ method: 'POST', url: '/open311/v2/requests.xml', ...form([['api_key', k], ['service_code', 'garbage'], ['address_string', '村口'], ['description', '垃圾']]) });
    await h.anon.get(`/open311/v2/requests.json?api_key=${k}`);
    await h.anon.get(`/open311/v2/requests.json?api_key=${k}&status=bad`);
  }
  // Should anything log a request's query or form fields, the logger censors api_key wherever it sits.
  h.app.log.warn({ query: { api_key: key }, body: { fields: { api_key: wrong } } }, 'open311 request');
  t.ok(lines.length > 0, 'the logger was listening');
  t.notOk(lines.some((l) => l.includes(key) || l.includes(wrong)), 'no line holds a key');
  t.ok(lines.some((l) => l.includes('[redacted]')));
});

t.test('OpenAPI: every Open311 route has an operationId and documents both formats and the error list', async (t) => {
  const h = await apiHarness(t);
  const doc = (await h.anon.get('/docs/json')).body as { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }> }>> };
  const ops = Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/open311/'))
    .flatMap(([p, item]) => Object.entries(item).map(([m, op]) => ({ at: `${m} ${p}`, xml: p.endsWith('.xml'), op })));
  t.equal(ops.length, 14, 'seven resources, each in .json and .xml');
  t.equal(new Set(ops.map((o) => o.op.operationId)).size, ops.length, 'operationIds are unique');
  for (const { at, xml, op } of ops) {
    t.match(op.operationId, /^open311[A-Z]\w+(Json|Xml)$/, `${at}: operationId`);
    const ok = op.responses?.['200'] ?? op.responses?.['201'];
    t.ok(ok?.content?.[xml ? 'text/xml' : 'application/json'], `${at}: success body documented as ${xml ? 'text/xml' : 'JSON'}`);
    t.ok(op.responses?.['4XX']?.content?.[xml ? 'text/xml' : 'application/json'], `${at}: error list documented`);
  }
});
