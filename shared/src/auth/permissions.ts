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
  /** Write and review the 党务 tab. */
  'announcements.party': ['admin', 'party_secretary'],
  /** Write and review the 村务 and 财务 tabs. */
  'announcements.village': ['admin', 'cadre'],
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

/** The roles that hold a permission, as a set (what the governance commands check records with). */
function rolesWith(permission: Permission): ReadonlySet<Role> {
  return new Set(PERMISSIONS[permission] as readonly Role[]);
}

// Named role sets: each is the role list of one permission above, so a set
// cannot mean one thing here and another there.
/** Who dispatches tickets: assigns, rejects, closes, reopens any ticket. */
export const TICKET_DISPATCHERS: ReadonlySet<Role> = rolesWith('tickets.dispatch');
/** Who works tickets and may be assigned one; they also see who reported. */
export const TICKET_WORKERS: ReadonlySet<Role> = rolesWith('tickets.work');
/** The village office for help requests and residents: sees and handles every household. */
export const RESIDENT_MANAGERS: ReadonlySet<Role> = rolesWith('residents.manage');
/** Who may be assigned a help request (a grid worker only for households of their grid). */
export const HELP_HANDLERS: ReadonlySet<Role> = rolesWith('help.handle');
/** Who reviews certificate requests. */
export const CERTIFICATE_REVIEWERS: ReadonlySet<Role> = rolesWith('certificates.review');
/** Who keeps the party's records: members, points, sessions, dues. */
export const PARTY_MANAGERS: ReadonlySet<Role> = rolesWith('party.manage');
/**
 * Who may look after a grid of households (a resident's grid worker): a role,
 * not a permission, since looking after a grid is what the role is.
 */
export const GRID_KEEPERS: ReadonlySet<Role> = new Set<Role>(['grid_worker']);
/** Who writes and reviews the 党务 tab of 三务公开 (and sees its drafts). */
export const PARTY_AFFAIRS_EDITORS: ReadonlySet<Role> = rolesWith('announcements.party');
/** Who writes and reviews the 村务 and 财务 tabs of 三务公开 (and sees their drafts). */
export const VILLAGE_AFFAIRS_EDITORS: ReadonlySet<Role> = rolesWith('announcements.village');
