import { ANNOUNCEMENT_TRANSITIONS, type AnnouncementCategory, type AnnouncementState, type Op } from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { defined, forbid, newEntityId, requireEntity, reviewDraft, statusDraft, type Actor, type GovContext } from './common.ts';

/** Who writes which tab of 三务公开. */
const AUTHORS: Record<AnnouncementCategory, readonly string[]> = {
  party: ['admin', 'party_secretary'],
  village: ['admin', 'cadre'],
  finance: ['admin', 'cadre'],
};
export const MAX_ATTACHMENTS = 20;

/** 三务公开: draft → pending_review → published (or rejected), reviewed by someone other than the author. */
export class AnnouncementService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  create(actor: Actor, input: { category: AnnouncementCategory; title: string; body: string; attachments?: string[] }): AnnouncementState {
    this.#requireAuthor(actor, input.category);
    const attachments = input.attachments ?? [];
    this.#checkAttachments(attachments);
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'announcement', entityId: id, type: 'announcement.created', payload: { category: input.category, title: input.title, body: input.body, attachments } }]);
    return this.#require(id);
  }

  update(actor: Actor, id: string, fields: { title?: string; body?: string; attachments?: string[] }): AnnouncementState {
    const a = this.#require(id);
    this.#requireAuthor(actor, a.category!);
    if (a.status !== 'draft' && a.status !== 'rejected') throw new CunboxError('INVALID_TRANSITION', `a ${a.status} announcement cannot be edited; withdraw it first`);
    if (fields.attachments) this.#checkAttachments(fields.attachments);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'announcement', entityId: id, type: 'announcement.updated', payload: { fields: defined(fields) } }]);
    return this.#require(id);
  }

  submit(actor: Actor, id: string): AnnouncementState {
    const a = this.#require(id);
    this.#requireAuthor(actor, a.category!);
    // A rejected announcement goes back to draft first: two ops, one transaction.
    const drafts = a.status === 'rejected' ? [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'draft'), statusDraft({ ...a, status: 'draft' }, ANNOUNCEMENT_TRANSITIONS, 'pending_review')] : [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'pending_review')];
    this.#ctx.store.commit(actor.username, drafts);
    return this.#require(id);
  }

  /** Four eyes: the reviewer may not be the author, and must be allowed to write the tab. */
  publish(actor: Actor, id: string, note?: string): AnnouncementState {
    const a = this.#requireReviewable(actor, id);
    this.#ctx.store.commit(actor.username, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'published', { note: note ?? null })]);
    return this.#require(id);
  }

  reject(actor: Actor, id: string, reason: string): AnnouncementState {
    const a = this.#requireReviewable(actor, id);
    this.#ctx.store.commit(actor.username, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'rejected', { note: reason })]);
    return this.#require(id);
  }

  withdraw(actor: Actor, id: string, reason: string): AnnouncementState {
    const a = this.#require(id);
    this.#requireAuthor(actor, a.category!);
    this.#ctx.store.commit(actor.username, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'withdrawn', { note: reason })]);
    return this.#require(id);
  }

  review(actor: Actor, id: string): AnnouncementState {
    this.#ctx.store.commit(actor.username, [reviewDraft(this.#require(id))]);
    return this.#require(id);
  }

  /** Published announcements for everyone; drafts and reviews only for those who may write the tab. */
  list(viewer: Actor, filter: { category?: AnnouncementCategory; status?: string } = {}): AnnouncementState[] {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (filter.category) {
      conds.push("json_extract(state, '$.category') = ?");
      params.push(filter.category);
    }
    if (filter.status) {
      conds.push("json_extract(state, '$.status') = ?");
      params.push(filter.status);
    }
    return this.#ctx.store.list<AnnouncementState>('announcement', { filter: conds.join(' AND ') || undefined, params }).filter((a) => this.#canSee(viewer, a));
  }

  /** Published announcements, newest publication first (what everyone may read: the screen's ticker). */
  published(limit: number): AnnouncementState[] {
    return this.#ctx.store
      .list<AnnouncementState>('announcement', { filter: "json_extract(state, '$.status') = 'published'" })
      .sort((a, b) => (b.publishedAt ?? 0) - (a.publishedAt ?? 0))
      .slice(0, limit);
  }

  get(viewer: Actor, id: string): AnnouncementState {
    const a = this.#require(id);
    if (!this.#canSee(viewer, a)) throw new CunboxError('NOT_FOUND', `no announcement ${id}`);
    return a;
  }

  history(viewer: Actor, id: string): Op[] {
    const a = this.get(viewer, id);
    if (!this.#isAuthorRole(viewer, a.category!)) forbid('history is for the editors of this tab');
    return this.#ctx.store.history('announcement', id);
  }

  #canSee(viewer: Actor, a: AnnouncementState): boolean {
    return a.status === 'published' || (a.category !== null && this.#isAuthorRole(viewer, a.category));
  }

  #isAuthorRole(actor: Actor, category: AnnouncementCategory): boolean {
    return AUTHORS[category].includes(actor.role);
  }

  #requireAuthor(actor: Actor, category: AnnouncementCategory): void {
    if (!this.#isAuthorRole(actor, category)) forbid(`a ${actor.role} cannot write ${category} announcements`);
  }

  #requireReviewable(actor: Actor, id: string): AnnouncementState {
    const a = this.#require(id);
    this.#requireAuthor(actor, a.category!);
    if (a.createdBy === actor.username) forbid('an announcement is reviewed by someone other than its author');
    return a;
  }

  #checkAttachments(ids: string[]): void {
    if (ids.length > MAX_ATTACHMENTS) throw new CunboxError('INVALID_INPUT', `attachments: at most ${MAX_ATTACHMENTS}`);
    this.#ctx.media.requireAll(ids);
  }

  #require(id: string): AnnouncementState {
    return requireEntity<AnnouncementState>(this.#ctx, 'announcement', id, 'announcement');
  }
}
