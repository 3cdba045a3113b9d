import type { FastifyRequest } from 'fastify';
import type { CameraDetails, CameraRegistry } from '../../cameras/registry.ts';
import { CunboxError } from '../../errors.ts';
import type { CameraAccess } from '../../playback/access.ts';

/** The cameras a request's user may watch (`allowed`: undefined = all), and one of them by id. */
export function visibleCameras(access: CameraAccess, registry: CameraRegistry) {
  const allowed = (req: FastifyRequest) => access.allowed(req.principal!.userId, req.principal!.role);
  const camera = (req: FastifyRequest, cameraId: number): CameraDetails => {
    const cam = registry.get(cameraId);
    const set = allowed(req);
    // The same answer for "no such camera" and "not yours": ids are not probed.
    if (!cam || (set !== undefined && !set.has(cameraId))) throw new CunboxError('NOT_FOUND', `no camera ${cameraId}`);
    return cam;
  };
  return { allowed, camera };
}
