import {
  DEFAULT_TICKET_CATEGORIES,
  TICKET_MAX_PHOTOS,
  TICKET_TRANSITIONS,
  checkAttributes,
  isServiceAttributes,
  dueEscalationLevel,
  isBreached,
  newId,
  type EntityBase,
  type Op,
  type ServiceAttribute,
  type TicketCategory,
  type TicketState,
  type TicketStatus,
} from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { HoldStore } from '../storage/holds.ts';
import { CunboxError } from '../errors.ts';
import { defined, forbid, newEntityId, requireEntity, requireUser, reviewDraft, statusDraft, type Actor, type GovContext } from './common.ts';

/** Who may be dispatched to a ticket. */
export const TICKET_WORKER_ROLES = ['grid_worker', 'cadre', 'admin'] as const;
const DISPATCHERS = new Set(['admin', 'cadre']);
export const MAX_PHOTOS = TICKET_MAX_PHOTOS;
/** The longest stretch of footage one link may hold (evidence holds are expensive: they pin the ring buffer). */
export const MAX_FOOTAGE_MS = 24 * 3600_000;

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

export interface TicketFilter {
  status?: TicketStatus;
  category?: string;
  assignee?: string;
  reporter?: string;
  breached?: boolean;
  needsReview?: boolean;
  since?: number;
  until?: number;
  limit?: number;
}

/** 随手拍 tickets: the village committee's dispatch workflow on the op log. */
export class TicketService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  categories(): TicketCategory[] {
    const stored = this.#ctx.store.list<TicketCategory>('ticket_category');
    const codes = new Set([...Object.keys(DEFAULT_TICKET_CATEGORIES), ...stored.map((c) => c.id)]);
    return [...codes].sort().map((code) => this.#ctx.store.getOrInit<TicketCategory>('ticket_category', code));
  }

  category(code: string): TicketCategory | undefined {
    const c = this.#ctx.store.getOrInit<TicketCategory>('ticket_category', code);
    return c.exists ? c : undefined;
  }

  setCategory(actor: Actor, code: string, fields: { name?: string; slaMinutes?: number; active?: boolean; attributes?: ServiceAttribute[] }): TicketCategory {
    const existing = this.category(code);
    if (!existing && (fields.name === undefined || fields.slaMinutes === undefined)) throw new CunboxError('INVALID_INPUT', 'a new category needs a name and slaMinutes');
    if (fields.attributes !== undefined && !isServiceAttributes(fields.attributes)) {
      throw new CunboxError('INVALID_INPUT', 'attributes: codes unique (letters, digits, _), each with a description; list datatypes with distinct choices, other datatypes without');
    }
    this.#ctx.store.commit(actor.username, [{ entityKind: 'ticket_category', entityId: code, type: 'ticket_category.set', payload: { fields: defined(fields) } }]);
    return this.category(code)!;
  }

  create(actor: Actor, input: NewTicket): TicketState {
    const category = this.category(input.category);
    if (!category || !category.active) throw new CunboxError('INVALID_INPUT', `category: no active category ${input.category}`);
    const photos = input.photos ?? [];
    if (photos.length > MAX_PHOTOS) throw new CunboxError('INVALID_INPUT', `photos: at most ${MAX_PHOTOS}`);
    this.#ctx.media.requireAll(photos, 'image');
    if ((input.lat == null) !== (input.lng == null)) throw new CunboxError('INVALID_INPUT', 'lat and lng go together');
    if (input.lat == null && !input.place) throw new CunboxError('INVALID_INPUT', 'a location is needed: lat/lng or a place name');
    const answers = checkAttributes(category.attributes, input.attributes ?? {});
    if (answers.errors.length > 0) throw new CunboxError('INVALID_INPUT', answers.errors.join('; '), answers.errors);
    const id = newEntityId(this.#ctx);
    const anonymous = input.anonymous ?? false;
    // Anonymous really is anonymous: the reporter's name is in neither the state nor the op.
    this.#ctx.store.commit(anonymous ? 'anonymous' : actor.username, [
      {
        entityKind: 'ticket',
        entityId: id,
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
          reporter: anonymous ? null : actor.username,
        },
      },
    ]);
    return this.get(id);
  }

  get(id: string): TicketState {
    return requireEntity<TicketState>(this.#ctx, 'ticket', id, 'ticket');
  }

  list(filter: TicketFilter = {}): TicketState[] {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      conds.push("json_extract(state, '$.status') = ?");
      params.push(filter.status);
    }
    if (filter.category) {
      conds.push("json_extract(state, '$.category') = ?");
      params.push(filter.category);
    }
    if (filter.assignee) {
      conds.push("json_extract(state, '$.assignee') = ?");
      params.push(filter.assignee);
    }
    if (filter.reporter) {
      conds.push("json_extract(state, '$.reporter') = ?");
      params.push(filter.reporter);
    }
    if (filter.since !== undefined) {
      conds.push('created_at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      conds.push('created_at <= ?');
      params.push(filter.until);
    }
    if (filter.needsReview !== undefined) {
      conds.push("json_extract(state, '$.needsReview') = ?");
      params.push(filter.needsReview ? 1 : 0);
    }
    let rows = this.#ctx.store.list<TicketState>('ticket', { filter: conds.join(' AND ') || undefined, params, limit: filter.breached === undefined ? filter.limit : undefined });
    if (filter.breached !== undefined) {
      const now = this.#ctx.clock.now();
      rows = rows.filter((t) => isBreached(t, now) === filter.breached).slice(0, filter.limit ?? rows.length);
    }
    return rows;
  }

  history(id: string): Op[] {
    this.get(id);
    return this.#ctx.store.history('ticket', id);
  }

  assign(actor: Actor, id: string, assignee: string, note?: string): TicketState {
    const t = this.get(id);
    requireUser(this.#ctx, assignee, TICKET_WORKER_ROLES, 'assignee');
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'assigned', { assignee, note: note ?? null })]);
    return this.get(id);
  }

  /** Work starts (stops the response SLA). Grid workers only on tickets assigned to them. */
  start(actor: Actor, id: string, note?: string): TicketState {
    const t = this.get(id);
    this.#requireWorker(actor, t);
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'in_progress', { note: note ?? null })]);
    return this.get(id);
  }

  resolve(actor: Actor, id: string, note: string): TicketState {
    const t = this.get(id);
    this.#requireWorker(actor, t);
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'resolved', { note })]);
    return this.get(id);
  }

  reject(actor: Actor, id: string, note: string): TicketState {
    const t = this.get(id);
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'rejected', { note })]);
    return this.get(id);
  }

  markDuplicate(actor: Actor, id: string, duplicateOf: string, note?: string): TicketState {
    const t = this.get(id);
    if (duplicateOf === id) throw new CunboxError('INVALID_INPUT', 'a ticket cannot duplicate itself');
    this.get(duplicateOf);
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'duplicate', { duplicateOf, note: note ?? null })]);
    return this.get(id);
  }

  /** The reporter confirms the fix (resolved → closed); dispatchers may close too. */
  close(actor: Actor, id: string, note?: string): TicketState {
    const t = this.get(id);
    if (!this.#isReporter(actor, t) && !DISPATCHERS.has(actor.role)) forbid('only the reporter or a dispatcher can close this ticket');
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'closed', { note: note ?? null })]);
    return this.get(id);
  }

  /** The reporter is not satisfied (or a dispatcher reopens): the SLA starts again. */
  reopen(actor: Actor, id: string, reason: string): TicketState {
    const t = this.get(id);
    if (!this.#isReporter(actor, t) && !DISPATCHERS.has(actor.role)) forbid('only the reporter or a dispatcher can reopen this ticket');
    this.#ctx.store.commit(actor.username, [statusDraft(t, TICKET_TRANSITIONS, 'reopened', { note: reason })]);
    return this.get(id);
  }

  update(actor: Actor, id: string, fields: { description?: string; place?: string | null; category?: string }): TicketState {
    const t = this.get(id);
    const out: Record<string, unknown> = defined({ description: fields.description, place: fields.place });
    if (fields.category !== undefined && fields.category !== t.category) {
      const c = this.category(fields.category);
      if (!c || !c.active) throw new CunboxError('INVALID_INPUT', `category: no active category ${fields.category}`);
      Object.assign(out, { category: c.id, categoryName: c.name, slaMinutes: c.slaMinutes });
    }
    this.#ctx.store.commit(actor.username, [{ entityKind: 'ticket', entityId: t.id, type: 'ticket.updated', payload: { fields: out } }]);
    return this.get(id);
  }

  comment(actor: Actor, id: string, text: string): TicketState {
    this.get(id);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'ticket', entityId: id, type: 'ticket.comment', payload: { commentId: newId(this.#ctx.clock.now()), text } }]);
    return this.get(id);
  }

  addPhotos(actor: Actor, id: string, photos: string[]): TicketState {
    const t = this.get(id);
    if (!this.#isReporter(actor, t) && !DISPATCHERS.has(actor.role) && t.assignee !== actor.username) forbid('only the reporter, the assignee or a dispatcher can add photos');
    if (t.photos.length + photos.length > MAX_PHOTOS) throw new CunboxError('INVALID_INPUT', `photos: at most ${MAX_PHOTOS}`);
    this.#ctx.media.requireAll(photos, 'image');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'ticket', entityId: id, type: 'ticket.photo', payload: { photos } }]);
    return this.get(id);
  }

  /** Links camera footage to the ticket; the materialise hook puts an evidence hold on it. */
  linkFootage(actor: Actor, id: string, link: { cameraId: number; startMs: number; endMs: number }, cameraExists: (id: number) => boolean): TicketState {
    this.get(id);
    if (!cameraExists(link.cameraId)) throw new CunboxError('INVALID_INPUT', `cameraId: no camera ${link.cameraId}`);
    if (!(link.endMs > link.startMs)) throw new CunboxError('INVALID_INPUT', 'footage: the end must be after the start');
    if (link.endMs - link.startMs > MAX_FOOTAGE_MS) throw new CunboxError('INVALID_INPUT', 'footage: at most 24 hours per link');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'ticket', entityId: id, type: 'ticket.footage', payload: { linkId: newId(this.#ctx.clock.now()), ...link } }]);
    return this.get(id);
  }

  review(actor: Actor, id: string): TicketState {
    this.#ctx.store.commit(actor.username, [reviewDraft(this.get(id))]);
    return this.get(id);
  }

  #isReporter(actor: Actor, t: TicketState): boolean {
    return t.reporter !== null && t.reporter === actor.username;
  }

  #requireWorker(actor: Actor, t: TicketState): void {
    if (actor.role === 'grid_worker' && t.assignee !== actor.username) forbid('this ticket is assigned to someone else');
  }
}

/**
 * Keeps one evidence hold per footage link of a ticket, whichever node made
 * the link (a link made on a phone arrives through the cloud).
 */
export function footageHoldHook(db: Db, holds: HoldStore): (state: EntityBase) => void {
  const has = db.prepare('SELECT 1 FROM gov_footage_holds WHERE link_id = ?');
  const put = db.prepare('INSERT INTO gov_footage_holds (link_id, ticket_id, hold_id) VALUES (?, ?, ?)');
  return (state) => {
    const t = state as TicketState;
    for (const link of t.footage ?? []) {
      if (has.get(link.id)) continue;
      const hold = holds.add({ cameraId: link.cameraId, startMs: link.startMs, endMs: link.endMs, reason: `ticket ${t.id}`, createdBy: link.by });
      put.run(link.id, t.id, hold.id);
    }
  };
}

export interface EscalationEvent {
  ticketId: string;
  level: number;
  category: string | null;
  deadline: number;
}

/**
 * Watches response SLAs: once a ticket passes its deadline without anyone
 * working on it, records escalation level 1 (`ticket.escalated`, by 'system');
 * at twice the SLA, level 2. Each level is a fact with an id made of the
 * reopen round and the level, so edge and cloud both escalating make one fact.
 */
export class SlaMonitor {
  readonly #ctx: GovContext;
  readonly #intervalMs: number;
  readonly #onEscalation: (e: EscalationEvent) => void;
  #timer: unknown;

  constructor(ctx: GovContext, opts: { intervalMs?: number; onEscalation?: (e: EscalationEvent) => void } = {}) {
    this.#ctx = ctx;
    this.#intervalMs = opts.intervalMs ?? 60_000;
    this.#onEscalation = opts.onEscalation ?? (() => {});
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#ctx.clock.setInterval(() => {
      try {
        this.checkOnce();
      } catch (err) {
        this.#ctx.log.error({ err }, 'SLA check failed');
      }
    }, this.#intervalMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#ctx.clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  checkOnce(): EscalationEvent[] {
    const now = this.#ctx.clock.now();
    const events: EscalationEvent[] = [];
    const open = this.#ctx.store.list<TicketState>('ticket', { filter: "json_extract(state, '$.slaStoppedAt') IS NULL" });
    for (const t of open) {
      const due = dueEscalationLevel(t, now);
      for (let level = 1; level <= due; level++) {
        if (t.escalations.some((e) => e.id === `${t.reopenCount}:${level}`)) continue;
        this.#ctx.store.commit('system', [{ entityKind: 'ticket', entityId: t.id, type: 'ticket.escalated', payload: { level, round: t.reopenCount } }]);
        const e = { ticketId: t.id, level, category: t.category, deadline: t.deadline! };
        events.push(e);
        this.#ctx.log.warn(e, 'ticket SLA breached: escalated');
        this.#onEscalation(e);
      }
    }
    return events;
  }
}
