/**
 * 随手拍 tickets on the phone: the shared ticket commands (the edge's
 * TicketService runs the same) over the village's state at the cloud,
 * committed as a peer; sync takes them to the edge.
 */
import { ATTRIBUTE_CODE_PATTERN, TICKET_STATUSES, ticketCategories, ticketCommands as cmd, ticketView, type Actor, type CommandResult, type GovernanceLookups, type TicketState, type TicketStatus } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { PHOTO_IDS } from './photos.ts';
import { BOOL, CODE, ID, LIMIT, NOTE_BODY, REASON_BODY, USERNAME, line, obj, text, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

/** Answers to the category's extra questions (checked by the shared rule against its definition). */
const ATTRIBUTE_ANSWERS = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { pattern: ATTRIBUTE_CODE_PATTERN },
  additionalProperties: { anyOf: [text(4000), { type: 'array', maxItems: 50, items: text(200) }] },
};

export function ticketRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const ID_PARAMS = { id: ID };

  router.route({
    method: 'GET',
    url: '/ticket-categories',
    summary: 'Categories with their response SLA',
    reply: replies.many('categories', 'TicketCategory'),
    access: 'tickets.read',
    handler: async (_c, v) => ({ categories: await v.read(ticketCategories) }),
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
      const limit = q.limit ?? 100;
      const wanted = (t: TicketState): boolean => (!q.status || t.status === q.status) && (!q.category || t.category === q.category) && (!q.assignee || t.assignee === q.assignee) && (!q.mine || (t.reporter !== null && t.reporter === user.username));
      // Newest first, a page of the store at a time until `limit` match: a village of 10,000 tickets is not read whole for 100.
      const list: TicketState[] = [];
      for await (const t of v.newest<TicketState>('ticket')) {
        if (!wanted(t)) continue;
        list.push(t);
        if (list.length >= limit) break;
      }
      return { tickets: list.map((t) => ticketView(t, user, now)) };
    },
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/tickets/:id',
    summary: 'One ticket',
    reply: replies.one('ticket', 'Ticket'),
    access: 'tickets.read',
    params: ID_PARAMS,
    handler: async ({ user, params }, v) => ({ ticket: ticketView(await v.require<TicketState>('ticket', params.id, 'ticket'), user, ctx.now()) }),
  });

  router.route<{ category: string; description: string; place?: string; lat?: number; lng?: number; anonymous?: boolean; photos?: string[]; attributes?: Record<string, unknown> }>({
    method: 'POST',
    url: '/tickets',
    access: 'tickets.create',
    summary: 'Report a problem (随手拍)',
    idempotent: true,
    reply: replies.one('ticket', 'Ticket'),
    status: 201,
    body: obj(
      { category: CODE, description: text(4000, 1), place: line(200), lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 }, anonymous: BOOL, photos: PHOTO_IDS, attributes: ATTRIBUTE_ANSWERS },
      ['category', 'description'],
    ),
    handler: async ({ user, body }, v) => {
      const id = await v.run(cmd.create, user, body);
      return { ticket: ticketView(await v.require<TicketState>('ticket', id, 'ticket'), user, ctx.now()) };
    },
  });

  /** A command on one ticket, its body as the command's input. */
  const action = <B>(path: string, access: 'tickets.dispatch' | 'tickets.work' | 'tickets.create' | 'tickets.comment', body: object, command: (look: GovernanceLookups, actor: Actor, id: string, input: B) => CommandResult, status = 200) =>
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
        const id = await v.run(command, user, params.id, b);
        return { ticket: ticketView(await v.require<TicketState>('ticket', id, 'ticket'), user, ctx.now()) };
      },
    });

  action<{ assignee: string; note?: string }>('assign', 'tickets.dispatch', obj({ assignee: USERNAME, note: text(2000) }, ['assignee']), cmd.assign);
  action<{ note?: string }>('start', 'tickets.work', NOTE_BODY, cmd.start);
  action<{ note: string }>('resolve', 'tickets.work', obj({ note: text(2000, 1) }, ['note']), cmd.resolve);
  action<{ reason: string }>('reject', 'tickets.dispatch', REASON_BODY, cmd.reject);
  action<{ duplicateOf: string; note?: string }>('duplicate', 'tickets.dispatch', obj({ duplicateOf: ID, note: text(2000) }, ['duplicateOf']), cmd.markDuplicate);
  action<{ note?: string }>('confirm', 'tickets.create', NOTE_BODY, cmd.close);
  action<{ note?: string }>('close', 'tickets.dispatch', NOTE_BODY, cmd.close);
  action<{ reason: string }>('reopen', 'tickets.create', REASON_BODY, cmd.reopen);
  // Photos are uploaded first (POST /media).
  action<{ photos: string[] }>('photos', 'tickets.create', obj({ photos: { ...PHOTO_IDS, minItems: 1 } }, ['photos']), cmd.addPhotos);
  action<{ text: string }>('comments', 'tickets.comment', obj({ text: text(2000, 1) }, ['text']), cmd.comment, 201);
}
