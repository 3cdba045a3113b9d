/**
 * Recent camera events on the phone (those the edge synced up), filtered by
 * camera, type and time, and limited to the cameras the user may see (shared
 * cameraScope over the restrictions synced with the account).
 */
import { cameraScope } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { obj, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

const EPOCH_MS = { type: 'integer', minimum: 0, maximum: 253402300799999 };

export function eventRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  router.route<unknown, { cameraId?: number; type?: string; since?: number; until?: number; limit?: number }>({
    method: 'GET',
    url: '/events',
    summary: 'Camera events the edge synced, newest first, of the cameras I may see',
    reply: replies.many('events', 'Event'),
    access: 'video.view',
    query: obj({ cameraId: { type: 'integer', minimum: 1 }, type: { type: 'string', minLength: 1, maxLength: 64 }, since: EPOCH_MS, until: EPOCH_MS, limit: { type: 'integer', minimum: 1, maximum: 1000 } }),
    handler: async ({ user, villageId, query: q }) => {
      const scope = cameraScope(user.role, user.cameras);
      // As the edge: a camera one may not see does not exist for them.
      if (q.cameraId !== undefined && scope && !scope.has(q.cameraId)) throw ctx.fail('NOT_FOUND', `no camera ${q.cameraId}`);
      return { events: await ctx.store.events(villageId, { cameras: scope, cameraId: q.cameraId, type: q.type, since: q.since, until: q.until, limit: q.limit ?? 100 }) };
    },
  });
}
