/**
 * 三务公开: draft → pending_review → published (or rejected), reviewed by
 * someone other than the author who may also write the tab.
 */
import type { OpDraft } from '../../oplog/types.ts';
import { CunboxError } from '../../platform/errors.ts';
import { ANNOUNCEMENT_TRANSITIONS, type AnnouncementCategory, type AnnouncementState } from '../announcement.ts';
import { defined, forbid, invalid, requireEntity, reviewDraft, statusDraft, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';
import { MAX_ATTACHMENTS, editsTab } from './rules.ts';

export interface AnnouncementInput {
  category: AnnouncementCategory;
  title: string;
  body: string;
  attachments?: string[];
}
export type AnnouncementFields = Partial<Pick<AnnouncementInput, 'title' | 'body' | 'attachments'>>;

type Look = GovernanceLookups;

function requireEditor(actor: Actor, category: AnnouncementCategory | null): void {
  if (!editsTab(actor, category)) forbid(`a ${actor.role} cannot write ${category} announcements`);
}

function checkAttachments(ids: readonly string[], look: Look): void {
  if (ids.length > MAX_ATTACHMENTS) invalid(`attachments: at most ${MAX_ATTACHMENTS}`);
  look.requireMedia(ids, 'any');
}

const result = (actor: Actor, a: Pick<AnnouncementState, 'id'>, drafts: OpDraft[]): CommandResult => ({ actor: actor.username, drafts, entityId: a.id });

const load = (look: Look, id: string) => requireEntity<AnnouncementState>(look, 'announcement', id, 'announcement');

/** Four eyes: the reviewer may not be the author, and must be allowed to write the tab. */
function requireReviewer(a: AnnouncementState, actor: Actor): void {
  requireEditor(actor, a.category);
  if (a.createdBy === actor.username) forbid('an announcement is reviewed by someone other than its author');
}

export const announcementCommands = {
  create(look: Look, actor: Actor, input: AnnouncementInput): CommandResult {
    requireEditor(actor, input.category);
    const attachments = input.attachments ?? [];
    checkAttachments(attachments, look);
    const id = look.newId();
    return result(actor, { id }, [{ entityKind: 'announcement', entityId: id, type: 'announcement.created', payload: { category: input.category, title: input.title, body: input.body, attachments } }]);
  },

  /** Drafts and rejected announcements only: a published one is withdrawn first. */
  update(look: Look, actor: Actor, id: string, fields: AnnouncementFields): CommandResult {
    const a = load(look, id);
    requireEditor(actor, a.category);
    if (a.status !== 'draft' && a.status !== 'rejected') throw new CunboxError('INVALID_TRANSITION', `a ${a.status} announcement cannot be edited; withdraw it first`);
    if (fields.attachments) checkAttachments(fields.attachments, look);
    return result(actor, a, [{ entityKind: 'announcement', entityId: a.id, type: 'announcement.updated', payload: { fields: defined(fields) } }]);
  },

  submit(look: Look, actor: Actor, id: string): CommandResult {
    const a = load(look, id);
    requireEditor(actor, a.category);
    // A rejected announcement goes back to draft first: two ops, one transaction.
    const drafts =
      a.status === 'rejected'
        ? [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'draft'), statusDraft({ ...a, status: 'draft' }, ANNOUNCEMENT_TRANSITIONS, 'pending_review')]
        : [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'pending_review')];
    return result(actor, a, drafts);
  },

  publish(look: Look, actor: Actor, id: string, input: { note?: string } = {}): CommandResult {
    const a = load(look, id);
    requireReviewer(a, actor);
    return result(actor, a, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'published', { note: input.note ?? null })]);
  },

  reject(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const a = load(look, id);
    requireReviewer(a, actor);
    return result(actor, a, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'rejected', { note: input.reason })]);
  },

  withdraw(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const a = load(look, id);
    requireEditor(actor, a.category);
    return result(actor, a, [statusDraft(a, ANNOUNCEMENT_TRANSITIONS, 'withdrawn', { note: input.reason })]);
  },

  /** Acknowledges the concurrent changes the merge flagged. */
  review(look: Look, actor: Actor, id: string): CommandResult {
    const a = load(look, id);
    return result(actor, a, [reviewDraft(a)]);
  },
};
