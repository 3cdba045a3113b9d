// What the edge and the cloud share to document their routes: operationIds,
// the error replies every route gets, a serializer that never drops a field,
// and the checker the API tests hold replies to the documents with.
import t from 'tap';
import Fastify from 'fastify';
import { documentRoute, operationIdOf, plainJsonSerializer } from '../src/index.ts';
import { ReplyChecker, type OpenApiDoc } from '@cunbox/test-support/reply-check';

t.test('operationIdOf: camelCase from method and path, stable and unique per route', async (t) => {
  t.equal(operationIdOf('GET', '/api/tickets/:id/history'), 'getTicketsByIdHistory');
  t.equal(operationIdOf('POST', '/api/party/members/:id/points/:entryId/void'), 'postPartyMembersByIdPointsByEntryIdVoid');
  t.equal(operationIdOf('GET', '/open311/v2/services/:service_code.json'), 'getOpen311V2ServicesByServiceCodeJson');
  t.equal(operationIdOf('GET', '/api/segments/:id.ts'), 'getSegmentsByIdTs');
  t.equal(operationIdOf('GET', '/healthz'), 'getHealthz');
  t.not(operationIdOf('GET', '/api/tickets'), operationIdOf('POST', '/api/tickets'));
  t.not(operationIdOf('GET', '/api/tickets/:id'), operationIdOf('GET', '/api/tickets'));
});

t.test('documentRoute: an operationId unless named, the error reply for 4xx/5xx, the route\'s own replies kept and described', async (t) => {
  const error = { $ref: 'Error#' };
  const route = { url: '/api/tickets/:id', method: 'GET', schema: { response: { 200: { type: 'object' } } } as Record<string, any> };
  documentRoute(route, error);
  t.same(route.schema, { operationId: 'getTicketsById', response: { '4xx': error, '5xx': error, 200: { type: 'object', 'x-response-description': 'OK' } } }, 'a success reply says its status in words');
  const named = { url: '/x', method: ['GET', 'HEAD'], schema: { operationId: 'mine' } as Record<string, any> };
  documentRoute(named, error);
  t.equal(named.schema.operationId, 'mine');
  const docs = { url: '/docs/json', method: 'GET' } as { url: string; method: string; schema?: object };
  documentRoute(docs, error);
  t.equal(docs.schema, undefined, 'the documentation routes are left alone');
});

t.test('plainJsonSerializer: a field the response schema does not name still reaches the client', async (t) => {
  const reply = { ticket: { id: 'a', status: 'new', addedLater: 42 } };
  const schema = { response: { 200: { type: 'object', properties: { ticket: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } } } } } };
  const compiled = Fastify();
  compiled.get('/', { schema }, async () => reply);
  t.teardown(() => compiled.close());
  t.same((await compiled.inject('/')).json(), { ticket: { id: 'a', status: 'new' } }, 'fastify\'s compiled serializer drops it');
  const plain = Fastify();
  plain.setSerializerCompiler(plainJsonSerializer);
  plain.get('/', { schema }, async () => reply);
  t.teardown(() => plain.close());
  t.same((await plain.inject('/')).json(), reply, 'ours keeps it');
});

t.test('ReplyChecker: a reply must have a documented status, content type and shape', async (t) => {
  const doc: OpenApiDoc & { components: object } = {
    paths: {
      '/api/tickets/{id}': {
        get: {
          responses: {
            200: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['ticket'], properties: { ticket: { $ref: '#/components/schemas/Ticket' } } } } } },
            '4XX': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          },
        },
      },
      '/api/tickets/stats': { get: { responses: { 200: { content: { 'text/csv': { schema: { type: 'string' } } } } } } },
      '/api/logout': { post: { responses: { 204: {} } } },
    },
    components: {
      schemas: {
        Ticket: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'] } } },
      },
    },
  };
  const c = new ReplyChecker(doc);
  const json = 'application/json; charset=utf-8';
  t.equal(c.check('GET', '/api/tickets/01ARZ3NDEKTSV4RRFFQ69G5FAV', 200, json, '{"ticket":{"id":"x"}}'), null);
  t.equal(c.check('GET', '/api/tickets/x?full=1', 404, json, '{"error":{"code":"NOT_FOUND","message":"no"}}'), null, 'an error through 4XX');
  t.equal(c.check('GET', '/api/tickets/stats', 200, 'text/csv; charset=utf-8', 'a,b'), null, 'a static path before a template');
  t.equal(c.check('POST', '/api/logout', 204, undefined, ''), null);
  t.match(c.check('GET', '/api/tickets/x', 200, json, '{"ticket":{"id":"x"},"extra":1}'), /does not match its document.*additional/, 'an undocumented field');
  t.match(c.check('GET', '/api/tickets/x', 200, json, '{"ticket":{}}'), /does not match its document.*id/, 'a missing field');
  t.match(c.check('GET', '/api/tickets/x', 201, json, '{}'), /answered 201, which its document does not list/);
  t.match(c.check('GET', '/api/tickets/x', 500, json, '{}'), /answered 500/);
  t.match(c.check('GET', '/api/tickets/x', 200, 'text/html', '<p>'), /content type text\/html is not documented/);
  t.match(c.check('GET', '/api/tickets/x', 404, json, '{"oops":1}'), /does not match/, 'an error of the wrong shape');
  t.equal(c.check('GET', '/docs/static/index.html', 200, 'text/html', ''), null, 'an undocumented path is the contract test\'s business');
});
