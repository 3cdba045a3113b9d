import { CunboxError } from '../../platform/errors.ts';
import type { AnnouncementCategory, AnnouncementState } from '../announcement.ts';
import { forbid, type Actor, type GovernanceLookups } from '../command.ts';
import { canSeeAnnouncement, editsTab } from './rules.ts';

export interface AnnouncementFilter {
  category?: AnnouncementCategory;
  status?: string;
}

/** What the viewer may read of `all` (newest first, as stored), by tab and status. */
export function visibleAnnouncements(all: readonly AnnouncementState[], viewer: Pick<Actor, 'role'>, filter: AnnouncementFilter = {}): AnnouncementState[] {
  return all.filter((a) => (!filter.category || a.category === filter.category) && (!filter.status || a.status === filter.status) && canSeeAnnouncement(viewer, a));
}

/** Published announcements, newest publication first: what everyone may read (the screen's ticker). */
export function publishedAnnouncements(all: readonly AnnouncementState[], limit: number): AnnouncementState[] {
  return all
    .filter((a) => a.status === 'published')
    .sort((a, b) => (b.publishedAt ?? 0) - (a.publishedAt ?? 0))
    .slice(0, limit);
}

/** One announcement; one the viewer may not see answers as if it did not exist. */
export function requireVisibleAnnouncement(look: Pick<GovernanceLookups, 'get'>, viewer: Pick<Actor, 'role'>, id: string): AnnouncementState {
  const a = look.get<AnnouncementState>('announcement', id);
  if (!a || !canSeeAnnouncement(viewer, a)) throw new CunboxError('NOT_FOUND', `no announcement ${id}`);
  return a;
}

/** The op history (who changed what) is for the editors of the tab. */
export function requireHistoryAccess(viewer: Pick<Actor, 'role'>, a: AnnouncementState): void {
  if (!editsTab(viewer, a.category)) forbid('history is for the editors of this tab');
}
