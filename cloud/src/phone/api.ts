/**
 * The phone-facing API: JSON under
 * /api/v1/villages/:villageId/, for the same users and roles as the village's
 * edge (synced to the cloud, see accounts.ts). Every route names the permission
 * it needs from the shared table (the one the edge checks for the same action)
 * and is scoped to the village of the caller's token: another village's token
 * gets 404, as if the village did not exist.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { allows, freeTextKeyword, operationIdOf } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import { Village, type Call, type PhoneContext } from './context.ts';
import { IDEMPOTENCY_HEADERS, REPLY_KEEP_MS } from './idempotency.ts';
import { bearer, type PhoneRouter } from './router.ts';
import { sessionRoutes } from './session.ts';
import { ticketRoutes } from './tickets.ts';
import { assigneeRoutes } from './assignees.ts';
import { helpRoutes } from './help.ts';
import { certificateRoutes } from './certificates.ts';
import { announcementRoutes } from './announcements.ts';
import { partyRoutes } from './party.ts';
import { eventRoutes } from './events.ts';
import { photoRoutes } from './photos.ts';
import { cameraRoutes } from './cameras.ts';

const PHONE_PREFIX = '/api/v1/villages/:villageId';

/** `phoneGetTicketsById`: named below the village prefix every phone route shares. */
const phoneOperationId = (method: string, url: string) => {
  const id = operationIdOf(method, url);
  return `phone${id.charAt(0).toUpperCase()}${id.slice(1)}`;
};

/** The caller, or 401; a token of another village is a 404 (no hint that the village exists). Also guards media reads (http.ts). */
export async function phoneUser(ctx: Pick<PhoneContext, 'store' | 'fail'>, req: FastifyRequest, villageId: number): Promise<VillageUser> {
  const session = await ctx.store.accounts.session(bearer(req));
  if (!session) throw ctx.fail('UNAUTHENTICATED', 'sign in first (Authorization: Bearer <token>)');
  if (session.villageId !== villageId) throw ctx.fail('NOT_FOUND', `no village ${villageId}`);
  return session.user;
}

/** The one file of a multipart request, field "file"; over `maxBytes` is a 413, anything else a 400 or 415 in the table's words. */
async function readUpload(ctx: PhoneContext, req: FastifyRequest, maxBytes: number): Promise<Buffer> {
  if (!req.isMultipart()) throw ctx.fail('UNSUPPORTED_MEDIA_TYPE', 'send the photo as multipart/form-data, field "file"');
  const file = await req.file({ limits: { fileSize: maxBytes, files: 1, fields: 0, parts: 1, fieldNameSize: 64, headerPairs: 50 }, throwFileSizeLimit: true });
  if (!file) throw ctx.fail('INVALID_INPUT', 'no file in the request');
  if (file.fieldname !== 'file') {
    file.file.resume();
    throw ctx.fail('INVALID_INPUT', 'send the photo as field "file"');
  }
  const tooLarge = () => ctx.fail('PAYLOAD_TOO_LARGE', `file larger than ${maxBytes} bytes`);
  let data: Buffer;
  try {
    data = await file.toBuffer();
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    throw err;
  }
  // Cut at the limit on the last chunk, busboy marks the stream truncated without the plugin throwing: a cut photo is never taken.
  if (file.file.truncated) throw tooLarge();
  return data;
}

export async function registerPhoneApi(app: FastifyInstance, ctx: PhoneContext): Promise<void> {
  await app.register(
    async (scope) => {
      // Multipart only in this scope, and read only by routes that take an upload (after their access check).
      await scope.register(multipart);
      // Our own validators: Fastify's default Ajv strips unknown fields silently; we refuse them.
      // Querystrings and params are strings on the wire, so they are coerced; bodies are not.
      const bodyAjv = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: false, strict: true, allowUnionTypes: true });
      const paramAjv = new Ajv({ allErrors: false, removeAdditional: false, coerceTypes: 'array', strict: true, allowUnionTypes: true });
      for (const ajv of [bodyAjv, paramAjv]) ajv.addKeyword(freeTextKeyword);
      scope.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema));

      const paramsSchema = (extra: Record<string, object> = {}) => ({
        type: 'object',
        additionalProperties: false,
        required: ['villageId', ...Object.keys(extra)],
        properties: { villageId: { type: 'integer', minimum: 1 }, ...extra },
      });

      const router: PhoneRouter = {
        route(r) {
          scope.route({
            method: r.method,
            url: r.url,
            schema: {
              tags: ['phone'],
              operationId: phoneOperationId(r.method, r.url),
              summary: r.summary,
              description: `Access: ${r.access}`,
              security: [{ phone: [] }],
              ...(r.upload ? { consumes: ['multipart/form-data'] } : {}),
              params: paramsSchema(r.params),
              ...(r.body ? { body: r.body } : {}),
              ...(r.idempotent ? { headers: IDEMPOTENCY_HEADERS } : {}),
              querystring: r.query ?? { type: 'object', additionalProperties: false, properties: {} },
              response: { [r.status ?? 200]: r.reply },
            },
            handler: async (req, reply) => {
              const params = req.params as Record<string, string> & { villageId: number };
              const user = await phoneUser(ctx, req, params.villageId);
              if (r.access !== 'authenticated' && !allows(user.role, r.access)) throw ctx.fail('FORBIDDEN', `a ${user.role} may not do this (${r.access})`);
              const key = r.idempotent ? (req.headers['idempotency-key'] as string | undefined) : undefined;
              // The file is read only after the caller is known and allowed: a stranger's upload costs nothing.
              const body = r.upload ? { data: await readUpload(ctx, req, r.upload.maxBytes) } : req.body;
              const route = `${r.method} ${r.url}`;
              const replies = ctx.store.accounts.phoneReplies;
              if (key !== undefined) {
                const first = await replies.get(params.villageId, user.username, key, ctx.now() - REPLY_KEEP_MS);
                if (first && first.route !== route) throw ctx.fail('CONFLICT', `Idempotency-Key already used for ${first.route}`);
                if (first) return reply.status(first.status).header('idempotent-replayed', 'true').send(JSON.parse(first.body));
              }
              const call = { villageId: params.villageId, user, body, query: req.query ?? {}, params, ip: req.ip } as Call<never, never, never>;
              const out = await r.handler(call, new Village(ctx, params.villageId), reply);
              const status = r.status ?? 200;
              // Only a success is kept (a refusal may succeed when sent again). A repeat that arrives while the first still runs is not
              // caught here: the phone's queue sends one request at a time.
              if (key !== undefined) await replies.put(params.villageId, user.username, key, { route, status, body: JSON.stringify(out) }, ctx.now(), ctx.now() - REPLY_KEEP_MS);
              if (r.status) void reply.status(r.status);
              return out;
            },
          });
        },
        publicPost(r) {
          scope.route({
            method: 'POST',
            url: r.url,
            schema: { tags: ['phone'], operationId: phoneOperationId('POST', r.url), summary: r.summary, security: [], params: paramsSchema(), body: r.body, response: { 200: r.reply } },
            handler: async (req, reply) => {
              const villageId = (req.params as { villageId: number }).villageId;
              if (!(await ctx.store.village(villageId))) throw ctx.fail('NOT_FOUND', `no village ${villageId}`);
              return r.handler({ villageId, body: req.body as never, ip: req.ip }, reply);
            },
          });
        },
      };

      sessionRoutes(router, ctx);
      ticketRoutes(router, ctx);
      assigneeRoutes(router, ctx);
      helpRoutes(router, ctx);
      certificateRoutes(router, ctx);
      announcementRoutes(router, ctx);
      partyRoutes(router, ctx);
      eventRoutes(router, ctx);
      photoRoutes(router, ctx);
      cameraRoutes(router, ctx, ctx.relay, ctx.live);
    },
    { prefix: PHONE_PREFIX },
  );
}
