/** 三务公开 on the phone: read-only, through the shared views (who sees which tab's drafts). */
import { ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATUSES, requireVisibleAnnouncement, visibleAnnouncements, type AnnouncementCategory, type AnnouncementState } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { ID, LIMIT, obj, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

/** Every phone route module takes the context; these reads need nothing from it. */
export function announcementRoutes(router: PhoneRouter, _ctx: PhoneContext): void {
  router.route<unknown, { category?: AnnouncementCategory; status?: string; limit?: number }>({
    method: 'GET',
    url: '/announcements',
    summary: 'Published announcements; editors also see drafts of their tabs',
    reply: replies.many('announcements', 'Announcement'),
    access: 'announcements.read',
    query: obj({ category: { enum: [...ANNOUNCEMENT_CATEGORIES] }, status: { enum: [...ANNOUNCEMENT_STATUSES] }, limit: LIMIT }),
    handler: async ({ user, query: q }, v) => ({
      announcements: visibleAnnouncements(await v.list<AnnouncementState>('announcement'), user, q).slice(0, q.limit ?? 100),
    }),
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/announcements/:id',
    summary: 'One announcement',
    reply: replies.one('announcement', 'Announcement'),
    access: 'announcements.read',
    params: { id: ID },
    handler: async ({ user, params }, v) => ({ announcement: await v.read((look) => requireVisibleAnnouncement(look, user, params.id)) }),
  });
}
