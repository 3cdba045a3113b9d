import { Type } from '@fastify/type-provider-typebox';
import { ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATUSES, MAX_ATTACHMENTS, type AnnouncementState } from '@cunbox/shared';
import type { Actor } from '../../governance/common.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { HistoryReply, Many, One } from '../replies.ts';
import { IdParams, Line, MediaIds, NoQuery, NoteBody, Obj, ReasonBody, Text } from '../schemas.ts';

const Category = Type.Union(ANNOUNCEMENT_CATEGORIES.map((c) => Type.Literal(c)), { description: 'party 党务, village 村务, finance 财务' });

/** 三务公开. */
export async function announcementRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const ann = deps.governance.announcements;
  const tags = ['announcements'];

  app.get(
    '/api/announcements',
    {
      config: { access: 'announcements.read' },
      schema: { tags, summary: 'Published announcements; editors also see drafts of their tabs', querystring: Obj({ category: Type.Optional(Category), status: Type.Optional(Type.Union(ANNOUNCEMENT_STATUSES.map((s) => Type.Literal(s)))) }), response: { 200: Many('announcements', 'Announcement') } },
    },
    async (req) => ({ announcements: ann.list(actorOf(req), req.query) }),
  );

  app.get('/api/announcements/:id', { config: { access: 'announcements.read' }, schema: { tags, summary: 'One announcement', params: IdParams, querystring: NoQuery, response: { 200: One('announcement', 'Announcement') } } }, async (req) => ({
    announcement: ann.get(actorOf(req), req.params.id),
  }));

  app.get('/api/announcements/:id/history', { config: { access: 'announcements.write' }, schema: { tags, summary: 'Every change, in order', params: IdParams, querystring: NoQuery, response: { 200: HistoryReply } } }, async (req) => ({
    history: ann.history(actorOf(req), req.params.id).map((op) => ({ id: op.id, hlc: op.hlc, actor: op.actor, type: op.type, payload: op.payload })),
  }));

  app.post(
    '/api/announcements',
    {
      config: { access: 'announcements.write' },
      schema: { tags, summary: 'Write a draft (party secretaries: 党务; cadres: 村务, 财务)', body: Obj({ category: Category, title: Line(200), body: Text(20000, 1), attachments: Type.Optional(MediaIds(MAX_ATTACHMENTS)) }), response: { 201: One('announcement', 'Announcement') } },
    },
    async (req, reply) => {
      void reply.status(201);
      return { announcement: ann.create(actorOf(req), req.body) };
    },
  );

  app.patch(
    '/api/announcements/:id',
    { config: { access: 'announcements.write' }, schema: { tags, summary: 'Edit a draft or rejected announcement', params: IdParams, body: Obj({ title: Type.Optional(Line(200)), body: Type.Optional(Text(20000, 1)), attachments: Type.Optional(MediaIds(MAX_ATTACHMENTS)) }), response: { 200: One('announcement', 'Announcement') } } },
    async (req) => ({ announcement: ann.update(actorOf(req), req.params.id, req.body) }),
  );

  const action = <B extends object>(path: string, access: 'announcements.write' | 'announcements.review', summary: string, body: ReturnType<typeof Obj>, run: (a: Actor, id: string, b: B) => AnnouncementState) =>
    app.post(path, { config: { access }, schema: { tags, summary, params: IdParams, body, response: { 200: One('announcement', 'Announcement') } } }, async (req) => ({ announcement: run(actorOf(req), (req.params as { id: string }).id, req.body as B) }));

  action('/api/announcements/:id/submit', 'announcements.write', 'Send for review', Obj({}), (a, id) => ann.submit(a, id));
  action<{ note?: string }>('/api/announcements/:id/publish', 'announcements.review', 'Publish (a reviewer other than the author)', NoteBody, (a, id, b) => ann.publish(a, id, b.note));
  action<{ reason: string }>('/api/announcements/:id/reject', 'announcements.review', 'Send back with a reason', ReasonBody, (a, id, b) => ann.reject(a, id, b.reason));
  action<{ reason: string }>('/api/announcements/:id/withdraw', 'announcements.write', 'Take a published announcement down', ReasonBody, (a, id, b) => ann.withdraw(a, id, b.reason));
  action('/api/announcements/:id/review', 'announcements.review', 'Acknowledge concurrent changes flagged by the merge', Obj({}), (a, id) => ann.review(a, id));
}
