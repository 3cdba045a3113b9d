import {
  TICKET_MAX_PHOTOS,
  dueEscalationLevel,
  isBreached,
  ticketCategories,
  ticketCategory,
  ticketCommands as cmd,
  type EntityBase,
  type NewTicket,
  type Op,
  type TicketCategory,
  type TicketCategoryFields,
  type TicketState,
  type TicketStatus,
} from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { HoldStore } from '../storage/holds.ts';
import { execute, lookupsOf, requireEntity, type Actor, type GovContext } from './common.ts';

export const MAX_PHOTOS = TICKET_MAX_PHOTOS;
export type { NewTicket };

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

/** 随手拍 tickets on the op log: the shared ticket commands over the edge's store. */
export class TicketService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  categories(): TicketCategory[] {
    return ticketCategories(lookupsOf(this.#ctx));
  }

  category(code: string): TicketCategory | undefined {
    return ticketCategory(lookupsOf(this.#ctx), code);
  }

  setCategory(actor: Actor, code: string, fields: TicketCategoryFields): TicketCategory {
    execute(this.#ctx, cmd.setCategory, actor, code, fields);
    return this.category(code)!;
  }

  create(actor: Actor, input: NewTicket): TicketState {
    return this.get(execute(this.#ctx, cmd.create, actor, input));
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
    return this.get(execute(this.#ctx, cmd.assign, actor, id, { assignee, note }));
  }

  /** Work starts (stops the response SLA). Grid workers only on tickets assigned to them. */
  start(actor: Actor, id: string, note?: string): TicketState {
    return this.get(execute(this.#ctx, cmd.start, actor, id, { note }));
  }

  resolve(actor: Actor, id: string, note: string): TicketState {
    return this.get(execute(this.#ctx, cmd.resolve, actor, id, { note }));
  }

  reject(actor: Actor, id: string, note: string): TicketState {
    return this.get(execute(this.#ctx, cmd.reject, actor, id, { reason: note }));
  }

  markDuplicate(actor: Actor, id: string, duplicateOf: string, note?: string): TicketState {
    return this.get(execute(this.#ctx, cmd.markDuplicate, actor, id, { duplicateOf, note }));
  }

  /** The reporter confirms the fix (resolved → closed); dispatchers may close too. */
  close(actor: Actor, id: string, note?: string): TicketState {
    return this.get(execute(this.#ctx, cmd.close, actor, id, { note }));
  }

  /** The reporter is not satisfied (or a dispatcher reopens): the SLA starts again. */
  reopen(actor: Actor, id: string, reason: string): TicketState {
    return this.get(execute(this.#ctx, cmd.reopen, actor, id, { reason }));
  }

  update(actor: Actor, id: string, fields: { description?: string; place?: string | null; category?: string }): TicketState {
    return this.get(execute(this.#ctx, cmd.update, actor, id, fields));
  }

  comment(actor: Actor, id: string, text: string): TicketState {
    return this.get(execute(this.#ctx, cmd.comment, actor, id, { text }));
  }

  addPhotos(actor: Actor, id: string, photos: string[]): TicketState {
    return this.get(execute(this.#ctx, cmd.addPhotos, actor, id, { photos }));
  }

  /** Links camera footage to the ticket; the materialise hook puts an evidence hold on it. */
  linkFootage(actor: Actor, id: string, link: { cameraId: number; startMs: number; endMs: number }, cameraExists: (id: number) => boolean): TicketState {
    return this.get(execute(this.#ctx, cmd.linkFootage, actor, id, link, cameraExists));
  }

  review(actor: Actor, id: string): TicketState {
    return this.get(execute(this.#ctx, cmd.review, actor, id));
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
