/** The roles of the edge and the cloud: one list, so an account means the same on both. */
export const ROLES = ['admin', 'cadre', 'grid_worker', 'party_secretary', 'party_member', 'villager', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
