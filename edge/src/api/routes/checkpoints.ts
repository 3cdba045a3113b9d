import { Type } from '@fastify/type-provider-typebox';
import { CunboxError } from '../../errors.ts';
import { hourlyActivity } from '../../checkpoints/activity.ts';
import { visibleCameras } from './visible-cameras.ts';
import { parseRange } from '../../playback/range.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { Nullable, Obj } from '../schemas.ts';

const Time = Type.String({ maxLength: 40, description: 'epoch ms or ISO 8601 with a zone' });
/** Events stay after their footage is gone: a month of hours is one answer (64 cameras × 744 hours at most per zone). */
const MAX_ACTIVITY_RANGE_MS = 31 * 86_400_000;

const Hour = Obj({
  startMs: Type.Integer({ description: "when the hour began, in the box's time zone (epoch ms)" }),
  zone: Nullable(Type.String({ description: 'the motion zone; null: the whole picture (no zones, or the camera\'s own ONVIF alarm)' })),
  source: Type.Union([Type.Literal('video'), Type.Literal('onvif')]),
  count: Type.Integer({ minimum: 1, description: 'motion episodes that started in the hour' }),
});
const CameraActivity = Obj({ cameraId: Type.Integer(), name: Type.String(), hours: Type.Array(Hour, { description: 'only hours with activity, oldest first' }) });

/**
 * Checkpoints (路口卡口): cameras marked so get their motion counted per hour
 * and zone, for "how busy was the east entrance last week".
 */
export async function checkpointRoutes(app: Api, { deps, options }: RouteContext): Promise<void> {
  const video = deps.video;
  if (!video) return;
  const store = video.checkpoints;
  const tags = ['checkpoints'];
  const { allowed, camera } = visibleCameras(deps.cameraAccess, video.registry);

  app.get(
    '/api/checkpoints/activity',
    {
      config: { access: 'video.view' },
      schema: {
        tags,
        operationId: 'getCheckpointActivity',
        summary: 'Motion episodes per hour and zone at the checkpoint cameras this user may watch',
        querystring: Obj({
          from: Time,
          to: Time,
          cameras: Type.Optional(Type.String({ maxLength: 2000, pattern: '^\\d+(,\\d+){0,63}$', description: 'comma-separated checkpoint camera ids; default: all this user may watch' })),
        }),
        response: { 200: Obj({ timeZone: Type.String(), from: Type.Integer(), to: Type.Integer(), cameras: Type.Array(CameraActivity) }) },
      },
    },
    async (req) => {
      const range = parseRange(req.query.from, req.query.to, deps.clock.now(), { maxMs: MAX_ACTIVITY_RANGE_MS });
      let ids: number[];
      if (req.query.cameras) {
        ids = req.query.cameras.split(',').map(Number);
        for (const id of ids) {
          const cam = camera(req, id);
          if (!store.has(id)) throw new CunboxError('INVALID_INPUT', `camera ${id} (${cam.name}) is not a checkpoint`);
        }
      } else {
        const set = allowed(req);
        ids = store.ids().filter((id) => set === undefined || set.has(id));
      }
      const hours = hourlyActivity(deps.db, { cameraIds: ids, ...range, timeZone: options.timeZone });
      return {
        timeZone: options.timeZone,
        from: range.fromMs,
        to: range.toMs,
        cameras: ids.map((id) => ({
          cameraId: id,
          name: video.registry.get(id)?.name ?? String(id),
          hours: hours.filter((h) => h.cameraId === id).map(({ hourStartMs, zone, source, count }) => ({ startMs: hourStartMs, zone, source, count })),
        })),
      };
    },
  );

  app.put(
    '/api/cameras/:cameraId/checkpoint',
    {
      config: { access: 'config.manage' },
      schema: {
        tags,
        operationId: 'setCameraCheckpoint',
        summary: 'Mark a camera as a checkpoint (its activity is counted per hour), or not',
        params: Obj({ cameraId: Type.Integer({ minimum: 1 }) }),
        body: Obj({ checkpoint: Type.Boolean() }),
        response: { 200: Obj({ cameraId: Type.Integer(), checkpoint: Type.Boolean() }) },
      },
    },
    async (req) => {
      const cam = camera(req, req.params.cameraId);
      // Config-file cameras get this from the file at every start: an edit here would not last.
      if (cam.source === 'config') throw new CunboxError('CONFLICT', `camera "${cam.name}" comes from the config file; set checkpoint there`);
      store.set(cam.id, req.body.checkpoint);
      return { cameraId: cam.id, checkpoint: store.has(cam.id) };
    },
  );
}
