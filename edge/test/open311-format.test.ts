import t from 'tap';
import sharp from 'sharp';
import { apiHarness, upload } from './helpers/api.ts';
import { asXmlText, both, form, parseXml } from './helpers/open311.ts';

/**
 * GeoReport v2 as the spec shows it: the same answers in JSON and XML, with
 * the spec's element names and nesting, over the real app and SQLite.
 */
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

t.test('times carry the box’s own offset (another zone configured, another offset); media_url names the first photo', async (t) => {
  const h = await apiHarness(t, { options: { timeZone: 'America/New_York', publicUrl: 'https://box.example.org' } });
  const photo = (await upload(h.as.villager, await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 120, b: 60 } } }).jpeg().toBuffer())).body.media.id as string;
  const id = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: '垃圾', place: '村口', photos: [photo] })).body.ticket.id as string;
  t.match((await h.as.cadre.get(`/open311/v2/requests/${id}.json`)).body, [{ requested_datetime: '2026-05-10T21:00:00-04:00', updated_datetime: '2026-05-10T21:00:00-04:00', expected_datetime: '2026-05-10T21:30:00-04:00', media_url: `https://box.example.org/api/media/${photo}` }]);
  t.equal((await h.as.cadre.get(`/api/media/${photo}`)).status, 200, 'media_url names the stored photo');
  t.match((await h.anon.get('/open311/discovery.json')).body, { changeset: /-0[45]:00$/ });
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
