import type { Model } from '../oplog/fold.ts';
import { initState } from '../oplog/fold.ts';
import type { EntityBase } from '../oplog/types.ts';
import { assignFields, f, obj, str } from './read.ts';
import { markCreated, opTime } from './time.ts';
import { applyReview, applyStatus, type Transitions } from './workflow.ts';

/** 三务公开: 党务 (party), 村务 (village), 财务 (finance). */
export const ANNOUNCEMENT_CATEGORIES = ['party', 'village', 'finance'] as const;
export type AnnouncementCategory = (typeof ANNOUNCEMENT_CATEGORIES)[number];
export const ANNOUNCEMENT_CATEGORY_NAMES: Record<AnnouncementCategory, string> = { party: '党务公开', village: '村务公开', finance: '财务公开' };

export const ANNOUNCEMENT_STATUSES = ['draft', 'pending_review', 'published', 'rejected', 'withdrawn'] as const;
export type AnnouncementStatus = (typeof ANNOUNCEMENT_STATUSES)[number];

export const ANNOUNCEMENT_TRANSITIONS: Transitions<AnnouncementStatus> = {
  draft: ['pending_review'],
  pending_review: ['published', 'rejected', 'draft'],
  rejected: ['draft'],
  published: ['withdrawn'],
  withdrawn: ['draft'],
};

export interface AnnouncementState extends EntityBase {
  category: AnnouncementCategory | null;
  title: string;
  body: string;
  /** Media ids (images, PDFs). */
  attachments: string[];
  status: AnnouncementStatus;
  statusNote: string | null;
  reviewer: string | null;
  publishedAt: number | null;
}

const isCategory = (v: unknown): v is AnnouncementCategory => typeof v === 'string' && (ANNOUNCEMENT_CATEGORIES as readonly string[]).includes(v);

export const announcementModel: Model<AnnouncementState> = {
  kind: 'announcement',
  init: (id) =>
    initState('announcement', id, {
      category: null,
      title: '',
      body: '',
      attachments: [],
      status: 'draft',
      statusNote: null,
      reviewer: null,
      publishedAt: null,
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'announcement.created':
      case 'announcement.updated':
        if (op.type === 'announcement.created') markCreated(s, op);
        assignFields(s, op.type === 'announcement.created' ? p : obj(p.fields), {
          category: (v) => (isCategory(v) ? v : undefined),
          title: f.str,
          body: f.str,
          attachments: f.strList,
        });
        break;
      case 'announcement.status':
        if (applyStatus(s, op, ANNOUNCEMENT_TRANSITIONS)) {
          s.statusNote = str(p.note);
          if (s.status === 'published' || s.status === 'rejected') s.reviewer = op.actor;
          if (s.status === 'published') s.publishedAt = opTime(op);
        }
        break;
      case 'announcement.reviewed':
        applyReview(s, op);
        break;
    }
    return s;
  },
};
