/**
 * 随手拍 tickets on the phone: the same ops, payloads and record-level rules
 * as the edge's TicketService (edge/src/governance/tickets.ts), committed on
 * the cloud as a peer; sync takes them to the edge.
 */
import { ATTRIBUTE_CODE_PATTERN, DEFAULT_TICKET_CATEGORIES, OPEN311_STATUS, TICKET_MAX_PHOTOS, checkAttributes, TICKET_STATUSES, TICKET_TRANSITIONS, isBreached, type TicketCategory, type TicketState, type TicketStatus } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { PhoneRouter } from './router.ts';
import { PHOTO_IDS, requirePhotos } from './photos.ts';
import { BOOL, CODE, ID, LIMIT, NOTE_BODY, REASON_BODY, USERNAME, line, obj, statusDraft, text, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

/** Answers to the category's extra questions (checked by the shared rule against its definition). */
const ATTRIBUTE_ANSWERS = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { pattern: ATTRIBUTE_CODE_PATTERN },
  additionalProperties: { anyOf: [text(4000), { type: 'array', maxItems: 50, items: text(200) }] },
};
const STAFF = new Set(['admin', 'cadre', 'grid_worker']);
const DISPATCHERS = new Set(['admin', 'cadre']);
/** Who may be dispatched to a ticket (as the edge's TICKET_WORKER_ROLES). */
const WORKER_ROLES = new Set(['grid_worker', 'cadre', 'admin']);

/** Staff see who reported; others only their own name (as the edge's ticketView). */
export function ticketView(t: TicketState, viewer: VillageUser, now: number) {
  const showReporter = STAFF.has(viewer.role) || (t.reporter !== null && t.reporter === viewer.username);
  return { ...t, reporter: showReporter ? t.reporter : null, breached: isBreached(t, now), open311Status: OPEN311_STATUS[t.status] };
}

function category(v: Village, code: string): TicketCategory | undefined {
  const c = v.getOrInit<TicketCategory>('ticket_category', code);
  return c.exists ? c : undefined;
}

export function ticketRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const ID_PARAMS = { id: ID };
  const isReporter = (u: VillageUser, t: TicketState) => t.reporter !== null && t.reporter === u.username;

  router.route({
    method: 'GET',
    url: '/ticket-categories',
    summary: 'Categories with their response SLA',
    reply: replies.many('categories', 'TicketCategory'),
    access: 'tickets.read',
    handler: async (_c, v) => {
      const codes = new Set([...Object.keys(DEFAULT_TICKET_CATEGORIES), ...v.list<TicketCategory>('ticket_category').map((c) => c.id)]);
      return { categories: [...codes].sort().map((code) => v.getOrInit<TicketCategory>('ticket_category', code)) };
    },
  });

  router.route<unknown, { status?: TicketStatus; category?: string; assignee?: string; mine?: boolean; limit?: number }>({
    method: 'GET',
    url: '/tickets',
    access: 'tickets.read',
    summary: 'Tickets, at most `limit` (100)',
    reply: replies.many('tickets', 'Ticket'),
    query: obj({ status: { enum: [...TICKET_STATUSES] }, category: CODE, assignee: USERNAME, mine: BOOL, limit: LIMIT }),
    handler: async ({ user, query: q }, v) => {
      const now = ctx.now();
      const list = v
        .list<TicketState>('ticket')
        .filter((t) => (!q.status || t.status === q.status) && (!q.category || t.category === q.category) && (!q.assignee || t.assignee === q.assignee) && (!q.mine || isReporter(user, t)));
      return { tickets: list.slice(0, q.limit ?? 100).map((t) => ticketView(t, user, now)) };
    },
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/tickets/:id',
    summary: 'One ticket',
    reply: replies.one('ticket', 'Ticket'),
    access: 'tickets.read',
    params: ID_PARAMS,
    handler: async ({ user, params }, v) => ({ ticket: ticketView(v.require<TicketState>('ticket', params.id, 'ticket'), user, ctx.now()) }),
  });

  router.route<{ category: string; description: string; place?: string; lat?: number; lng?: number; anonymous?: boolean; photos?: string[]; attributes?: Record<string, unknown> }>({
    method: 'POST',
    url: '/tickets',
    access: 'tickets.create',
    summary: 'Report a problem (随手拍)',
    reply: replies.one('ticket', 'Ticket'),
    status: 201,
    body: obj(
      { category: CODE, description: text(4000, 1), place: line(200), lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 }, anonymous: BOOL, photos: PHOTO_IDS, attributes: ATTRIBUTE_ANSWERS },
      ['category', 'description'],
    ),
    handler: async ({ user, body: b }, v) => {
      const photos = b.photos ?? [];
      requirePhotos(ctx, v.id, photos);
      const c = category(v, b.category);
      if (!c || !c.active) throw ctx.fail('INVALID_INPUT', `category: no active category ${b.category}`);
      if ((b.lat === undefined) !== (b.lng === undefined)) throw ctx.fail('INVALID_INPUT', 'lat and lng go together');
      if (b.lat === undefined && !b.place) throw ctx.fail('INVALID_INPUT', 'a location is needed: lat/lng or a place name');
      const answers = checkAttributes(c.attributes, b.attributes ?? {});
      if (answers.errors.length > 0) throw ctx.fail('INVALID_INPUT', answers.errors.join('; '));
      const id = v.newId();
      const anonymous = b.anonymous ?? false;
      // Anonymous really is anonymous: the reporter's name is in neither the state nor the op.
      v.commit(anonymous ? 'anonymous' : user.username, [
        {
          entityKind: 'ticket',
          entityId: id,
          type: 'ticket.created',
          payload: { category: c.id, categoryName: c.name, slaMinutes: c.slaMinutes, description: b.description, place: b.place ?? null, lat: b.lat ?? null, lng: b.lng ?? null, photos, attributes: answers.values, anonymous, reporter: anonymous ? null : user.username },
        },
      ]);
      return { ticket: ticketView(v.require<TicketState>('ticket', id, 'ticket'), user, ctx.now()) };
    },
  });

  /** A status change or fact on one ticket; `run` checks the record-level rule and returns the op. */
  const action = <B>(path: string, access: 'tickets.dispatch' | 'tickets.work' | 'tickets.create' | 'tickets.comment', body: object, run: (u: VillageUser, t: TicketState, b: B, v: Village) => ReturnType<typeof statusDraft>, status = 200) =>
    router.route<B, unknown, { id: string }>({
      method: 'POST',
      url: `/tickets/:id/${path}`,
      summary: `Ticket: ${path}`,
      reply: replies.one('ticket', 'Ticket'),
      access,
      params: ID_PARAMS,
      body,
      status,
      handler: async ({ user, body: b, params }, v) => {
        const t = v.require<TicketState>('ticket', params.id, 'ticket');
        v.commit(user.username, [run(user, t, b, v)]);
        return { ticket: ticketView(v.require<TicketState>('ticket', params.id, 'ticket'), user, ctx.now()) };
      },
    });
  const forbid = (message: string): never => {
    throw ctx.fail('FORBIDDEN', message);
  };
  const requireWorker = (u: VillageUser, t: TicketState) => {
    if (u.role === 'grid_worker' && t.assignee !== u.username) forbid('this ticket is assigned to someone else');
  };

  action<{ assignee: string; note?: string }>('assign', 'tickets.dispatch', obj({ assignee: USERNAME, note: text(2000) }, ['assignee']), (_u, t, b, v) => {
    // As the edge's requireUser: an enabled account of a role that works tickets.
    const a = ctx.store.accounts.user(v.id, b.assignee);
    if (!a || a.disabled) throw ctx.fail('INVALID_INPUT', `assignee: no user ${b.assignee}`);
    if (!WORKER_ROLES.has(a.role)) throw ctx.fail('INVALID_INPUT', `assignee: ${b.assignee} is a ${a.role}, not one of ${[...WORKER_ROLES].join(', ')}`);
    return statusDraft(ctx, t, TICKET_TRANSITIONS, 'assigned', { assignee: b.assignee, note: b.note ?? null });
  });
  action<{ note?: string }>('start', 'tickets.work', NOTE_BODY, (u, t, b) => (requireWorker(u, t), statusDraft(ctx, t, TICKET_TRANSITIONS, 'in_progress', { note: b.note ?? null })));
  action<{ note: string }>('resolve', 'tickets.work', obj({ note: text(2000, 1) }, ['note']), (u, t, b) => (requireWorker(u, t), statusDraft(ctx, t, TICKET_TRANSITIONS, 'resolved', { note: b.note })));
  action<{ reason: string }>('reject', 'tickets.dispatch', REASON_BODY, (_u, t, b) => statusDraft(ctx, t, TICKET_TRANSITIONS, 'rejected', { note: b.reason }));
  action<{ duplicateOf: string; note?: string }>('duplicate', 'tickets.dispatch', obj({ duplicateOf: ID, note: text(2000) }, ['duplicateOf']), (_u, t, b, v) => {
    if (b.duplicateOf === t.id) throw ctx.fail('INVALID_INPUT', 'a ticket cannot duplicate itself');
    v.require<TicketState>('ticket', b.duplicateOf, 'ticket');
    return statusDraft(ctx, t, TICKET_TRANSITIONS, 'duplicate', { duplicateOf: b.duplicateOf, note: b.note ?? null });
  });
  const close = (u: VillageUser, t: TicketState, b: { note?: string }) => {
    if (!isReporter(u, t) && !DISPATCHERS.has(u.role)) forbid('only the reporter or a dispatcher can close this ticket');
    return statusDraft(ctx, t, TICKET_TRANSITIONS, 'closed', { note: b.note ?? null });
  };
  action<{ note?: string }>('confirm', 'tickets.create', NOTE_BODY, close);
  action<{ note?: string }>('close', 'tickets.dispatch', NOTE_BODY, close);
  action<{ reason: string }>('reopen', 'tickets.create', REASON_BODY, (u, t, b) => {
    if (!isReporter(u, t) && !DISPATCHERS.has(u.role)) forbid('only the reporter or a dispatcher can reopen this ticket');
    return statusDraft(ctx, t, TICKET_TRANSITIONS, 'reopened', { note: b.reason });
  });
  // As the edge's addPhotos: the reporter, the assignee or a dispatcher; photos uploaded first (POST /media).
  action<{ photos: string[] }>('photos', 'tickets.create', obj({ photos: { ...PHOTO_IDS, minItems: 1 } }, ['photos']), (u, t, b, v) => {
    if (!isReporter(u, t) && !DISPATCHERS.has(u.role) && t.assignee !== u.username) forbid('only the reporter, the assignee or a dispatcher can add photos');
    if (t.photos.length + b.photos.length > TICKET_MAX_PHOTOS) throw ctx.fail('INVALID_INPUT', `photos: at most ${TICKET_MAX_PHOTOS}`);
    requirePhotos(ctx, v.id, b.photos);
    return { entityKind: 'ticket', entityId: t.id, type: 'ticket.photo', payload: { photos: b.photos } };
  });
  action<{ text: string }>(
    'comments',
    'tickets.comment',
    obj({ text: text(2000, 1) }, ['text']),
    (_u, t, b, v) => ({ entityKind: 'ticket', entityId: t.id, type: 'ticket.comment', payload: { commentId: v.newId(), text: b.text } }),
    201,
  );
}
