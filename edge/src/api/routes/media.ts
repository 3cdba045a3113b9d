import { CunboxError } from '../../errors.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { Binary, One } from '../replies.ts';
import { IdParams, NoQuery } from '../schemas.ts';

/** Photos and attachments: upload once, refer to them by id from tickets, claims, announcements. */
export async function mediaRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const media = deps.governance.media;

  app.post(
    '/api/media',
    {
      config: { access: 'media.upload', upload: { field: 'file', description: 'a JPEG, PNG, WebP or HEIC photo, or a PDF' } },
      schema: {
        tags: ['media'],
        summary: 'Upload one photo (JPEG/PNG/WebP/HEIC) or PDF as multipart field "file"',
        description: 'Photos are checked by content, re-encoded as JPEG with metadata (EXIF, GPS) removed and the longest side at most 2048 px.',
        querystring: NoQuery,
        consumes: ['multipart/form-data'],
        response: { 201: One('media', 'Media') },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new CunboxError('UNSUPPORTED_MEDIA_TYPE', 'send the file as multipart/form-data, field "file"');
      const file = await req.file();
      if (!file) throw new CunboxError('INVALID_INPUT', 'no file in the request');
      if (file.fieldname !== 'file') throw new CunboxError('INVALID_INPUT', `unexpected field "${file.fieldname}": send the file as field "file"`);
      const data = await file.toBuffer();
      const m = await media.add(data, actorOf(req).username);
      void reply.status(201);
      return { media: m };
    },
  );

  app.get('/api/media/:id', { config: { access: 'media.read' }, schema: { tags: ['media'], summary: 'The file', params: IdParams, querystring: NoQuery, response: { 200: Binary('The photo (always JPEG after upload) or PDF', 'image/jpeg', 'application/pdf') } } }, async (req, reply) => {
    const { media: m, data } = await media.read(req.params.id);
    void reply.header('content-type', m.mime).header('cache-control', 'private, max-age=86400').header('x-content-type-options', 'nosniff');
    if (m.kind === 'pdf') void reply.header('content-disposition', `inline; filename="${m.id}.pdf"`);
    return reply.send(data);
  });

  app.get('/api/media/:id/meta', { config: { access: 'media.read' }, schema: { tags: ['media'], summary: 'Type, size and dimensions', params: IdParams, querystring: NoQuery, response: { 200: One('media', 'Media') } } }, async (req) => {
    const m = media.get(req.params.id);
    if (!m) throw new CunboxError('NOT_FOUND', `no media ${req.params.id}`);
    return { media: m };
  });
}
