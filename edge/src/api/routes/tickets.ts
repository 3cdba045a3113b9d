import { Type } from '@fastify/type-provider-typebox';
import { TICKET_STATUSES, ticketHistoryView, ticketView, type TicketState } from '@cunbox/shared';
import type { Actor } from '../../governance/common.ts';
import { MAX_PHOTOS } from '../../governance/tickets.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { HistoryReply, Many, One } from '../replies.ts';
import { Code, EpochMs, Id, IdParams, Line, MediaIds, NoQuery, NoteBody, Nullable, Obj, ReasonBody, Text, Username } from '../schemas.ts';
import { AttributeAnswers, CategoryAttributes } from '../open311/schemas.ts';

const Status = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)));
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lng = Type.Number({ minimum: -180, maximum: 180 });

/** 随手拍 tickets. */
export async function ticketRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const tickets = deps.governance.tickets;
  const now = () => deps.clock.now();
  const tags = ['tickets'];

  app.get('/api/ticket-categories', { config: { access: 'tickets.read' }, schema: { tags, summary: 'Categories with their response SLA', querystring: NoQuery, response: { 200: Many('categories', 'TicketCategory') } } }, async () => ({ categories: tickets.categories() }));

  app.put(
    '/api/ticket-categories/:code',
    {
      config: { access: 'config.manage' },
      schema: { tags, summary: 'Add or change a category', params: Obj({ code: Code }), body: Obj({ name: Type.Optional(Line(32)), slaMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 43200 })), active: Type.Optional(Type.Boolean()), attributes: Type.Optional(CategoryAttributes) }), response: { 200: One('category', 'TicketCategory') } },
    },
    async (req) => ({ category: tickets.setCategory(actorOf(req), req.params.code, req.body) }),
  );

  app.post(
    '/api/tickets',
    {
      config: { access: 'tickets.create' },
      schema: {
        tags,
        summary: 'Report a problem (随手拍)',
        description: 'A location is lat/lng, a place name, or both. With anonymous: true the reporter is stored nowhere (and cannot confirm or reopen).',
        body: Obj({
          category: Code,
          description: Text(4000, 1),
          place: Type.Optional(Line(200)),
          lat: Type.Optional(Lat),
          lng: Type.Optional(Lng),
          photos: Type.Optional(MediaIds(MAX_PHOTOS)),
          anonymous: Type.Optional(Type.Boolean()),
          attributes: Type.Optional(AttributeAnswers),
        }),
        response: { 201: One('ticket', 'Ticket') },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const t = tickets.create(a, req.body);
      void reply.status(201);
      return { ticket: ticketView(t, a, now()) };
    },
  );

  app.get(
    '/api/tickets',
    {
      config: { access: 'tickets.read' },
      schema: {
        tags,
        summary: 'List tickets, newest first',
        querystring: Obj({
          status: Type.Optional(Status),
          category: Type.Optional(Code),
          assignee: Type.Optional(Username),
          mine: Type.Optional(Type.Boolean({ description: 'only tickets I reported' })),
          breached: Type.Optional(Type.Boolean({ description: 'only tickets past (or not past) their SLA deadline' })),
          needsReview: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Many('tickets', 'Ticket') },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const { mine, ...filter } = req.query;
      return { tickets: tickets.list({ ...filter, reporter: mine ? a.username : undefined }).map((t) => ticketView(t, a, now())) };
    },
  );

  app.get('/api/tickets/:id', { config: { access: 'tickets.read' }, schema: { tags, summary: 'One ticket', params: IdParams, querystring: NoQuery, response: { 200: One('ticket', 'Ticket') } } }, async (req) => ({
    ticket: ticketView(tickets.get(req.params.id), actorOf(req), now()),
  }));

  app.get('/api/tickets/:id/history', { config: { access: 'tickets.read' }, schema: { tags, summary: 'Every change, in order', params: IdParams, querystring: NoQuery, response: { 200: HistoryReply } } }, async (req) => {
    const a = actorOf(req);
    return { history: ticketHistoryView(tickets.get(req.params.id), tickets.history(req.params.id), a) };
  });

  const action = <B extends object>(path: string, access: 'tickets.dispatch' | 'tickets.work' | 'tickets.create' | 'tickets.comment' | 'tickets.footage', summary: string, body: ReturnType<typeof Obj>, run: (a: Actor, id: string, body: B) => TicketState, status = 200) =>
    app.post(path, { config: { access }, schema: { tags, summary, params: IdParams, body, response: { [status]: One('ticket', 'Ticket') } } }, async (req, reply) => {
      const a = actorOf(req);
      const t = run(a, (req.params as { id: string }).id, req.body as B);
      void reply.status(status);
      return { ticket: ticketView(t, a, now()) };
    });

  app.patch(
    '/api/tickets/:id',
    { config: { access: 'tickets.dispatch' }, schema: { tags, summary: 'Correct description, place or category', params: IdParams, body: Obj({ description: Type.Optional(Text(4000, 1)), place: Type.Optional(Nullable(Line(200))), category: Type.Optional(Code) }), response: { 200: One('ticket', 'Ticket') } } },
    async (req) => {
      const a = actorOf(req);
      return { ticket: ticketView(tickets.update(a, req.params.id, req.body), a, now()) };
    },
  );
  action<{ assignee: string; note?: string }>('/api/tickets/:id/assign', 'tickets.dispatch', 'Dispatch to a grid worker, cadre or admin (also reassigns)', Obj({ assignee: Username, note: Type.Optional(Text(2000)) }), (a, id, b) =>
    tickets.assign(a, id, b.assignee, b.note),
  );
  action<{ note?: string }>('/api/tickets/:id/start', 'tickets.work', 'Work has started (stops the response SLA)', NoteBody, (a, id, b) => tickets.start(a, id, b.note));
  action<{ note: string }>('/api/tickets/:id/resolve', 'tickets.work', 'Fixed; the reporter may confirm or reopen', Obj({ note: Text(2000, 1) }), (a, id, b) => tickets.resolve(a, id, b.note));
  action<{ reason: string }>('/api/tickets/:id/reject', 'tickets.dispatch', 'Not ours, or not a problem', ReasonBody, (a, id, b) => tickets.reject(a, id, b.reason));
  action<{ duplicateOf: string; note?: string }>('/api/tickets/:id/duplicate', 'tickets.dispatch', 'Already reported', Obj({ duplicateOf: Id, note: Type.Optional(Text(2000)) }), (a, id, b) =>
    tickets.markDuplicate(a, id, b.duplicateOf, b.note),
  );
  action<{ note?: string }>('/api/tickets/:id/confirm', 'tickets.create', 'The reporter confirms the fix (resolved → closed)', NoteBody, (a, id, b) => tickets.close(a, id, b.note));
  action<{ note?: string }>('/api/tickets/:id/close', 'tickets.dispatch', 'Close a resolved ticket without the reporter', NoteBody, (a, id, b) => tickets.close(a, id, b.note));
  action<{ reason: string }>('/api/tickets/:id/reopen', 'tickets.create', 'The reporter (or a dispatcher) reopens: the SLA starts again', ReasonBody, (a, id, b) => tickets.reopen(a, id, b.reason));
  action<{ text: string }>('/api/tickets/:id/comments', 'tickets.comment', 'Add a comment', Obj({ text: Text(2000, 1) }), (a, id, b) => tickets.comment(a, id, b.text), 201);
  action<{ photos: string[] }>('/api/tickets/:id/photos', 'tickets.create', 'Add photos (reporter, assignee, dispatcher)', Obj({ photos: MediaIds(MAX_PHOTOS) }), (a, id, b) => tickets.addPhotos(a, id, b.photos));
  action<{ cameraId: number; startMs: number; endMs: number }>(
    '/api/tickets/:id/footage',
    'tickets.footage',
    'Link camera footage; the ring buffer keeps it (evidence hold)',
    Obj({ cameraId: Type.Integer({ minimum: 1 }), startMs: EpochMs, endMs: EpochMs }),
    (a, id, b) => tickets.linkFootage(a, id, b, deps.cameraExists),
    201,
  );
  action<object>('/api/tickets/:id/review', 'tickets.dispatch', 'Acknowledge concurrent changes flagged by the merge', Obj({}), (a, id) => tickets.review(a, id));
}
