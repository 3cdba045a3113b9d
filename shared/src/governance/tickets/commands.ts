/**
 * 随手拍 tickets: every decision of the dispatch workflow (who may, which
 * transition, which SLA a ticket carries), as commands the edge's
 * TicketService and the cloud's phone routes both run.
 */
import type { OpDraft } from '../../oplog/types.ts';
import { GRID_KEEPERS, TICKET_DISPATCHERS, TICKET_WORKERS } from '../../auth/permissions.ts';
import { DEFAULT_TICKET_CATEGORIES, type TicketCategory } from '../config.ts';
import { checkAttributes, isServiceAttributes, type ServiceAttribute } from '../service-attributes.ts';
import { TICKET_MAX_PHOTOS, TICKET_TRANSITIONS, type TicketState } from '../ticket.ts';
import { defined, forbid, invalid, mayBeNamed, requireAccount, requireEntity, reviewDraft, statusDraft, type AccountFacts, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';

/** The longest stretch of footage one link may hold (evidence holds are expensive: they pin the ring buffer). */
const TICKET_MAX_FOOTAGE_MS = 24 * 3600_000;

/** The accounts a dispatcher may hand a ticket to (the ones `assign` accepts), in the order given. */
export function ticketAssignees<A extends AccountFacts>(accounts: readonly A[]): A[] {
  return accounts.filter((u) => mayBeNamed(u, TICKET_WORKERS));
}

export interface NewTicket {
  category: string;
  description: string;
  place?: string | null;
  lat?: number | null;
  lng?: number | null;
  photos?: string[];
  anonymous?: boolean;
  /** Answers to the category's extra questions, keyed by attribute code. */
  attributes?: Record<string, unknown>;
}

export interface TicketCategoryFields {
  name?: string;
  slaMinutes?: number;
  active?: boolean;
  attributes?: ServiceAttribute[];
}

export interface TicketCorrection {
  description?: string;
  place?: string | null;
  category?: string;
}

export interface FootageRequest {
  cameraId: number;
  startMs: number;
  endMs: number;
}

type Look = GovernanceLookups;

/** Every category: the built-in ones and those added, by code. */
export function ticketCategories(look: Pick<Look, 'list' | 'getOrInit'>): TicketCategory[] {
  const codes = new Set([...Object.keys(DEFAULT_TICKET_CATEGORIES), ...look.list<TicketCategory>('ticket_category').map((c) => c.id)]);
  return [...codes].sort().map((code) => look.getOrInit<TicketCategory>('ticket_category', code));
}

export function ticketCategory(look: Pick<Look, 'getOrInit'>, code: string): TicketCategory | undefined {
  const c = look.getOrInit<TicketCategory>('ticket_category', code);
  return c.exists ? c : undefined;
}

function activeCategory(look: Look, code: string): TicketCategory {
  const c = ticketCategory(look, code);
  if (!c || !c.active) invalid(`category: no active category ${code}`);
  return c;
}

const isReporter = (actor: Actor, t: TicketState) => t.reporter !== null && t.reporter === actor.username;
const ticket = (look: Look, id: string) => requireEntity<TicketState>(look, 'ticket', id, 'ticket');
const one = (actor: Actor, draft: OpDraft): CommandResult => ({ actor: actor.username, drafts: [draft], entityId: draft.entityId });

/** Grid workers work only tickets assigned to them (dispatchers work any). */
function requireWorker(actor: Actor, t: TicketState): void {
  if (GRID_KEEPERS.has(actor.role) && t.assignee !== actor.username) forbid('this ticket is assigned to someone else');
}

function requireReporterOrDispatcher(actor: Actor, t: TicketState, what: string): void {
  if (!isReporter(actor, t) && !TICKET_DISPATCHERS.has(actor.role)) forbid(`only the reporter or a dispatcher can ${what} this ticket`);
}

export const ticketCommands = {
  setCategory(look: Look, actor: Actor, code: string, fields: TicketCategoryFields): CommandResult {
    if (!ticketCategory(look, code) && (fields.name === undefined || fields.slaMinutes === undefined)) invalid('a new category needs a name and slaMinutes');
    if (fields.attributes !== undefined && !isServiceAttributes(fields.attributes)) {
      invalid('attributes: codes unique (letters, digits, _), each with a description; list datatypes with distinct choices, other datatypes without');
    }
    return one(actor, { entityKind: 'ticket_category', entityId: code, type: 'ticket_category.set', payload: { fields: defined({ ...fields }) } });
  },

  create(look: Look, actor: Actor, input: NewTicket): CommandResult {
    const category = activeCategory(look, input.category);
    const photos = input.photos ?? [];
    if (photos.length > TICKET_MAX_PHOTOS) invalid(`photos: at most ${TICKET_MAX_PHOTOS}`);
    look.requireMedia(photos, 'image');
    if ((input.lat == null) !== (input.lng == null)) invalid('lat and lng go together');
    if (input.lat == null && !input.place) invalid('a location is needed: lat/lng or a place name');
    const answers = checkAttributes(category.attributes, input.attributes ?? {});
    if (answers.errors.length > 0) invalid(answers.errors.join('; '), answers.errors);
    const anonymous = input.anonymous ?? false;
    // Anonymous really is anonymous: the reporter's name is in neither the state nor the op.
    const reporter = anonymous ? null : actor.username;
    const draft: OpDraft = {
      entityKind: 'ticket',
      entityId: look.newId(),
      type: 'ticket.created',
      payload: {
        category: category.id,
        categoryName: category.name,
        slaMinutes: category.slaMinutes,
        description: input.description,
        place: input.place ?? null,
        lat: input.lat ?? null,
        lng: input.lng ?? null,
        photos,
        attributes: answers.values,
        anonymous,
        reporter,
      },
    };
    return { actor: reporter ?? 'anonymous', drafts: [draft], entityId: draft.entityId };
  },

  /** Dispatch (or re-dispatch) to an enabled account that works tickets. */
  assign(look: Look, actor: Actor, id: string, input: { assignee: string; note?: string }): CommandResult {
    const t = ticket(look, id);
    requireAccount(look, input.assignee, TICKET_WORKERS, 'assignee');
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'assigned', { assignee: input.assignee, note: input.note ?? null }));
  },

  /** Work starts (stops the response SLA). */
  start(look: Look, actor: Actor, id: string, input: { note?: string } = {}): CommandResult {
    const t = ticket(look, id);
    requireWorker(actor, t);
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'in_progress', { note: input.note ?? null }));
  },

  resolve(look: Look, actor: Actor, id: string, input: { note: string }): CommandResult {
    const t = ticket(look, id);
    requireWorker(actor, t);
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'resolved', { note: input.note }));
  },

  reject(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    return one(actor, statusDraft(ticket(look, id), TICKET_TRANSITIONS, 'rejected', { note: input.reason }));
  },

  markDuplicate(look: Look, actor: Actor, id: string, input: { duplicateOf: string; note?: string }): CommandResult {
    const t = ticket(look, id);
    if (input.duplicateOf === id) invalid('a ticket cannot duplicate itself');
    ticket(look, input.duplicateOf);
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'duplicate', { duplicateOf: input.duplicateOf, note: input.note ?? null }));
  },

  /** The reporter confirms the fix (resolved → closed); dispatchers may close too. */
  close(look: Look, actor: Actor, id: string, input: { note?: string } = {}): CommandResult {
    const t = ticket(look, id);
    requireReporterOrDispatcher(actor, t, 'close');
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'closed', { note: input.note ?? null }));
  },

  /** The reporter is not satisfied (or a dispatcher reopens): the SLA starts again. */
  reopen(look: Look, actor: Actor, id: string, input: { reason: string }): CommandResult {
    const t = ticket(look, id);
    requireReporterOrDispatcher(actor, t, 'reopen');
    return one(actor, statusDraft(t, TICKET_TRANSITIONS, 'reopened', { note: input.reason }));
  },

  /** A dispatcher corrects the text or the category (which brings the category's SLA). */
  update(look: Look, actor: Actor, id: string, fields: TicketCorrection): CommandResult {
    const t = ticket(look, id);
    const out: Record<string, unknown> = defined({ description: fields.description, place: fields.place });
    if (fields.category !== undefined && fields.category !== t.category) {
      const c = activeCategory(look, fields.category);
      Object.assign(out, { category: c.id, categoryName: c.name, slaMinutes: c.slaMinutes });
    }
    return one(actor, { entityKind: 'ticket', entityId: t.id, type: 'ticket.updated', payload: { fields: out } });
  },

  comment(look: Look, actor: Actor, id: string, input: { text: string }): CommandResult {
    ticket(look, id);
    return one(actor, { entityKind: 'ticket', entityId: id, type: 'ticket.comment', payload: { commentId: look.newId(), text: input.text } });
  },

  /** The reporter, the assignee or a dispatcher; photos are uploaded first. */
  addPhotos(look: Look, actor: Actor, id: string, input: { photos: string[] }): CommandResult {
    const t = ticket(look, id);
    if (!isReporter(actor, t) && !TICKET_DISPATCHERS.has(actor.role) && t.assignee !== actor.username) forbid('only the reporter, the assignee or a dispatcher can add photos');
    if (t.photos.length + input.photos.length > TICKET_MAX_PHOTOS) invalid(`photos: at most ${TICKET_MAX_PHOTOS}`);
    look.requireMedia(input.photos, 'image');
    return one(actor, { entityKind: 'ticket', entityId: id, type: 'ticket.photo', payload: { photos: input.photos } });
  },

  /** Links camera footage (the edge's materialise hook puts an evidence hold on it); `cameraExists`: only the edge knows its cameras. */
  linkFootage(look: Look, actor: Actor, id: string, link: FootageRequest, cameraExists: (id: number) => boolean): CommandResult {
    ticket(look, id);
    if (!cameraExists(link.cameraId)) invalid(`cameraId: no camera ${link.cameraId}`);
    if (!(link.endMs > link.startMs)) invalid('footage: the end must be after the start');
    if (link.endMs - link.startMs > TICKET_MAX_FOOTAGE_MS) invalid('footage: at most 24 hours per link');
    return one(actor, { entityKind: 'ticket', entityId: id, type: 'ticket.footage', payload: { linkId: look.newId(), cameraId: link.cameraId, startMs: link.startMs, endMs: link.endMs } });
  },

  review(look: Look, actor: Actor, id: string): CommandResult {
    return one(actor, reviewDraft(ticket(look, id)));
  },
};
