import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { MOTION_EVENT_TYPE } from '@cunbox/shared';
import { CunboxError } from '../../errors.ts';
import { visibleCameras } from './visible-cameras.ts';
import { parseRange } from '../../playback/range.ts';
import { isEpisodeStart, parseEventCursor, type StoredEvent } from '../../events/event-store.ts';
import type { CameraMotionSettings } from '../../motion/settings-store.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { Nullable, Obj } from '../schemas.ts';

const Time = Type.String({ maxLength: 40, description: 'epoch ms or ISO 8601 with a zone' });
const CameraParams = Obj({ cameraId: Type.Integer({ minimum: 1 }) });
const List = (item: string, what: string) => Type.Optional(Type.String({ maxLength: 2000, pattern: `^${item}(,${item}){0,63}$`, description: `comma-separated ${what}` }));
const ZoneName = Type.String({ minLength: 1, maxLength: 32 });
// A pair as an array of two numbers, not a TypeBox tuple: a tuple is written with draft-07's
// `items: [...]`, which OpenAPI 3.1 (JSON Schema 2020-12) does not read.
const Point = Type.Unsafe<[number, number]>(Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 2, maxItems: 2 }));
const Points = Type.Array(Point, { minItems: 3, maxItems: 64, description: '[x, y] pairs, 0..1 of the picture' });

const EventReply = Obj({
  id: Type.Integer(),
  cameraId: Nullable(Type.Integer()),
  type: Type.String({ description: 'motion.start / tamper.start (an episode began), motion / tamper (its summary, once it ended), camera.online, camera.offline, …' }),
  atMs: Type.Integer({ description: 'when it happened (motion and tamper, start and summary alike: when the episode started)' }),
  endMs: Nullable(Type.Integer({ description: 'summaries: when the episode ended; null while it goes on' })),
  open: Type.Boolean({ description: 'a start row whose episode goes on (no summary yet)' }),
  endedBy: Nullable(Type.Integer({ description: 'start rows: the id of the summary that ended the episode' })),
  zone: Nullable(Type.String({ description: 'motion: the zone; null: the whole picture' })),
  score: Nullable(Type.Number()),
  labels: Type.Array(Type.String(), { description: 'what moved, once an object detector says so' }),
  thumbnail: Nullable(Type.String({ description: 'URL of the peak frame JPEG' })),
  footage: Type.Boolean({ description: 'the recording of the event is still on the box (not yet rotated out)' }),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
const Area = Obj({ kind: Type.Union([Type.Literal('zone'), Type.Literal('mask')]), name: ZoneName, points: Points });
const MotionReply = Obj({
  cameraId: Type.Integer(),
  enabled: Type.Boolean(),
  sensitivity: Type.Integer({ minimum: 1, maximum: 100 }),
  minAreaPercent: Type.Number(),
  zones: Type.Array(Area),
  masks: Type.Array(Area),
});

/**
 * The event index (motion, camera online/offline, …) and each camera's motion
 * zones, masks and knobs. Readers see only the cameras they may watch.
 */
export async function eventRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const video = deps.video;
  const events = video?.events;
  if (!video || !events) return;
  const tags = ['events'];
  const now = () => deps.clock.now();
  const { allowed, camera } = visibleCameras(deps.cameraAccess, video.registry);

  const toReply = (e: StoredEvent) => {
    const d = e.detail;
    const endMs = typeof d['endMs'] === 'number' ? d['endMs'] : null;
    const footage = e.cameraId !== null && video.index.forCamera(e.cameraId, e.atMs, Math.max(e.atMs + 1, endMs ?? e.atMs + 1)).length > 0;
    return {
      id: e.id,
      cameraId: e.cameraId,
      type: e.type,
      atMs: e.atMs,
      endMs,
      open: isEpisodeStart(e.type) && e.endedBy === null,
      endedBy: e.endedBy ?? null,
      zone: typeof d['zone'] === 'string' ? d['zone'] : null,
      score: typeof d['score'] === 'number' ? d['score'] : null,
      labels: Array.isArray(d['labels']) ? d['labels'].filter((l): l is string => typeof l === 'string') : [],
      thumbnail: d['thumbnail'] ? `/api/events/${e.id}/thumbnail.jpg` : null,
      footage,
      detail: d,
    };
  };

  app.get(
    '/api/events',
    {
      config: { access: 'video.view' },
      schema: {
        tags,
        operationId: 'listEvents',
        summary: 'Events of the cameras this user may watch, newest first, paged',
        description:
          'A motion or tamper episode is one row: its start (`motion.start`, `open: true`) while it goes on, its summary (`motion`, `tamper`) once it ended. Name a start type in `types` to get ended starts too (with `endedBy`).',
        querystring: Obj({
          from: Time,
          to: Time,
          cameras: List('\\d+', 'camera ids'),
          zones: List('[^,]{1,32}', 'zone names (motion events in those zones)'),
          types: List('[a-z][a-z0-9._-]{0,63}', 'event types (motion, motion.start, tamper, tamper.start, camera.offline, …)'),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 40, description: '`next` of the previous page' })),
        }),
        response: { 200: Obj({ events: Type.Array(EventReply), next: Nullable(Type.String()) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const range = parseRange(q.from, q.to, now());
      const before = q.cursor === undefined ? undefined : parseEventCursor(q.cursor);
      if (q.cursor !== undefined && !before) throw new CunboxError('INVALID_INPUT', 'cursor: not a cursor this API gave');
      const types = q.types?.split(',');
      const set = allowed(req);
      let cameraIds: number[] | undefined = set === undefined ? undefined : [...set];
      if (q.cameras) {
        cameraIds = q.cameras.split(',').map(Number);
        for (const id of cameraIds) camera(req, id);
      }
      const page = events.page({
        fromMs: range.fromMs,
        toMs: range.toMs,
        ...(cameraIds ? { cameraIds } : {}),
        ...(types ? { types } : {}),
        ...(q.zones ? { zones: q.zones.split(',') } : {}),
        ...(before ? { before } : {}),
        // Asked for by name, start rows come whether ended or not; otherwise an ended episode is its summary alone.
        hideEndedStarts: !types?.some(isEpisodeStart),
        limit: q.limit ?? 100,
      });
      // A restricted user never sees system events (no camera): they are not about their cameras.
      const visible = set === undefined ? page.events : page.events.filter((e) => e.cameraId !== null);
      return { events: visible.map(toReply), next: page.next };
    },
  );

  app.get(
    '/api/events/:id/thumbnail.jpg',
    { config: { access: 'video.view' }, schema: { tags, operationId: 'getEventThumbnail', summary: 'The JPEG of an event\'s peak frame', params: Obj({ id: Type.Integer({ minimum: 1 }) }), response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'image/jpeg' }) } } },
    async (req, reply) => {
      const e = events.get(req.params.id);
      if (!e || e.cameraId === null) throw new CunboxError('NOT_FOUND', `no event ${req.params.id}`);
      camera(req, e.cameraId);
      const thumb = e.detail['thumbnail'] as { sha256?: unknown } | null | undefined;
      if (e.type !== MOTION_EVENT_TYPE || !thumb || typeof thumb.sha256 !== 'string') throw new CunboxError('NOT_FOUND', `event ${e.id} has no thumbnail`);
      const file = video.layout.absolute(video.layout.thumbnailPath(e.cameraId, e.atMs, thumb.sha256));
      const size = await stat(file).then((s) => s.size, () => -1);
      if (size < 0) throw new CunboxError('NOT_FOUND', `the thumbnail of event ${e.id} was deleted`);
      void reply.header('content-type', 'image/jpeg').header('content-length', size).header('cache-control', 'private, max-age=604800, immutable');
      return reply.send(createReadStream(file));
    },
  );

  const motion = video.motion;
  if (!motion) return;
  // Config-file cameras get their motion settings from the file at every start: an edit here would not last.
  const editable = (req: FastifyRequest, cameraId: number) => {
    const cam = camera(req, cameraId);
    if (cam.source === 'config') throw new CunboxError('CONFLICT', `camera "${cam.name}" comes from the config file; change its motion settings there`);
  };
  const changed = (s: CameraMotionSettings) => {
    motion.changed();
    return s;
  };
  const reply200 = { 200: MotionReply };

  app.get('/api/cameras/:cameraId/motion', { config: { access: 'video.view' }, schema: { tags, operationId: 'getCameraMotion', summary: 'A camera\'s motion detection: on/off, sensitivity, min area, zones, masks', params: CameraParams, response: reply200 } }, async (req) => {
    camera(req, req.params.cameraId);
    return motion.settings.get(req.params.cameraId);
  });

  app.patch(
    '/api/cameras/:cameraId/motion',
    { config: { access: 'config.manage' }, schema: { tags, operationId: 'updateCameraMotion', summary: 'Turn motion detection on or off, set sensitivity and min area', params: CameraParams, body: Obj({ enabled: Type.Optional(Type.Boolean()), sensitivity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), minAreaPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50 })) }), response: reply200 } },
    async (req) => {
      editable(req, req.params.cameraId);
      return changed(motion.settings.setKnobs(req.params.cameraId, req.body));
    },
  );

  app.post('/api/cameras/:cameraId/motion/areas', { config: { access: 'config.manage' }, schema: { tags, operationId: 'addCameraMotionArea', summary: 'Add a named zone or mask (polygon, 0..1 coordinates)', params: CameraParams, body: Area, response: { 201: MotionReply } } }, async (req, reply) => {
    editable(req, req.params.cameraId);
    const s = motion.settings.addArea(req.params.cameraId, req.body);
    void reply.status(201);
    return changed(s);
  });

  app.delete(
    '/api/cameras/:cameraId/motion/areas/:kind/:name',
    { config: { access: 'config.manage' }, schema: { tags, operationId: 'removeCameraMotionArea', summary: 'Remove a zone or mask by name', params: Obj({ cameraId: Type.Integer({ minimum: 1 }), kind: Type.Union([Type.Literal('zone'), Type.Literal('mask')]), name: ZoneName }), response: reply200 } },
    async (req) => {
      editable(req, req.params.cameraId);
      return changed(motion.settings.removeArea(req.params.cameraId, req.params.kind, req.params.name));
    },
  );
}
