import { ROLES, type Role } from './roles.ts';

/** Every account of a person: the kiosk (an office screen) is left out of every permission it is not named in. */
const ALL: readonly Role[] = ROLES.filter((r) => r !== 'kiosk');
/** Everyone who takes part in village life (not the technician or a read-only viewer). */
const PARTICIPANTS: readonly Role[] = ['admin', 'cadre', 'grid_worker', 'party_secretary', 'party_member', 'villager'];

/**
 * Which roles may do what, on the edge's API and the cloud's phone API alike
 * (the same action checks the same permission on both). Every route names one
 * permission (or 'public' / 'authenticated'); a route cannot be registered
 * without one. Finer rules that depend on the record (a grid worker works only
 * tickets assigned to them, a reporter confirms only their own ticket, a
 * reviewer is not the author) are in the services.
 */
export const PERMISSIONS = {
  'users.manage': ['admin'],
  'audit.read': ['admin'],
  /** Ticket categories, help types, certificate types. */
  'config.manage': ['admin', 'cadre'],
  'media.upload': PARTICIPANTS,
  'media.read': ALL,
  'tickets.read': ALL,
  'tickets.create': PARTICIPANTS,
  'tickets.comment': PARTICIPANTS,
  /** Assign, reject, mark duplicate, close, edit, review conflicts. */
  'tickets.dispatch': ['admin', 'cadre'],
  /** Start and resolve (grid workers: tickets assigned to them). */
  'tickets.work': ['admin', 'cadre', 'grid_worker'],
  /** Link camera footage, which puts an evidence hold on it. */
  'tickets.footage': ['admin', 'cadre', 'technician'],
  'residents.read': ['admin', 'cadre', 'grid_worker'],
  'residents.manage': ['admin', 'cadre'],
  /** Counts of special groups only, never who. */
  'residents.stats': ['admin', 'cadre', 'grid_worker', 'party_secretary', 'viewer'],
  'help.request': PARTICIPANTS,
  'help.handle': ['admin', 'cadre', 'grid_worker'],
  'certificates.request': PARTICIPANTS,
  'certificates.review': ['admin', 'cadre'],
  'announcements.read': ALL,
  /** Party secretaries write 党务 only; cadres 村务 and 财务; admins all. */
  'announcements.write': ['admin', 'cadre', 'party_secretary'],
  'announcements.review': ['admin', 'cadre', 'party_secretary'],
  'party.read': ['admin', 'cadre', 'party_secretary', 'party_member'],
  'party.manage': ['admin', 'party_secretary'],
  'party.claim': ['party_secretary', 'party_member'],
  'party.attend': ['party_secretary', 'party_member'],
  /** Timeline, playback, snapshots, live view, camera events; per-user camera restrictions apply (cameraScope). */
  'video.view': ['admin', 'cadre', 'technician', 'grid_worker', 'viewer'],
  /** The camera wall: current snapshots and live view only (no recordings, no events). */
  'video.wall': ['admin', 'cadre', 'technician', 'grid_worker', 'viewer', 'kiosk'],
  /** The office big screen's aggregates: counts and public facts, never who. */
  'screen.view': ['admin', 'cadre', 'viewer', 'kiosk'],
  'video.export': ['admin', 'cadre', 'technician'],
  'holds.manage': ['admin', 'cadre', 'technician'],
  /** The box's self-check (`cunbox doctor`) on the system page: the ones who set up and repair the box. */
  'system.doctor': ['admin', 'technician'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;
export type RouteAccess = Permission | 'public' | 'authenticated';

export function allows(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Every permission a role has (what a phone shows or hides). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => allows(role, p));
}
