import { Type } from '@fastify/type-provider-typebox';
import { cameraList, fillTemplate, WARNING_TEXT, type StorageWarning } from '../../storage/capacity.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { NoQuery, Nullable } from '../schemas.ts';

const Days = Nullable(Type.Number());
const HealthReply = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('warn')]),
  storage: Nullable(
    Type.Object({
      totalBytes: Type.Number(),
      freeBytes: Type.Number(),
      reservedBytes: Type.Number({ description: 'free space retention keeps by deleting the oldest footage' }),
      cunboxBytes: Type.Number({ description: 'footage, database, exports and photos' }),
      footageBytes: Type.Number(),
      othersBytes: Type.Number({ description: 'used on the data disk by other programs' }),
      bytesPerDay: Type.Number({ description: 'all cameras at their bitrate over the last hour' }),
      daysAtCurrentBitrate: Days,
      horizonDays: Type.Union([Type.Number(), Type.Null()], { description: 'where the space rule cuts footage; null: every camera keeps its required days' }),
      cameras: Type.Array(Type.Object({ cameraId: Type.Integer(), requiredDays: Type.Number(), holdsDays: Days, bitrateBps: Nullable(Type.Number()) })),
    }),
  ),
  warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
});

/** GET /api/health: for monitoring tools, without a login; numbers and ids only, no names. */
export async function healthRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  app.get('/api/health', { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Storage capacity against required days, space used by cunbox and by others, warnings', querystring: NoQuery, response: { 200: HealthReply } } }, async () => {
    const s = deps.storage ? (deps.storage.latest ?? (await deps.storage.check())) : undefined;
    if (!s) return { status: 'ok' as const, storage: null, warnings: [] };
    return {
      status: s.warnings.length > 0 ? ('warn' as const) : ('ok' as const),
      storage: {
        totalBytes: s.disk.totalBytes,
        freeBytes: s.disk.freeBytes,
        reservedBytes: s.reservedBytes,
        cunboxBytes: s.cunboxBytes,
        footageBytes: s.totalBytes,
        othersBytes: s.foreignBytes,
        bytesPerDay: s.bytesPerDay,
        daysAtCurrentBitrate: s.daysAtCurrentBitrate,
        horizonDays: s.horizonDays,
        cameras: s.cameras.map((c) => ({ cameraId: c.cameraId, requiredDays: c.requiredDays, holdsDays: c.holdsDays, bitrateBps: c.bitrateBps })),
      },
      warnings: s.warnings.map((w) => ({ code: w.code, message: withoutNames(w) })),
    };
  });
}

/** Camera names are for logged-in eyes: the public text names cameras by id. */
function withoutNames(w: StorageWarning): string {
  if (w.code !== 'storage.retention_short') return w.message;
  return fillTemplate(WARNING_TEXT[w.code].message, { ...w.vars, cameras: cameraList(w.cameras, false) });
}
