/**
 * Every error of the cloud's HTTP API has the one shape of its error table,
 * `{error: {code, message}}`, including what Fastify itself answers (an
 * unknown route, bad JSON, a body too large, a content type it cannot parse):
 * Fastify's default `{statusCode, error, message}` never reaches a client.
 */
import t from 'tap';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('unknown routes and framework refusals answer in the cloud error shape', async (t) => {
  const tc = await startTestCloud(t, tmpDir(t, 'cunbox-cloud-errors-'));
  const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
    const r = await fetch(`${tc.url}${path}`, { method, headers: { authorization: `Bearer ${tc.token}`, ...init.headers }, body: init.body });
    const text = await r.text();
    return { status: r.status, json: JSON.parse(text) as Record<string, unknown>, text };
  };
  const cases: Array<[string, string, { headers?: Record<string, string>; body?: string }, number, string]> = [
    ['GET', '/nope', {}, 404, 'NOT_FOUND'],
    ['GET', '/api/villages/1/nothing-here', {}, 404, 'NOT_FOUND'],
    ['POST', '/api/v1/villages/1/no-such-route', {}, 404, 'NOT_FOUND'],
    ['DELETE', '/api/villages', {}, 404, 'NOT_FOUND'],
    ['POST', '/api/villages', { headers: { 'content-type': 'application/json' }, body: '{"name":' }, 400, 'MALFORMED_REQUEST'],
    ['POST', '/api/villages', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(70_000) }) }, 413, 'PAYLOAD_TOO_LARGE'],
    ['POST', '/api/villages', { headers: { 'content-type': 'text/csv' }, body: 'a,b' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['GET', '/api/edges?village=abc', {}, 400, 'INVALID_INPUT'],
  ];
  for (const [method, path, init, status, code] of cases) {
    const r = await call(method, path, init);
    t.equal(r.status, status, `${method} ${path}: ${status}`);
    t.same(Object.keys(r.json), ['error'], `${method} ${path}: only {error}`);
    t.match(r.json.error, { code, message: String }, `${method} ${path}: ${code}`);
    t.notMatch(r.text, /statusCode/, 'no Fastify default body');
  }
  t.match((await call('GET', '/nope?secret=1')).json.error, { message: 'no route GET /nope' }, 'the query is not echoed');
});
