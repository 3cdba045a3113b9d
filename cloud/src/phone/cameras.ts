/**
 * A camera's picture for a phone, relayed from the village's edge (relay.ts;
 * docs/design/relay.md). The cloud checks the caller's camera scope (the
 * restriction synced from the edge, by the shared rule) before it asks the
 * edge, and the edge checks it again against its own accounts. Every request
 * is audited, whatever its outcome; the row reaches the edge's audit log too.
 */
import { readFile } from 'node:fs/promises';
import { cameraScope, CunboxError } from '@cunbox/shared';
import type { FastifyReply } from 'fastify';
import type { PhoneRouter } from './router.ts';
import type { PhoneContext } from './context.ts';
import type { CloudRelay } from '../relay.ts';

const JPEG_REPLY = { description: 'The picture; x-snapshot-time says when the edge took it', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } };

export function cameraRoutes(router: PhoneRouter, ctx: PhoneContext, relay: CloudRelay | undefined): void {
  if (!relay) return;
  router.route<unknown, unknown, { cameraId: number }>({
    method: 'GET',
    url: '/cameras/:cameraId/snapshot',
    access: 'video.wall',
    params: { cameraId: { type: 'integer', minimum: 1 } },
    summary: "A camera's latest picture, fetched from the village's edge (a few seconds old at most); 504 when the edge does not answer in time",
    reply: JPEG_REPLY,
    handler: async (call, village, reply) => {
      const { cameraId } = call.params;
      const target = `camera:${cameraId}`;
      const scope = cameraScope(call.user.role, call.user.cameras);
      if (scope !== undefined && !scope.has(cameraId)) {
        village.audit(call, 'relay.snapshot', target, { outcome: 'forbidden' });
        // The same answer whether or not the camera exists: no hint about cameras one may not see.
        throw ctx.fail('FORBIDDEN', `you may not see camera ${cameraId}`);
      }
      let picture: Awaited<ReturnType<CloudRelay['snapshot']>>;
      try {
        picture = await relay.snapshot(call.villageId, call.user.username, cameraId);
      } catch (err) {
        village.audit(call, 'relay.snapshot', target, { outcome: err instanceof CunboxError ? err.code : 'INTERNAL' });
        throw err;
      }
      village.audit(call, 'relay.snapshot', target, { outcome: 'served', cached: picture.cached, sha256: picture.sha256 });
      const data = await readFile(picture.path);
      // The route's reply is binary (described for OpenAPI by its content type): send it untyped.
      const raw = reply as unknown as FastifyReply;
      return raw
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'private, no-store')
        .header('x-snapshot-time', new Date(picture.capturedAt).toISOString())
        .header('x-relay-cached', picture.cached ? '1' : '0')
        .send(data);
    },
  });
}
