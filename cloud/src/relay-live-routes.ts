/**
 * The edge's live upload (relay-live.ts): one long chunked POST of fMP4 per
 * live request, Basic edgeId:password like the media routes. The body is
 * left unparsed here: the live relay reads it as it arrives and fans it out.
 */
import type { FastifyInstance } from 'fastify';
import { LIVE_UPLOAD_PATH } from '@cunbox/shared';
import type { CloudMedia } from './media.ts';
import type { CloudLiveRelay } from './relay-live.ts';

export async function registerLiveUploadRoute(app: FastifyInstance, deps: { media: Pick<CloudMedia, 'authenticate'>; live: CloudLiveRelay }): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser('video/mp4', (_req, _payload, done) => done(null));
    scope.post<{ Params: { id: string } }>(
      `${LIVE_UPLOAD_PATH}/:id`,
      {
        // A stream of a few hundred kbit/s for as long as phones watch: no body limit applies, the relay's byte budget does.
        bodyLimit: Number.MAX_SAFE_INTEGER,
        schema: {
          tags: ['edge'],
          operationId: 'edgeLiveUpload',
          summary: "An edge's live stream for a relay request (chunked fragmented MP4, until the cloud closes it or the edge stops)",
          security: [{ edge: [] }],
          params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
          response: { 200: { description: 'The stream ended', type: 'object', additionalProperties: false, properties: {} } },
        },
      },
      async (req, reply) => {
        const r = await deps.media.authenticate(req.headers.authorization, req.ip);
        if (!r.ok) return reply.status(r.reason === 'rate-limited' ? 429 : 401).send({ error: { code: r.reason === 'rate-limited' ? 'RATE_LIMITED' : 'UNAUTHENTICATED', message: 'edge credentials required' } });
        if (!deps.live.attach(r.edge, req.params.id, req.raw)) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no live request waits for this stream' } });
        // Answered when the upload ends; a channel the cloud closes cuts the connection instead.
        await new Promise<void>((done) => {
          req.raw.once('end', done);
          req.raw.once('close', done);
        });
        return reply.send({});
      },
    );
  });
}
