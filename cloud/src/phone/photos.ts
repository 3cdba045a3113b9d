/**
 * 随手拍 photos from phones: one file per request, checked and normalised by
 * the shared photo rule (decoded from its bytes whatever its name or declared
 * type, re-encoded as JPEG without EXIF/GPS, longest side 2048 px), stored in
 * the cloud's content store for the village under a new media id. A ticket
 * names it by that id (tickets.ts); the village's edge fetches it from the
 * cloud (docs/design/media-sync.md, "Phone photos").
 */
import { newId, TICKET_MAX_PHOTOS } from '@cunbox/shared';
import { DEFAULT_PHOTO_LIMITS, normalizePhoto, PhotoRefused } from '@cunbox/shared/photo';
import type { PhoneRouter } from './router.ts';
import { ID, type PhoneContext } from './context.ts';

/** A ticket's photo ids in a request body. */
export const PHOTO_IDS = { type: 'array', maxItems: TICKET_MAX_PHOTOS, uniqueItems: true, items: ID };

const MEDIA_REPLY = {
  type: 'object',
  required: ['media'],
  properties: {
    media: {
      type: 'object',
      required: ['id', 'sha256', 'bytes', 'mime', 'width', 'height'],
      properties: { id: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' }, mime: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' } },
    },
  },
} as const;

export function photoRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const media = ctx.media;
  if (!media) return;
  router.route<{ data: Buffer }>({
    method: 'POST',
    url: '/media',
    access: 'media.upload',
    status: 201,
    upload: { maxBytes: DEFAULT_PHOTO_LIMITS.maxUploadBytes },
    idempotent: true,
    summary: 'Upload a photo (随手拍): one JPEG, PNG or HEIC as multipart field "file"; stored re-encoded as JPEG without EXIF',
    reply: MEDIA_REPLY,
    handler: async ({ villageId, body }) => {
      if (body.data.length === 0) throw ctx.fail('INVALID_INPUT', 'empty file');
      let photo: Awaited<ReturnType<typeof normalizePhoto>>;
      try {
        photo = await normalizePhoto(body.data, DEFAULT_PHOTO_LIMITS);
      } catch (err) {
        if (!(err instanceof PhotoRefused)) throw err;
        throw ctx.fail(err.reason === 'too-many-pixels' ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE', err.message);
      }
      const id = newId(ctx.now());
      const stored = await media.storePhoto(villageId, id, photo.data);
      return { media: { id, sha256: stored.sha256, bytes: stored.size, mime: 'image/jpeg', width: photo.width, height: photo.height } };
    },
  });
}
