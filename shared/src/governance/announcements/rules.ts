import type { Actor } from '../command.ts';
import type { Role } from '../../auth/roles.ts';
import { PARTY_AFFAIRS_EDITORS, VILLAGE_AFFAIRS_EDITORS } from '../../auth/permissions.ts';
import type { AnnouncementCategory, AnnouncementState } from '../announcement.ts';

/** Who writes, reviews and sees the drafts of each tab of 三务公开. */
export const ANNOUNCEMENT_EDITORS: Readonly<Record<AnnouncementCategory, ReadonlySet<Role>>> = {
  party: PARTY_AFFAIRS_EDITORS,
  village: VILLAGE_AFFAIRS_EDITORS,
  finance: VILLAGE_AFFAIRS_EDITORS,
};

/** At most this many attachments on one announcement. */
export const MAX_ATTACHMENTS = 20;

export function editsTab(actor: Pick<Actor, 'role'>, category: AnnouncementCategory | null): boolean {
  return category !== null && ANNOUNCEMENT_EDITORS[category].has(actor.role);
}

/** Published announcements for everyone; drafts and reviews only for the editors of the tab. */
export function canSeeAnnouncement(viewer: Pick<Actor, 'role'>, a: AnnouncementState): boolean {
  return a.status === 'published' || editsTab(viewer, a.category);
}
