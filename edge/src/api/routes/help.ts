import { Type } from '@fastify/type-provider-typebox';
import { HELP_STATUSES, ID_NUMBER_PATTERN, PHONE_PATTERN, type HelpRequestState, type ResidentState } from '@cunbox/shared';
import type { Actor } from '../../governance/common.ts';
import { residentView } from '../../governance/help.ts';
import type { FastifyRequest } from 'fastify';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { Closed, HistoryReply, Many, One } from '../replies.ts';
import { Code, Id, IdParams, Line, NoQuery, NoteBody, Nullable, Obj, ReasonBody, Text, Username } from '../schemas.ts';

const IdNumber = Type.String({ pattern: ID_NUMBER_PATTERN, description: '18-character resident ID number' });
const Phone = Type.String({ pattern: PHONE_PATTERN });
const residentFields = {
  idNumber: Type.Optional(Nullable(IdNumber)),
  phone: Type.Optional(Nullable(Phone)),
  address: Type.Optional(Nullable(Line(200))),
  gridWorker: Type.Optional(Nullable(Username)),
  username: Type.Optional(Nullable(Username)),
  dibao: Type.Optional(Type.Boolean({ description: '低保' })),
  disabled: Type.Optional(Type.Boolean({ description: '残障' })),
  elderly: Type.Optional(Type.Boolean({ description: '老龄' })),
  notes: Type.Optional(Nullable(Text(2000))),
};

/** Residents (special groups) and help requests. */
export async function helpRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const { audit } = deps;
  const help = deps.governance.help;
  const tags = ['help'];

  /** Shows residents as the viewer may see them; every full (unmasked) view is audited. */
  const views = (req: FastifyRequest, residents: ResidentState[], masked = false) => {
    const a = actorOf(req);
    const out = residents.map((r) => residentView(r, a, { masked }));
    const shown = out.filter((v) => v.sensitive).map((v) => v.id);
    if (shown.length > 0) {
      audit.record({ actor: a.username, role: a.role, action: 'resident.sensitive_read', target: shown.length === 1 ? `resident:${shown[0]}` : null, detail: { residents: shown, path: req.routeOptions.url }, ip: req.ip });
    }
    return out;
  };

  app.get(
    '/api/residents',
    {
      config: { access: 'residents.read' },
      schema: {
        tags,
        summary: 'Residents (grid workers: their own grid); sensitive reads are audited',
        querystring: Obj({ gridWorker: Type.Optional(Username), masked: Type.Optional(Type.Boolean({ description: 'true: every row masked as for a viewer without access (nothing to audit); read one resident for the full record' })) }),
        response: { 200: Many('residents', 'Resident') },
      },
    },
    async (req) => ({ residents: views(req, help.residents(actorOf(req), { gridWorker: req.query.gridWorker }), req.query.masked === true) }),
  );

  app.get('/api/residents/stats', { config: { access: 'residents.stats' }, schema: { tags, summary: 'Special groups as counts only', querystring: NoQuery, response: { 200: Closed({ residents: Type.Integer(), dibao: Type.Integer(), disabled: Type.Integer(), elderly: Type.Integer() }) } } }, async () => help.stats());

  app.get('/api/residents/:id', { config: { access: 'residents.read' }, schema: { tags, summary: 'One resident of those I may list (grid workers: their own grid); full reads audited', params: IdParams, querystring: NoQuery, response: { 200: One('resident', 'Resident') } } }, async (req) => ({
    resident: views(req, [help.residentFor(actorOf(req), req.params.id)])[0],
  }));

  app.post('/api/residents', { config: { access: 'residents.manage' }, schema: { tags, summary: 'Add a resident profile', body: Obj({ name: Line(64), ...residentFields }), response: { 201: One('resident', 'Resident') } } }, async (req, reply) => {
    const a = actorOf(req);
    const r = help.createResident(a, req.body);
    audit.record({ actor: a.username, role: a.role, action: 'resident.create', target: `resident:${r.id}`, ip: req.ip });
    void reply.status(201);
    return { resident: views(req, [r])[0] };
  });

  app.patch('/api/residents/:id', { config: { access: 'residents.manage' }, schema: { tags, summary: 'Change a resident profile', params: IdParams, body: Obj({ name: Type.Optional(Line(64)), ...residentFields }), response: { 200: One('resident', 'Resident') } } }, async (req) => {
    const a = actorOf(req);
    const r = help.updateResident(a, req.params.id, req.body);
    audit.record({ actor: a.username, role: a.role, action: 'resident.update', target: `resident:${r.id}`, detail: { fields: Object.keys(req.body) }, ip: req.ip });
    return { resident: views(req, [r])[0] };
  });

  app.get('/api/help-types', { config: { access: 'help.request' }, schema: { tags, summary: 'Kinds of help one can ask for', querystring: NoQuery, response: { 200: Many('types', 'HelpType') } } }, async () => ({ types: help.types() }));

  app.put(
    '/api/help-types/:code',
    { config: { access: 'config.manage' }, schema: { tags, summary: 'Add or change a help type', params: Obj({ code: Code }), body: Obj({ name: Type.Optional(Line(32)), active: Type.Optional(Type.Boolean()) }), response: { 200: One('type', 'HelpType') } } },
    async (req) => {
      const a = actorOf(req);
      audit.record({ actor: a.username, role: a.role, action: 'help_type.set', target: `help_type:${req.params.code}`, detail: { ...req.body }, ip: req.ip });
      return { type: help.setType(a, req.params.code, req.body) };
    },
  );

  /** A request with the resident's name (not their sensitive fields). */
  const requestView = (h: HelpRequestState) => ({ ...h, residentName: h.residentId ? (deps.governance.store.get<ResidentState>('resident', h.residentId)?.name ?? null) : null });

  app.post(
    '/api/help-requests',
    {
      config: { access: 'help.request' },
      schema: { tags, summary: 'Ask for help (one tap: just the type, for your own linked profile)', body: Obj({ type: Code, residentId: Type.Optional(Id), description: Type.Optional(Text(2000)), urgent: Type.Optional(Type.Boolean()) }), response: { 201: One('request', 'HelpRequest') } },
    },
    async (req, reply) => {
      void reply.status(201);
      return { request: requestView(help.request(actorOf(req), req.body)) };
    },
  );

  app.get(
    '/api/help-requests',
    { config: { access: 'help.request' }, schema: { tags, summary: 'Requests I may see (mine; grid workers: their residents\'; staff: all)', querystring: Obj({ status: Type.Optional(Type.Union(HELP_STATUSES.map((s) => Type.Literal(s)))) }), response: { 200: Many('requests', 'HelpRequest') } } },
    async (req) => ({ requests: help.list(actorOf(req), req.query).map(requestView) }),
  );

  app.get('/api/help-requests/:id', { config: { access: 'help.request' }, schema: { tags, summary: 'One request', params: IdParams, querystring: NoQuery, response: { 200: One('request', 'HelpRequest') } } }, async (req) => ({
    request: requestView(help.get(actorOf(req), req.params.id)),
  }));

  app.get('/api/help-requests/:id/history', { config: { access: 'help.handle' }, schema: { tags, summary: 'Every change, in order', params: IdParams, querystring: NoQuery, response: { 200: HistoryReply } } }, async (req) => ({
    history: help.history(actorOf(req), req.params.id).map((op) => ({ id: op.id, hlc: op.hlc, actor: op.actor, type: op.type, payload: op.payload })),
  }));

  const action = <B extends object>(path: string, access: 'help.handle' | 'help.request', summary: string, body: ReturnType<typeof Obj>, run: (a: Actor, id: string, b: B) => HelpRequestState, status = 200) =>
    app.post(path, { config: { access }, schema: { tags, summary, params: IdParams, body, response: { [status]: One('request', 'HelpRequest') } } }, async (req, reply) => {
      void reply.status(status);
      return { request: requestView(run(actorOf(req), (req.params as { id: string }).id, req.body as B)) };
    });

  action<{ assignee: string; note?: string }>('/api/help-requests/:id/assign', 'help.handle', 'Assign to a grid worker, cadre or admin', Obj({ assignee: Username, note: Type.Optional(Text(2000)) }), (a, id, b) =>
    help.assign(a, id, b.assignee, b.note),
  );
  action<{ note?: string }>('/api/help-requests/:id/start', 'help.handle', 'Work has started', NoteBody, (a, id, b) => help.start(a, id, b.note));
  action<{ note: string }>('/api/help-requests/:id/resolve', 'help.handle', 'Helped', Obj({ note: Text(2000, 1) }), (a, id, b) => help.resolve(a, id, b.note));
  action<{ note?: string }>('/api/help-requests/:id/close', 'help.handle', 'Close after the follow-up', NoteBody, (a, id, b) => help.close(a, id, b.note));
  action<{ reason: string }>('/api/help-requests/:id/cancel', 'help.request', 'Cancel (the requester or the village office)', ReasonBody, (a, id, b) => help.cancel(a, id, b.reason));
  action<{ text: string }>('/api/help-requests/:id/followups', 'help.handle', 'Record a follow-up visit or call', Obj({ text: Text(2000, 1) }), (a, id, b) => help.followUp(a, id, b.text), 201);
  action<object>('/api/help-requests/:id/review', 'help.handle', 'Acknowledge concurrent changes flagged by the merge', Obj({}), (a, id) => help.review(a, id));
}
