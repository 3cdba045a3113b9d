import {
  announcementCommands as commands,
  publishedAnnouncements,
  requireEntity,
  requireHistoryAccess,
  requireVisibleAnnouncement,
  visibleAnnouncements,
  type AnnouncementFields,
  type AnnouncementFilter,
  type AnnouncementInput,
  type AnnouncementState,
  type Op,
} from '@cunbox/shared';
import type { Actor, GovContext } from './common.ts';
import { run } from './lookups.ts';

/**
 * 三务公开 on the edge: the shared commands decide who writes, reviews and
 * sees what; this reads the op store, calls them and commits what they answer.
 */
export class AnnouncementService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  create(actor: Actor, input: AnnouncementInput): AnnouncementState {
    return this.#require(run(this.#ctx, commands.create, actor, input).entityId);
  }

  update(actor: Actor, id: string, fields: AnnouncementFields): AnnouncementState {
    return this.#require(run(this.#ctx, commands.update, actor, id, fields).entityId);
  }

  submit(actor: Actor, id: string): AnnouncementState {
    return this.#require(run(this.#ctx, commands.submit, actor, id).entityId);
  }

  publish(actor: Actor, id: string, note?: string): AnnouncementState {
    return this.#require(run(this.#ctx, commands.publish, actor, id, { note }).entityId);
  }

  reject(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#require(run(this.#ctx, commands.reject, actor, id, { reason }).entityId);
  }

  withdraw(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#require(run(this.#ctx, commands.withdraw, actor, id, { reason }).entityId);
  }

  review(actor: Actor, id: string): AnnouncementState {
    return this.#require(run(this.#ctx, commands.review, actor, id).entityId);
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
