import Fastify, { LogController, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import { documentRoute, freeTextKeyword, namedLocalReference, nonFiniteInRequest, openApiExtensions, plainJsonSerializer, refTo } from '@cunbox/shared';
import addFormatsModule from 'ajv-formats';
import { CunboxError } from '../errors.ts';
import { DEFAULT_TIMEZONE } from '../local-time.ts';
import { KIOSK_COOKIE, SESSION_COOKIE, type Principal } from './auth.ts';
import { toApiError } from './errors.ts';
import type { Api, ApiDeps, ApiOptions, RouteContext, RoutePlugin } from './route-context.ts';
import { allows, PERMISSIONS, type RouteAccess } from './permissions.ts';
import { addComponents, withUploadBody } from './openapi.ts';
import { authRoutes } from './routes/auth.ts';
import { mediaRoutes } from './routes/media.ts';
import { ticketRoutes } from './routes/tickets.ts';
import { open311Routes } from './routes/open311.ts';
import { helpRoutes } from './routes/help.ts';
import { assigneeRoutes } from './routes/assignees.ts';
import { certificateRoutes } from './routes/certificates.ts';
import { announcementRoutes } from './routes/announcements.ts';
import { partyRoutes } from './routes/party.ts';
import { videoRoutes } from './routes/video.ts';
import { eventRoutes } from './routes/events.ts';
import { checkpointRoutes } from './routes/checkpoints.ts';
import { auditRoutes } from './routes/audit.ts';
import { healthRoutes } from './routes/health.ts';
import { webRoutes } from './routes/web.ts';
import { appShellFor, registerWeb } from './web.ts';
import { countResponses, observabilityRoutes } from './routes/observability.ts';
import { screenRoutes } from './routes/screen.ts';
import { kioskRoutes } from './routes/kiosks.ts';
import { KIOSK_ROLE } from '@cunbox/shared';
import { logFailure } from './log-failure.ts';

const JSON_BODY_LIMIT = 256 * 1024;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Builds the edge HTTP API without listening (tests call `app.inject()`).
 * Order matters: error handling and the access check are installed before any
 * route, so no route escapes them.
 */
export async function buildApp(deps: ApiDeps): Promise<Api> {
  const options: Required<ApiOptions> = {
    secureCookies: false,
    publicUrl: 'http://127.0.0.1:8080',
    village: null,
    tls: null,
    webRoot: null,
    timeZone: DEFAULT_TIMEZONE,
    ...deps.options,
  };
  if (options.tls) options.secureCookies = true;
  const log = deps.log.child(
    { module: 'api' },
    {
      // URLs may carry an Open311 api_key: log the path only.
      serializers: { req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], ip: req.ip }) },
    },
  );
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: false,
    // Stopping the edge must not wait on a live view, an export download or a response
    // nobody reads: close() ends every connection (the stop has a deadline; see Edge.stop).
    forceCloseConnections: true,
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Once a browser has seen the box over HTTPS it never falls back to plain HTTP
  // (no includeSubDomains: the box is reached by address or a bare LAN name).
  if (options.tls) app.addHook('onSend', async (_req, reply) => void reply.header('strict-transport-security', 'max-age=31536000'));

  // Bodies are validated as sent (no coercion, unknown fields rejected);
  // querystrings and params are strings on the wire, so they are coerced.
  const bodyAjv = addFormats(new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: true, strict: true, allowUnionTypes: true }));
  const paramAjv = addFormats(new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true, strict: true, allowUnionTypes: true }));
  for (const ajv of [bodyAjv, paramAjv]) ajv.addKeyword(freeTextKeyword);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema as object));
  // After validation (which coerced "1e309" to Infinity and let it pass): no handler sees a non-finite number.
  app.addHook('preHandler', async (req) => {
    const where = nonFiniteInRequest(req);
    if (where) throw new CunboxError('INVALID_INPUT', `invalid request: ${where} must be a finite number`, [`${where}: must be a finite number`]);
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    logFailure(req, err, e.status);
    void reply.status(e.status).send({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  });
  app.setNotFoundHandler(async (req, reply) => {
    const shell = options.webRoot ? appShellFor(options.webRoot, req, reply) : null;
    if (shell) return shell;
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  if (deps.observability) countResponses(app, deps.observability.metrics);

  // No route without an access rule.
  app.addHook('onRoute', (route) => {
    const guarded = route.url.startsWith('/api') || route.url.startsWith('/open311');
    const access = (route.config as { access?: RouteAccess } | undefined)?.access;
    if (guarded && access === undefined) throw new Error(`route ${route.method} ${route.url} has no access rule`);
    if (access !== undefined && access !== 'public' && access !== 'authenticated' && !(access in PERMISSIONS)) throw new Error(`route ${route.url}: unknown permission ${access}`);
    documentRoute(route, refTo('Error'));
  });
  app.setSerializerCompiler(plainJsonSerializer);
  addComponents(app);

  const { credentials } = deps;

  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new CunboxError('RATE_LIMITED', `too many attempts; try again in ${ctx.after}`),
  });
  await app.register(multipart, {
    limits: { fileSize: deps.governance.media.limits.maxUploadBytes, files: 1, fields: 0, parts: 1, fieldNameSize: 64, headerPairs: 50 },
    throwFileSizeLimit: true,
  });
  await app.register(swagger, {
    refResolver: namedLocalReference,
    transformObject: openApiExtensions,
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: '/', description: 'this box' }],
      info: { title: 'cunbox edge API', version: '1', description: 'Village governance on the edge. Every error is `{error: {code, message, details?}}` with a code from the error table (under /open311: the GeoReport v2 error list).' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer', description: 'API token (cbx_…) from POST /api/tokens' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: ({ schema, url, route }) => {
      const access = (route.config as { access?: RouteAccess } | undefined)?.access;
      const who = access === undefined ? '' : access === 'public' || access === 'authenticated' ? access : `${access} (${(PERMISSIONS[access] as readonly string[]).join(', ')})`;
      const s = withUploadBody({ ...(schema ?? {}) }, route.config);
      if (who) s.description = `${typeof s.description === 'string' ? `${s.description}\n\n` : ''}Access: ${who}`;
      if (access === 'public') s.security = [];
      return { schema: s, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (options.webRoot) await registerWeb(app, options.webRoot);

  // Authentication and the permission check, before the body is read.
  app.decorateRequest('principal', null);
  const authenticate = (req: FastifyRequest): Principal | null => {
    const cookieToken = req.cookies[SESSION_COOKIE];
    if (cookieToken) {
      const p = credentials.bySession(cookieToken);
      if (p) return p;
    }
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return credentials.byToken(header.slice(7).trim()) ?? null;
    // An office screen's token as a cookie: only a kiosk account's, so no other token rides in a cookie.
    const kioskToken = req.cookies[KIOSK_COOKIE];
    if (kioskToken) {
      const p = credentials.byToken(kioskToken);
      if (p?.role === KIOSK_ROLE) return p;
    }
    const apiKey = (req.query as Record<string, unknown> | undefined)?.api_key;
    if (typeof apiKey === 'string' && req.url.startsWith('/open311')) return credentials.byToken(apiKey) ?? null;
    return null;
  };
  const authorize = (req: FastifyRequest, access: RouteAccess) => {
    if (access === 'public') return;
    if (!req.principal) throw new CunboxError('UNAUTHENTICATED', 'log in first (session cookie or Authorization: Bearer token)');
    // A screen is not a person: "any logged-in user" does not include it unless the route says so.
    if (access === 'authenticated' && req.principal.role === KIOSK_ROLE && !req.routeOptions.config.kiosk) throw new CunboxError('FORBIDDEN', 'an office screen may not do this');
    if (access !== 'authenticated' && !allows(req.principal.role, access)) throw new CunboxError('FORBIDDEN', `a ${req.principal.role} may not do this (needs ${access})`);
  };
  app.addHook('onRequest', async (req) => {
    const { access, apiKeyInBody } = req.routeOptions.config;
    if (access === undefined) return;
    req.principal = authenticate(req);
    if (apiKeyInBody && !req.principal) return;
    authorize(req, access);
  });
  app.addHook('preValidation', async (req) => {
    const { access, apiKeyInBody } = req.routeOptions.config;
    if (access !== undefined && apiKeyInBody && !req.principal) {
      const key = (req.body as Record<string, unknown> | undefined)?.api_key;
      req.principal = typeof key === 'string' ? (credentials.byToken(key) ?? null) : null;
      authorize(req, access);
    }
    // Action endpoints take an optional JSON body: no body reads as {}.
    if (req.body === undefined && req.routeOptions.schema?.body && !req.headers['content-type']) req.body = {};
  });

  // Each group in its own scope, after the hooks above (which every scope inherits). The order
  // is the OpenAPI document's: Open311, under its own prefix, comes last.
  const ctx: RouteContext = { deps, authenticate, options };
  const groups: RoutePlugin[] = [authRoutes, mediaRoutes, ticketRoutes, helpRoutes, assigneeRoutes, certificateRoutes, announcementRoutes, partyRoutes, videoRoutes, eventRoutes, checkpointRoutes, auditRoutes, healthRoutes, observabilityRoutes, screenRoutes, kioskRoutes, webRoutes, open311Routes];
  for (const routes of groups) await app.register(routes, ctx);
  await app.ready();
  return app;
}
