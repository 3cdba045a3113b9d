/** 三务公开 on the phone: read-only. Published for everyone; drafts and reviews only for those who write the tab (as the edge). */
import { ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATUSES, type AnnouncementCategory, type AnnouncementState } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { PhoneRouter } from './router.ts';
import { ID, LIMIT, obj, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

/** Who writes which tab (the edge's AnnouncementService AUTHORS). */
const AUTHORS: Record<AnnouncementCategory, readonly string[]> = {
  party: ['admin', 'party_secretary'],
  village: ['admin', 'cadre'],
  finance: ['admin', 'cadre'],
};

export function announcementRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const canSee = (u: VillageUser, a: AnnouncementState) => a.status === 'published' || (a.category !== null && AUTHORS[a.category].includes(u.role));

  router.route<unknown, { category?: AnnouncementCategory; status?: string; limit?: number }>({
    method: 'GET',
    url: '/announcements',
    summary: 'Published announcements; editors also see drafts of their tabs',
    reply: replies.many('announcements', 'Announcement'),
    access: 'announcements.read',
    query: obj({ category: { enum: [...ANNOUNCEMENT_CATEGORIES] }, status: { enum: [...ANNOUNCEMENT_STATUSES] }, limit: LIMIT }),
    handler: async ({ user, query: q }, v) => ({
      announcements: v
        .list<AnnouncementState>('announcement')
        .filter((a) => (!q.category || a.category === q.category) && (!q.status || a.status === q.status) && canSee(user, a))
        .slice(0, q.limit ?? 100),
    }),
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/announcements/:id',
    summary: 'One announcement',
    reply: replies.one('announcement', 'Announcement'),
    access: 'announcements.read',
    params: { id: ID },
    handler: async ({ user, params }, v) => {
      const a = v.require<AnnouncementState>('announcement', params.id, 'announcement');
      if (!canSee(user, a)) throw ctx.fail('NOT_FOUND', `no announcement ${params.id}`);
      return { announcement: a };
    },
  });
}
