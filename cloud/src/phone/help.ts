/**
 * Help requests on the phone: the shared help commands and visibility rules
 * (the requester, the resident's grid worker or assignee, the village office)
 * and the shared masking of the resident's sensitive fields (residentView). ID numbers
 * are masked for everyone here: a phone is not where one reads them in full.
 */
import { HELP_STATUSES, canSeeHelp, helpCommands, helpResident, helpTypes, residentView, visibleHelpRequest, type HelpRequestState, type NewHelpRequest, type ResidentState } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { BOOL, CODE, ID, USERNAME, obj, text, type Call, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

export function helpRoutes(router: PhoneRouter, _ctx: PhoneContext): void {
  /** A request with its resident as this viewer may see them; every unmasked view is audited, as on the edge (`path`: below the phone API's prefix). */
  const views = (v: Village, call: Pick<Call, 'user' | 'ip'>, path: string, list: Array<{ h: HelpRequestState; r: ResidentState | undefined }>) => {
    const out = list.map(({ h, r }) => ({ ...h, residentName: r?.name ?? null, resident: r ? residentView(r, call.user, { maskIdAlways: true }) : null }));
    const shown = [...new Set(out.filter((x) => x.resident?.sensitive).map((x) => x.resident!.id))];
    if (shown.length > 0) v.audit(call, 'resident.sensitive_read', shown.length === 1 ? `resident:${shown[0]}` : null, { residents: shown, path });
    return out;
  };
  const withResident = (v: Village, h: HelpRequestState) => ({ h, r: helpResident(v, h) });

  router.route({
    method: 'GET',
    url: '/help-types',
    summary: 'Kinds of help one can ask for',
    reply: replies.many('types', 'HelpType'),
    access: 'help.request',
    handler: async (_c, v) => ({ types: helpTypes(v) }),
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
        .filter(({ h, r }) => canSeeHelp(user, h, r));
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
      const x = withResident(v, visibleHelpRequest(v, user, params.id));
      return { request: views(v, { user, ip }, '/help-requests/:id', [x])[0] };
    },
  });

  router.route<NewHelpRequest>({
    method: 'POST',
    url: '/help-requests',
    access: 'help.request',
    summary: 'Ask for help (for your own linked profile, or a resident you look after)',
    idempotent: true,
    reply: replies.one('request', 'PhoneHelpRequest'),
    status: 201,
    body: obj({ type: CODE, residentId: ID, description: text(2000), urgent: BOOL }, ['type']),
    handler: async ({ user, body, ip }, v) => {
      const id = v.run(helpCommands.request, user, body);
      return { request: views(v, { user, ip }, '/help-requests', [withResident(v, v.require<HelpRequestState>('help_request', id, 'help request'))])[0] };
    },
  });

  router.route<{ assignee: string; note?: string }, unknown, { id: string }>({
    method: 'POST',
    url: '/help-requests/:id/assign',
    summary: 'Take a request on: assign it to a grid worker or cadre (the village office)',
    reply: replies.one('request', 'PhoneHelpRequest'),
    access: 'help.handle',
    params: { id: ID },
    body: obj({ assignee: USERNAME, note: text(2000) }, ['assignee']),
    handler: async ({ user, body, params, ip }, v) => {
      const id = v.run(helpCommands.assign, user, params.id, body);
      return { request: views(v, { user, ip }, '/help-requests/:id/assign', [withResident(v, v.require<HelpRequestState>('help_request', id, 'help request'))])[0] };
    },
  });
}
