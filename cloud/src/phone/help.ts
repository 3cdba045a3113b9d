/**
 * Help requests on the phone, with the edge's visibility rules (the requester,
 * the resident's grid worker or assignee, the village office) and the edge's
 * masking of the resident's sensitive fields (shared residentView). ID numbers
 * are masked for everyone here: a phone is not where one reads them in full.
 */
import { DEFAULT_HELP_TYPES, HELP_STATUSES, residentView, type HelpRequestState, type HelpType, type ResidentState } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { PhoneRouter } from './router.ts';
import { BOOL, CODE, ID, obj, text, type Call, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

const STAFF = new Set(['admin', 'cadre']);

export function helpRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const residentOf = (v: Village, username: string) => v.list<ResidentState>('resident').find((r) => r.username === username);
  const handles = (u: VillageUser, h: HelpRequestState, r: ResidentState | undefined) =>
    STAFF.has(u.role) || (u.role === 'grid_worker' && (h.assignee === u.username || r?.gridWorker === u.username));
  const canSee = (u: VillageUser, h: HelpRequestState, r: ResidentState | undefined) => h.createdBy === u.username || handles(u, h, r);

  /** A request with its resident as this viewer may see them; every unmasked view is audited, as on the edge (`path`: below the phone API's prefix). */
  const views = (v: Village, call: Pick<Call, 'user' | 'ip'>, path: string, list: Array<{ h: HelpRequestState; r: ResidentState | undefined }>) => {
    const out = list.map(({ h, r }) => ({ ...h, residentName: r?.name ?? null, resident: r ? residentView(r, call.user, { maskIdAlways: true }) : null }));
    const shown = [...new Set(out.filter((x) => x.resident?.sensitive).map((x) => x.resident!.id))];
    if (shown.length > 0) v.audit(call, 'resident.sensitive_read', shown.length === 1 ? `resident:${shown[0]}` : null, { residents: shown, path });
    return out;
  };
  const withResident = (v: Village, h: HelpRequestState) => ({ h, r: h.residentId ? v.get<ResidentState>('resident', h.residentId) : undefined });

  router.route({
    method: 'GET',
    url: '/help-types',
    summary: 'Kinds of help one can ask for',
    reply: replies.many('types', 'HelpType'),
    access: 'help.request',
    handler: async (_c, v) => {
      const codes = new Set([...Object.keys(DEFAULT_HELP_TYPES), ...v.list<HelpType>('help_type').map((c) => c.id)]);
      return { types: [...codes].sort().map((code) => v.getOrInit<HelpType>('help_type', code)) };
    },
  });

  router.route<unknown, { status?: string }>({
    method: 'GET',
    url: '/help-requests',
    access: 'help.request',
    summary: 'Requests I may see (mine; grid workers: their residents\'; staff: all)',
    reply: replies.many('requests', 'PhoneHelpRequest'),
    query: obj({ status: { enum: [...HELP_STATUSES] } }),
    handler: async ({ user, query, ip }, v) => {
      const list = v
        .list<HelpRequestState>('help_request')
        .filter((h) => !query.status || h.status === query.status)
        .map((h) => withResident(v, h))
        .filter(({ h, r }) => canSee(user, h, r));
      return { requests: views(v, { user, ip }, '/help-requests', list) };
    },
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/help-requests/:id',
    summary: 'One request',
    reply: replies.one('request', 'PhoneHelpRequest'),
    access: 'help.request',
    params: { id: ID },
    handler: async ({ user, params, ip }, v) => {
      const x = withResident(v, v.require<HelpRequestState>('help_request', params.id, 'help request'));
      if (!canSee(user, x.h, x.r)) throw ctx.fail('NOT_FOUND', `no help request ${params.id}`);
      return { request: views(v, { user, ip }, '/help-requests/:id', [x])[0] };
    },
  });

  router.route<{ type: string; residentId?: string; description?: string; urgent?: boolean }>({
    method: 'POST',
    url: '/help-requests',
    access: 'help.request',
    summary: 'Ask for help (for your own linked profile, or a resident you look after)',
    reply: replies.one('request', 'PhoneHelpRequest'),
    status: 201,
    body: obj({ type: CODE, residentId: ID, description: text(2000), urgent: BOOL }, ['type']),
    handler: async ({ user, body, ip }, v) => {
      const type = v.getOrInit<HelpType>('help_type', body.type);
      if (!type.exists || !type.active) throw ctx.fail('INVALID_INPUT', `type: no active help type ${body.type}`);
      let residentId = body.residentId;
      if (residentId === undefined) {
        const own = residentOf(v, user.username);
        if (!own) throw ctx.fail('INVALID_INPUT', 'residentId: your account is not linked to a resident profile; ask the village office');
        residentId = own.id;
      } else {
        const r = v.require<ResidentState>('resident', residentId, 'resident');
        const handlerOf = STAFF.has(user.role) || (user.role === 'grid_worker' && r.gridWorker === user.username);
        if (r.username !== user.username && !handlerOf) throw ctx.fail('FORBIDDEN', 'you can ask for help only for yourself or residents you look after');
      }
      const id = v.newId();
      v.commit(user.username, [
        { entityKind: 'help_request', entityId: id, type: 'help_request.created', payload: { residentId, type: type.id, typeName: type.name, description: body.description ?? '', urgent: body.urgent ?? false } },
      ]);
      return { request: views(v, { user, ip }, '/help-requests', [withResident(v, v.require<HelpRequestState>('help_request', id, 'help request'))])[0] };
    },
  });
}
