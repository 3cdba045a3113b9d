/**
 * Recent camera events on the phone (those the edge synced up), filtered by
 * camera, type and time, and limited to the cameras the user may see (shared
 * cameraScope over the restrictions synced with the account); and each
 * event's own thumbnail, the picture of its peak the edge uploaded as media.
 */
import { cameraScope, SHA256_PATTERN, type MotionEventDetail } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { obj, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';
import type { CloudMedia } from '../media.ts';
import { sendFile } from '../media-routes.ts';

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
  if (ctx.media) eventThumbnailRoute(router, ctx, ctx.media);
}

/**
 * The JPEG of an event's peak frame, found by the SHA-256 the event names (not
 * by its ref, which another edge of the village could repeat). Each read is
 * audited, as the relayed pictures are.
 */
function eventThumbnailRoute(router: PhoneRouter, ctx: PhoneContext, media: CloudMedia): void {
  router.route<unknown, unknown, { id: number }>({
    method: 'GET',
    url: '/events/:id/thumbnail',
    access: 'video.view',
    params: { id: { type: 'integer', minimum: 1 } },
    summary: "An event's own thumbnail (the picture of its peak, taken by the edge); 404 for an event without one (ONVIF) or whose picture has not reached the cloud yet",
    reply: replies.binary('The picture of the event', 'image/jpeg'),
    handler: async (call, village, reply) => {
      const { id } = call.params;
      // A camera one may not see does not exist for them: its events are 404, as in the list.
      const [event] = await ctx.store.events(call.villageId, { id, cameras: cameraScope(call.user.role, call.user.cameras), limit: 1 });
      if (!event) throw ctx.fail('NOT_FOUND', `no event ${id}`);
      const thumbnail = (event.detail as Partial<MotionEventDetail>).thumbnail;
      if (!thumbnail || !SHA256_PATTERN.test(thumbnail.sha256)) throw ctx.fail('NOT_FOUND', `event ${id} has no thumbnail (only video motion events have one)`);
      const file = await media.find(call.villageId, thumbnail.sha256);
      if (!file) throw ctx.fail('NOT_FOUND', `the thumbnail of event ${id} has not reached the cloud yet`);
      await village.audit(call, 'event.thumbnail', `event:${id}`, { cameraId: event.cameraId, outcome: 'served', sha256: file.sha256 });
      // A day, not for good: the address names an event id, which a re-paired edge could count again.
      return sendFile(reply, file, { cacheControl: 'private, max-age=86400' });
    },
  });
}
