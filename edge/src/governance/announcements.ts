import {
  createAnnouncement,
  publishAnnouncement,
  publishedAnnouncements,
  rejectAnnouncement,
  requireEntity,
  requireHistoryAccess,
  requireVisibleAnnouncement,
  reviewAnnouncement,
  submitAnnouncement,
  updateAnnouncement,
  visibleAnnouncements,
  withdrawAnnouncement,
  type AnnouncementFields,
  type AnnouncementFilter,
  type AnnouncementInput,
  type AnnouncementState,
  type CommandResult,
  type Op,
} from '@cunbox/shared';
import type { Actor, GovContext } from './common.ts';
import { edgeLookups } from './lookups.ts';

/**
 * 三务公开 on the edge: the shared commands decide who writes, reviews and
 * sees what; this reads the op store, calls them and commits what they answer.
 */
export class AnnouncementService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  #commit(r: CommandResult): AnnouncementState {
    this.#ctx.store.commit(r.actor, r.drafts);
    return this.#require(r.entityId);
  }

  create(actor: Actor, input: AnnouncementInput): AnnouncementState {
    return this.#commit(createAnnouncement(actor, input, edgeLookups(this.#ctx)));
  }

  update(actor: Actor, id: string, fields: AnnouncementFields): AnnouncementState {
    return this.#commit(updateAnnouncement(this.#require(id), actor, fields, edgeLookups(this.#ctx)));
  }

  submit(actor: Actor, id: string): AnnouncementState {
    return this.#commit(submitAnnouncement(this.#require(id), actor));
  }

  publish(actor: Actor, id: string, note?: string): AnnouncementState {
    return this.#commit(publishAnnouncement(this.#require(id), actor, { note }));
  }

  reject(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#commit(rejectAnnouncement(this.#require(id), actor, { reason }));
  }

  withdraw(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#commit(withdrawAnnouncement(this.#require(id), actor, { reason }));
  }

  review(actor: Actor, id: string): AnnouncementState {
    return this.#commit(reviewAnnouncement(this.#require(id), actor));
  }

  list(viewer: Actor, filter: AnnouncementFilter = {}): AnnouncementState[] {
    return visibleAnnouncements(this.#ctx.store.list<AnnouncementState>('announcement'), viewer, filter);
  }

  /** Published announcements, newest publication first (what everyone may read: the screen's ticker). */
  published(limit: number): AnnouncementState[] {
    return publishedAnnouncements(this.#ctx.store.list<AnnouncementState>('announcement'), limit);
  }

  get(viewer: Actor, id: string): AnnouncementState {
    return requireVisibleAnnouncement(this.#ctx.store, viewer, id);
  }

  history(viewer: Actor, id: string): Op[] {
    requireHistoryAccess(viewer, this.get(viewer, id));
    return this.#ctx.store.history('announcement', id);
  }

  #require(id: string): AnnouncementState {
    return requireEntity<AnnouncementState>(this.#ctx.store, 'announcement', id, 'announcement');
  }
}
