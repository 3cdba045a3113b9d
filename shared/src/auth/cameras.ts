import type { Role } from './roles.ts';

/** Roles that see every camera unless restricted per user. */
const ALL_CAMERAS: ReadonlySet<Role> = new Set(['admin', 'cadre', 'technician', 'viewer', 'grid_worker', 'kiosk']);

/**
 * The cameras a user may see: with a per-user restriction (a grid worker their
 * grid's, a big screen its zone's) exactly those; without one, the role
 * decides (staff roles every camera, everyone else none). undefined: every camera.
 */
export function cameraScope(role: Role, restricted: readonly number[] | null): Set<number> | undefined {
  if (restricted && restricted.length > 0) return new Set(restricted);
  return ALL_CAMERAS.has(role) ? undefined : new Set();
}
