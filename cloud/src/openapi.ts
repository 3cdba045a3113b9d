/**
 * The cloud's OpenAPI document (/docs/json) and its browsable form (/docs), as
 * the edge serves its own: every route gets an operationId (from method and
 * path unless it names one) and the error reply for 4xx/5xx; each route
 * documents its success reply. Shapes shared with the edge's API come from
 * @cunbox/shared (http/reply-schemas.ts); the cloud's own are below.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { AssigneeSchema, documentRoute, ErrorSchema, namedLocalReference, objectSchema, openApiExtensions, plainJsonSerializer, RECORD_SCHEMAS, refTo } from '@cunbox/shared';

const str = { type: 'string' };
const int = { type: 'integer' };

/** Components of the cloud's own, by $id. */
const CLOUD_SCHEMAS = [
  objectSchema({ id: int, name: str, node: { type: 'string', description: 'the cloud\'s node id in this village\'s op log' } }, { $id: 'Village', description: 'A village the cloud serves' }),
  objectSchema(
    {
      username: str,
      displayName: { type: ['string', 'null'] },
      role: str,
      villageId: int,
      permissions: { type: 'array', items: str },
      cameras: { type: ['array', 'null'], items: int, description: 'null: the role decides which cameras' },
    },
    { $id: 'PhoneUser', description: 'The signed-in user as a phone shows them (never the password hash)' },
  ),
  objectSchema({ edgeId: str, id: int, cameraId: { type: ['integer', 'null'] }, type: str, atMs: { type: 'number' }, detail: { type: 'object', additionalProperties: true } }, { $id: 'Event' }),
  {
    $id: 'PhoneHelpRequest',
    description: 'A help request with its resident as the viewer may see them (the ID number always masked)',
    allOf: [refTo('HelpRequest'), { type: 'object', required: ['resident'], properties: { resident: { anyOf: [refTo('Resident'), { type: 'null' }] } } }],
  },
];

/** Named replies for routes; `$ref`s resolve against the components above. */
export const replies = {
  error: refTo('Error'),
  one: (key: string, id: string) => objectSchema({ [key]: refTo(id) }),
  many: (key: string, id: string) => objectSchema({ [key]: { type: 'array', items: refTo(id) } }),
  ref: refTo,
  /** A reply that is not JSON, by content type. */
  binary: (description: string, ...types: string[]) => ({ description, content: Object.fromEntries(types.map((t) => [t, { schema: t.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' } }])) }),
  /** No body (204). */
  empty: (description: string) => ({ type: 'null', description }),
};

/** Before any route is added: the hook that documents each, the components, the document and /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => documentRoute(route, refTo('Error')));
  app.setSerializerCompiler(plainJsonSerializer);
  // Only the records the cloud sends (an unused component is noise in a generated client).
  const sent = new Set(['Ticket', 'TicketCategory', 'HelpType', 'Announcement', 'Certificate', 'Resident', 'HelpRequest', 'Ledger', 'Ranking', 'Claim', 'PartySession', 'PointsRule']);
  for (const s of [ErrorSchema, AssigneeSchema, ...RECORD_SCHEMAS.filter((r) => sent.has(r.$id as string)), ...CLOUD_SCHEMAS]) app.addSchema(s);
  await app.register(swagger, {
    refResolver: namedLocalReference,
    transformObject: openApiExtensions,
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: '/', description: 'this cloud' }],
      info: {
        title: 'cunbox cloud API',
        version: '1',
        description:
          'The cloud of cunbox: operator routes (villages, pairing, metrics) with the operator token, pairing and media claims for edges, and the phone API for villages\' own users under /api/v1/villages/{villageId}. Every error is `{error: {code, message}}` with a code from the error table.',
      },
      components: {
        securitySchemes: {
          operator: { type: 'http', scheme: 'bearer', description: 'the operator token of the cloud\'s config' },
          phone: { type: 'http', scheme: 'bearer', description: 'a phone session token from POST /api/v1/villages/{villageId}/login' },
          edge: { type: 'http', scheme: 'basic', description: 'a paired edge: edgeId and the password pairing gave it' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

