/**
 * Help requests on the phone: the shared help commands and visibility rules
 * (the requester, the resident's grid worker or assignee, the village office)
 * and the shared masking of the resident's sensitive fields (residentView). ID numbers
 * are masked for everyone here: a phone is not where one reads them in full.
 */
import { HELP_STATUSES, canSeeHelp, helpCommands, helpResident, helpTypes, residentView, visibleHelpRequest, type HelpRequestState, type NewHelpRequest, type ResidentState, type GovernanceLookups, requireEntity } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import { BOOL, CODE, ID, USERNAME, obj, text, type Call, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

export function helpRoutes(router: PhoneRouter, _ctx: PhoneContext): void {
  /** A request with its resident as this viewer may see them; every unmasked view is audited, as on the edge (`path`: below the phone API's prefix). */
  const views = async (v: Village, call: Pick<Call, 'user' | 'ip'>, path: string, list: Array<{ h: HelpRequestState; r: ResidentState | undefined }>) => {
    const out = list.map(({ h, r }) => ({ ...h, residentName: r?.name ?? null, resident: r ? residentView(r, call.user, { maskIdAlways: true }) : null }));
    const shown = [...new Set(out.filter((x) => x.resident?.sensitive).map((x) => x.resident!.id))];
    if (shown.length > 0) await v.audit(call, 'resident.sensitive_read', shown.length === 1 ? `resident:${shown[0]}` : null, { residents: shown, path });
    return out;
  };
  const withResident = (look: GovernanceLookups, h: HelpRequestState) => ({ h, r: helpResident(look, h) });
  /** The request a command made or changed, with its resident. */
  const requestOf = (v: Village, id: string) => v.read((look) => withResident(look, requireEntity<HelpRequestState>(look, 'help_request', id, 'help request')));

  router.route({
    method: 'GET',
    url: '/help-types',
    summary: 'Kinds of help one can ask for',
    reply: replies.many('types', 'HelpType'),
    access: 'help.request',
    handler: async (_c, v) => ({ types: await v.read(helpTypes) }),
  });

  router.route<unknown, { status?: string }>({
    method: 'GET',
    url: '/help-requests',
    access: 'help.request',
    summary: 'Requests I may see (mine; grid workers: their residents\'; staff: all)',
    reply: replies.many('requests', 'PhoneHelpRequest'),
    query: obj({ status: { enum: [...HELP_STATUSES] } }),
    handler: async ({ user, query, ip }, v) => {
      const list = await v.read((look) =>
        look
          .list<HelpRequestState>('help_request')
          .filter((h) => !query.status || h.status === query.status)
          .map((h) => withResident(look, h))
          .filter(({ h, r }) => canSeeHelp(user, h, r)),
      );
      return { requests: await views(v, { user, ip }, '/help-requests', list) };
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
      const x = await v.read((look) => withResident(look, visibleHelpRequest(look, user, params.id)));
      return { request: (await views(v, { user, ip }, '/help-requests/:id', [x]))[0] };
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
      const id = await v.run(helpCommands.request, user, body);
      return { request: (await views(v, { user, ip }, '/help-requests', [await requestOf(v, id)]))[0] };
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
      const id = await v.run(helpCommands.assign, user, params.id, body);
      return { request: (await views(v, { user, ip }, '/help-requests/:id/assign', [await requestOf(v, id)]))[0] };
    },
  });
}
