/**
 * HTTP for media (media.ts): the tus endpoint and the claim, both for edges
 * (Basic edgeId:password), and reading a stored file for a village. The read
 * route takes its guard from the caller, so the phone API can put its own
 * auth in front of it without touching this file.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UPLOADS_PATH, type CloudMedia, type ClaimInput } from './media.ts';
import type { EdgeAuthResult } from './edge-auth.ts';
import { mediaClaimSchema } from '@cunbox/shared';
import type { MediaOwner } from './media-index.ts';

export interface MediaRoutesDeps {
  media: CloudMedia;
  /** Throws (with the API's own error) unless the request may read the village's media. */
  guardVillage: (req: FastifyRequest, villageId: number) => void;
}

const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.status(status).send({ error: { code, message } });

/** 401, or 429 with Retry-After for a client over its failure limit. */
const refuseEdge = (reply: FastifyReply, r: Exclude<EdgeAuthResult, { ok: true }>) =>
  r.reason === 'rate-limited'
    ? fail(reply.header('retry-after', String(Math.ceil(r.retryAfterMs / 1000))), 429, 'RATE_LIMITED', 'too many failed edge logins; try again later')
    : fail(reply, 401, 'UNAUTHENTICATED', 'edge credentials required');

export async function registerMediaRoutes(app: FastifyInstance, deps: MediaRoutesDeps): Promise<void> {
  const { media } = deps;

  // tus reads the request body itself: in this plugin's scope the upload type is left unparsed.
  await app.register(async (tus) => {
    tus.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
    const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      // Checked here, where the client's address is known (for the failure limits); tus's hooks then hit the cache.
      if (req.method !== 'OPTIONS') {
        const r = await media.authenticate(req.headers.authorization, req.ip);
        if (!r.ok) return void (await refuseEdge(reply, r));
      }
      reply.hijack();
      await media.tus.handle(req.raw, reply.raw);
    };
    // No GET: an upload in progress is not served back; finished files are read through the village route below.
    const method = ['POST', 'HEAD', 'PATCH', 'OPTIONS', 'DELETE'];
    // The tus protocol (creation, offsets, resumption) is for a tus client (the edge uses tus-js-client), not for an OpenAPI one.
    const tusSchema = { hide: true, response: { '2xx': { description: 'as the tus protocol says' } } };
    tus.route({ method, url: UPLOADS_PATH, schema: tusSchema, handler: handle });
    tus.route({ method, url: `${UPLOADS_PATH}/*`, schema: tusSchema, handler: handle });
  });

  app.post<{ Body: ClaimInput }>(
    '/api/media/claims',
    {
      schema: {
        tags: ['edge'],
        summary: 'An edge claims a file it uploaded (by tus) for a record of its village',
        security: [{ edge: [] }],
        response: { 200: { type: 'object', additionalProperties: false, required: ['stored'], properties: { stored: { type: 'boolean', description: 'false: upload the file first' } } } },
        // The published protocol's schema (docs/protocol): one definition for the route and the docs.
        body: mediaClaimSchema,
      },
    },
    async (req, reply) => {
      const r = await media.authenticate(req.headers.authorization, req.ip);
      if (!r.ok) return refuseEdge(reply, r);
      const edge = r.edge;
      if (req.body.size > media.options.maxBytes) return fail(reply, 413, 'PAYLOAD_TOO_LARGE', `larger than ${media.options.maxBytes} bytes`);
      return await media.claim(edge, req.body);
    },
  );

  // The edge's way down for media of its village it does not hold (a photo a phone attached): it asks, the cloud never connects to it.
  app.get<{ Params: { key: string } }>(
    '/api/media/files/:key',
    {
      schema: {
        tags: ['edge'],
        operationId: 'edgeReadMedia',
        summary: "A stored file of the calling edge's village, by SHA-256 or media id (edge Basic credentials)",
        security: [{ edge: [] }],
        params: { type: 'object', additionalProperties: false, required: ['key'], properties: { key: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,80}$' } } },
        response: { 200: { description: 'The bytes, in the content type they were stored with; ETag is their SHA-256', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
    async (req, reply) => {
      const r = await media.authenticate(req.headers.authorization, req.ip);
      if (!r.ok) return refuseEdge(reply, r);
      const m = await media.find(r.edge.villageId, req.params.key);
      if (!m) return fail(reply, 404, 'NOT_FOUND', `no media ${req.params.key} in this edge's village`);
      return sendFile(reply, m);
    },
  );

  app.get<{ Params: { id: number; key: string } }>(
    '/api/villages/:id/media/:key',
    {
      schema: {
        tags: ['media'],
        summary: 'A stored file of a village (the operator, or a phone user whose role may read media)',
        security: [{ operator: [] }, { phone: [] }],
        params: { type: 'object', properties: { id: { type: 'integer' }, key: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,80}$' } } },
        response: { 200: { description: 'The file, in the content type it was stored with', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
    async (req, reply) => {
      await deps.guardVillage(req, req.params.id);
      const m = await media.find(req.params.id, req.params.key);
      if (!m) return fail(reply, 404, 'NOT_FOUND', `no media ${req.params.key} in village ${req.params.id}`);
      return sendFile(reply, m);
    },
  );
}

/**
 * Sends a stored file. The media routes name files by hash or ref, whose bytes
 * never change, so they may be cached for good; a route whose answer can change
 * under the same URL (a certificate revoked) passes its own `cacheControl`.
 */
export function sendFile(reply: FastifyReply, m: MediaOwner & { path: string }, opts: { cacheControl?: string; filename?: string } = {}) {
  if (opts.filename) void reply.header('content-disposition', `inline; filename="${opts.filename}"`);
  return reply
    .header('content-type', m.mime ?? 'application/octet-stream')
    .header('content-length', m.size)
    .header('etag', `"${m.sha256}"`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', opts.cacheControl ?? 'private, max-age=31536000, immutable')
    .send(createReadStream(m.path));
}
