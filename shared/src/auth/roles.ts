/** The roles of the edge and the cloud: one list, so an account means the same on both. */
export const ROLES = ['admin', 'cadre', 'grid_worker', 'party_secretary', 'party_member', 'villager', 'technician', 'viewer', 'kiosk'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A big screen in the office (一屏观全村), not a person: it reads the screen's
 * aggregates and the camera wall and nothing else. Every permission that is
 * not explicitly granted to it is denied, 'authenticated' routes included.
 */
export const KIOSK_ROLE = 'kiosk' satisfies Role;
