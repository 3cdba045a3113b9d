import t from 'tap';
import { createLogger } from '../src/log.ts';
import { apiHarness, type Reply } from './helpers/api.ts';
import { form, parseXml } from './helpers/open311.ts';

/** Every failure under /open311 in the spec's error shape; api_key refusals and secrecy. */
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
