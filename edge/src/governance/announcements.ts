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
import { execute, type Actor, type GovContext } from './common.ts';

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
    return this.#require(execute(this.#ctx, commands.create, actor, input));
  }

  update(actor: Actor, id: string, fields: AnnouncementFields): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.update, actor, id, fields));
  }

  submit(actor: Actor, id: string): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.submit, actor, id));
  }

  publish(actor: Actor, id: string, note?: string): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.publish, actor, id, { note }));
  }

  reject(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.reject, actor, id, { reason }));
  }

  withdraw(actor: Actor, id: string, reason: string): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.withdraw, actor, id, { reason }));
  }

  review(actor: Actor, id: string): AnnouncementState {
    return this.#require(execute(this.#ctx, commands.review, actor, id));
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
