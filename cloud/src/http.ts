/**
 * The cloud's HTTP API: operator endpoints (villages, pairing codes) behind
 * the operator token, pairing for edges (the one-time code is the credential),
 * an operator's view of a village's tickets (and filing one for a reporter, by
 * the same ticket command as a phone), and the phone API (phone/).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Ajv } from 'ajv';
import { CunboxError, EDGE_ID_PATTERN, allows, freeTextKeyword, nonFiniteInRequest, objectSchema, ticketCommands, type TicketState } from '@cunbox/shared';
import type { Logger } from 'pino';
import type { AsyncCloudStore } from './store-async.ts';
import type { CloudMedia } from './media.ts';
import { registerMediaRoutes } from './media-routes.ts';
import { registerLiveUploadRoute } from './relay-live-routes.ts';
import { phoneUser, registerPhoneApi } from './phone/api.ts';
import type { CloudRelay } from './relay.ts';
import type { CloudLiveRelay } from './relay-live.ts';
import { registerPhoneApp } from './phone-web.ts';
import { bearer } from './phone/router.ts';
import { Village, type PhoneContext } from './phone/context.ts';
import { METRICS_CONTENT_TYPE, type CloudMetrics } from './metrics.ts';
import { registerOpenApi, replies } from './openapi.ts';
import type { CloudErrorCode } from './errors.ts';
import type { LoginLimiter } from './phone/rate-limit.ts';

export interface CloudApiDeps {
  store: AsyncCloudStore;
  log: Logger;
  /** Fastify's trustProxy: whose X-Forwarded-For gives the client's address. */
  trustProxy?: boolean | string;
  operatorToken: string;
  /** What a paired edge should connect to. */
  mqttUrl: () => string;
  now: () => number;
  /** Called after the cloud committed ops (so sync can push them down). */
  onCommit: () => void;
  /** Called after a pairing committed and before its answer: the broker learns the new edge's password. */
  onPaired?: () => Promise<void> | void;
  /** Unpairs an edge (Cloud.revokeEdge: the store, then the broker's files); absent: store only. */
  revokeEdge?: (edgeId: string) => Promise<boolean>;
  pairCodeTtlMs?: number;
  /** Media beside the ops (media.ts); absent: no media routes. */
  media?: CloudMedia;
  /** The phone API's failed sign-ins (phone/rate-limit.ts). */
  phoneLogins: LoginLimiter;
  /** Camera pictures relayed from edges (relay.ts); absent: no camera routes for phones. */
  relay?: CloudRelay;
  /** Live view relayed from edges (relay-live.ts); absent: no live routes. */
  live?: CloudLiveRelay;
  /** The built phone app to serve under /m/ (phone-web.ts); absent or null: none. */
  phoneApp?: string | null;
  /** GET /metrics (operator token) and GET /healthz; absent: neither route. */
  observability?: { metrics: CloudMetrics; liveness: () => Promise<string[]> };
}


const VILLAGES_REPLY = {
  type: 'object',
  required: ['villages'],
  properties: {
    villages: {
      type: 'array',
      items: { type: 'object', required: ['id', 'name', 'createdAt', 'edges'], properties: { id: { type: 'integer' }, name: { type: 'string' }, node: { type: 'string' }, createdAt: { type: 'integer' }, edges: { type: 'integer' } } },
    },
  },
} as const;
const EDGES_REPLY = {
  type: 'object',
  required: ['edges'],
  properties: {
    edges: {
      type: 'array',
      items: {
        type: 'object',
        required: ['edgeId', 'villageId', 'villageName', 'online', 'presenceAt', 'pairedAt', 'opsCommitted', 'downPending'],
        properties: {
          edgeId: { type: 'string' },
          villageId: { type: 'integer' },
          villageName: { type: 'string' },
          online: { type: 'boolean' },
          presenceAt: { type: 'integer' },
          pairedAt: { type: 'integer' },
          opsCommitted: { type: 'integer' },
          downPending: { type: 'integer' },
          revokedAt: { type: ['integer', 'null'] },
        },
      },
    },
  },
} as const;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Fastify's own 4xx errors, by status, in the table's words. */
const BY_STATUS: Partial<Record<number, CloudErrorCode>> = { 400: 'MALFORMED_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED' };

const Healthy = objectSchema({ status: { type: 'string', const: 'ok' } });
const Unhealthy = objectSchema({ status: { type: 'string', const: 'fail' }, failing: { type: 'array', items: { type: 'string' } } }, { description: 'A liveness check fails: its name, nothing more' });
const operatorOnly = { tags: ['operator'], security: [{ operator: [] }] };
const VillageParams = { type: 'object', properties: { id: { type: 'integer' } } };

export async function buildCloudApi(deps: CloudApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines only at warn and above: the API's own events are logged where they happen.
    loggerInstance: deps.log.child({ module: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Behind a TLS proxy, X-Forwarded-For from that proxy gives the phone's address (limits are per address).
    trustProxy: deps.trustProxy ?? false,
    // Free text in the operator's routes follows the shared rule too (the phone API has its own Ajv, phone/api.ts).
    ajv: { plugins: [(ajv: Ajv) => ajv.addKeyword(freeTextKeyword)] },
  });
  await registerOpenApi(app);
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof CunboxError) return reply.status(err.httpStatus).send({ error: { code: err.code, message: err.message } });
    if (err.validation) return reply.status(400).send({ error: { code: 'INVALID_INPUT', message: err.message } });
    const code = err.statusCode && err.statusCode < 500 ? (BY_STATUS[err.statusCode] ?? 'MALFORMED_REQUEST') : 'INTERNAL';
    if (code === 'INTERNAL') deps.log.error({ err }, 'cloud API error');
    // A 4xx of Fastify's own keeps its message (it names the limit or the parse error, never a value); a 500 says nothing.
    return reply.status(code === 'INTERNAL' ? 500 : err.statusCode!).send({ error: { code, message: code === 'INTERNAL' ? 'internal error' : err.message } });
  });
  // An unknown route answers in the table's shape too, never Fastify's {statusCode, error, message}.
  app.setNotFoundHandler(async (req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
  // After validation (which coerced "1e309" to Infinity and let it pass): no handler sees a non-finite number.
  app.addHook('preHandler', async (req) => {
    const where = nonFiniteInRequest(req);
    if (where) throw new CunboxError('INVALID_INPUT', `${where} must be a finite number`);
  });
  const operator = (req: FastifyRequest): void => {
    const h = req.headers.authorization ?? '';
    const token = h.startsWith('Bearer ') ? h.slice(7) : '';
    if (!timingSafeEqual(digest(token), digest(deps.operatorToken))) throw new CunboxError('UNAUTHENTICATED', 'operator token required');
  };
  if (deps.observability) {
    const { metrics, liveness } = deps.observability;
    metrics.countResponses(app);
    // The cloud faces the internet: its metrics need the operator token, as Prometheus' bearer credentials.
    app.get('/metrics', { schema: { tags: ['operator'], summary: 'Prometheus metrics (text format 0.0.4)', security: [{ operator: [] }], response: { 200: replies.binary('The metrics', 'text/plain') } } }, async (req, reply) => {
      operator(req);
      return reply.type(METRICS_CONTENT_TYPE).send(await metrics.text());
    });
    // For the load balancer: no login, and nothing but the names of failing checks.
    app.get('/healthz', { schema: { tags: ['operator'], summary: 'Liveness for the load balancer: the names of failing checks only', security: [], response: { 200: Healthy, 503: Unhealthy } } }, async (_req, reply) => {
      const failing = await liveness();
      return failing.length > 0 ? reply.status(503).send({ status: 'fail', failing }) : { status: 'ok' };
    });
  }
  const fail = (code: CloudErrorCode, message: string): Error => new CunboxError(code, message);
  const phoneContext: PhoneContext = { store: deps.store, log: deps.log.child({ module: 'phone' }), now: deps.now, onCommit: deps.onCommit, fail, media: deps.media, logins: deps.phoneLogins, relay: deps.relay, live: deps.live };
  const villageOf = async (id: number) => {
    const v = await deps.store.village(id);
    if (!v) throw new CunboxError('NOT_FOUND', `no village ${id}`);
    return v;
  };

  app.get('/api/villages', { schema: { ...operatorOnly, operationId: 'listVillages', summary: 'Every village with its number of paired edges (operator)', response: { 200: VILLAGES_REPLY } } }, async (req) => {
    operator(req);
    return { villages: await deps.store.villages() };
  });

  app.get<{ Querystring: { village?: number } }>(
    '/api/edges',
    { schema: { ...operatorOnly, operationId: 'listEdges', summary: 'Paired edges: presence and how far each lags behind (operator)', querystring: { type: 'object', additionalProperties: false, properties: { village: { type: 'integer', minimum: 1 } } }, response: { 200: EDGES_REPLY } } },
    async (req) => {
      operator(req);
      if (req.query.village !== undefined) await villageOf(req.query.village);
      return { edges: await deps.store.edges(req.query.village) };
    },
  );

  app.post<{ Params: { edgeId: string } }>(
    '/api/edges/:edgeId/revoke',
    {
      schema: {
        ...operatorOnly,
        operationId: 'revokeEdge',
        summary: 'Unpair an edge: its logins to the broker and the media routes are refused from now on; its data stays (operator)',
        params: { type: 'object', required: ['edgeId'], properties: { edgeId: { type: 'string', pattern: EDGE_ID_PATTERN.source } } },
        response: { 200: { type: 'object', required: ['edgeId', 'revoked'], properties: { edgeId: { type: 'string' }, revoked: { type: 'boolean', description: 'false: it was revoked before' } } } },
      },
    },
    async (req) => {
      operator(req);
      const { edgeId } = req.params;
      if (!(await deps.store.edge(edgeId))) throw new CunboxError('NOT_FOUND', `no paired edge ${edgeId}`);
      const revoked = await (deps.revokeEdge ? deps.revokeEdge(edgeId) : deps.store.revokeEdge(edgeId));
      if (revoked) deps.log.warn({ edgeId }, 'edge revoked by the operator');
      return { edgeId, revoked };
    },
  );

  app.post<{ Body: { name: string } }>(
    '/api/villages',
    {
      schema: {
        ...operatorOnly,
        summary: 'Create a village',
        body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 201: replies.ref('Village') },
      },
    },
    async (req, reply) => {
      operator(req);
      const v = await deps.store.createVillage(req.body.name);
      return reply.status(201).send({ id: v.id, name: v.name, node: v.node });
    },
  );

  app.post<{ Params: { id: number } }>(
    '/api/villages/:id/pair-codes',
    { schema: { ...operatorOnly, summary: 'A one-time pairing code for an edge of the village', params: VillageParams, response: { 201: objectSchema({ code: { type: 'string' }, expiresAt: { type: 'integer', description: 'epoch ms' } }) } } },
    async (req, reply) => {
      operator(req);
      await villageOf(req.params.id);
      const ttl = deps.pairCodeTtlMs ?? 24 * 3600_000;
      const code = await deps.store.createPairCode(req.params.id, ttl);
      return reply.status(201).send({ code, expiresAt: deps.now() + ttl });
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/pair',
    {
      schema: {
        tags: ['edge'],
        summary: 'An edge redeems its pairing code: its MQTT address and credentials (the code is the credential)',
        security: [],
        body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 4, maxLength: 40 } } },
        response: {
          200: objectSchema({ edgeId: { type: 'string' }, villageId: { type: 'integer' }, mqttUrl: { type: 'string' }, username: { type: 'string' }, password: { type: 'string', description: 'shown only here' } }),
        },
      },
    },
    async (req) => {
      const r = await deps.store.redeemPairCode(req.body.code);
      if (!r) throw new CunboxError('PAIR_CODE_INVALID', 'pairing code unknown, expired or already used');
      deps.log.info({ edgeId: r.edge.edgeId, villageId: r.edge.villageId }, 'edge paired');
      await deps.onPaired?.();
      return { edgeId: r.edge.edgeId, villageId: r.edge.villageId, mqttUrl: deps.mqttUrl(), username: r.edge.edgeId, password: r.password };
    },
  );

  app.get<{ Params: { id: number } }>('/api/villages/:id/tickets', { schema: { ...operatorOnly, summary: 'A village\'s tickets', params: VillageParams, response: { 200: replies.many('tickets', 'Ticket') } } }, async (req) => {
    operator(req);
    await villageOf(req.params.id);
    return { tickets: await deps.store.list<TicketState>(req.params.id, 'ticket') };
  });

  app.post<{ Params: { id: number }; Body: { category: string; description: string; place: string; reporter?: string } }>(
    '/api/villages/:id/tickets',
    {
      schema: {
        ...operatorOnly,
        summary: 'Report a ticket for a village (as its reporter, or "phone")',
        params: VillageParams,
        response: { 201: replies.one('ticket', 'Ticket') },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['category', 'description', 'place'],
          properties: {
            category: { type: 'string', minLength: 1, maxLength: 64, freeText: true },
            description: { type: 'string', minLength: 1, maxLength: 4000, freeText: true },
            place: { type: 'string', minLength: 1, maxLength: 200, freeText: true },
            reporter: { type: 'string', maxLength: 64, freeText: true },
          },
        },
      },
    },
    async (req, reply) => {
      operator(req);
      await villageOf(req.params.id);
      const { reporter, ...input } = req.body;
      // The operator files for a reporter: the same command as a phone's report. The operator token stands for the
      // permission; the reporter acts as the villager who would have filed it.
      const village = new Village(phoneContext, req.params.id);
      const id = await village.run(ticketCommands.create, { username: reporter ?? 'phone', role: 'villager' }, input);
      const ticket = await village.get<TicketState>('ticket', id);
      return reply.status(201).send({ ticket });
    },
  );

  // Media of a village: the operator, or a signed-in phone user of that village whose role may read media (as on the edge).
  const mayReadMedia = async (req: FastifyRequest, villageId: number): Promise<void> => {
    await villageOf(villageId);
    if (timingSafeEqual(digest(bearer(req)), digest(deps.operatorToken))) return;
    const user = await phoneUser({ store: deps.store, fail }, req, villageId);
    if (!allows(user.role, 'media.read')) throw fail('FORBIDDEN', `a ${user.role} may not read media`);
  };
  if (deps.media) await registerMediaRoutes(app, { media: deps.media, guardVillage: mayReadMedia });
  if (deps.media && deps.live) await registerLiveUploadRoute(app, { media: deps.media, live: deps.live });

  // The phone-facing API for the villages' own users (phone/api.ts).
  await registerPhoneApi(app, phoneContext);
  if (deps.phoneApp) await registerPhoneApp(app, deps.phoneApp);

  return app;
}
