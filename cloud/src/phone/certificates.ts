/**
 * 证明开具 on the phone: list (mine; reviewers all) and request, by the shared
 * certificate commands and view. The ID number is always masked here (the edge shows it in full only
 * to reviewers, audited; the phone API not at all).
 */
import { CERTIFICATE_STATUSES, canSeeCertificate, certificateCommands, certificateTypes, certificateView, objectSchema, visibleCertificate, type CertificateRequest, ID_NUMBER_PATTERN, type CertificateState, type ResidentState, type Actor, type CommandResult, type GovernanceLookups, requireEntity } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { PhoneRouter } from './router.ts';
import { CODE, ID, NOTE_BODY, REASON_BODY, line, obj, text, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

/**
 * Without the template (server-side rendering detail) and with the ID number masked.
 * A request made here carries none (the cloud holds ID numbers only masked): the
 * profile's masked one is shown, and the edge prints the full one from its profile.
 */
const phoneView = (c: CertificateState, viewer: VillageUser, look: Pick<GovernanceLookups, 'get'>) => {
  const { template: _template, ...rest } = certificateView(c, c.residentId ? look.get<ResidentState>('resident', c.residentId) : undefined, viewer, { maskIdAlways: true });
  return rest;
};

/** The certificate a command made or changed, as the phone shows it. */
const certificateOf = (v: Village, id: string, viewer: VillageUser) => v.read((look) => phoneView(requireEntity<CertificateState>(look, 'certificate', id, 'certificate'), viewer, look));

export function certificateRoutes(router: PhoneRouter, _ctx: PhoneContext): void {
  router.route({
    method: 'GET',
    url: '/certificate-types',
    summary: 'Certificate types (without their templates)',
    reply: objectSchema({ types: { type: 'array', items: objectSchema({ id: { type: 'string' }, name: { type: 'string' }, active: { type: 'boolean' } }) } }),
    access: 'certificates.request',
    handler: async (_c, v) => ({ types: (await v.read(certificateTypes)).map(({ id, name, active }) => ({ id, name, active })) }),
  });

  router.route<unknown, { status?: string }>({
    method: 'GET',
    url: '/certificates',
    access: 'certificates.request',
    summary: 'Mine; reviewers: all (ID numbers masked)',
    reply: replies.many('certificates', 'Certificate'),
    query: obj({ status: { enum: [...CERTIFICATE_STATUSES] } }),
    handler: async ({ user, query }, v) => ({
      certificates: await v.read((look) =>
        look
          .list<CertificateState>('certificate')
          .filter((c) => (!query.status || c.status === query.status) && canSeeCertificate(user, c))
          .map((c) => phoneView(c, user, look)),
      ),
    }),
  });

  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/certificates/:id',
    summary: 'One certificate (ID number masked)',
    reply: replies.one('certificate', 'Certificate'),
    access: 'certificates.request',
    params: { id: ID },
    handler: async ({ user, params }, v) => {
      return { certificate: await v.read((look) => phoneView(visibleCertificate(look, user, params.id), user, look)) };
    },
  });

  router.route<CertificateRequest>({
    method: 'POST',
    url: '/certificates',
    access: 'certificates.request',
    summary: 'Ask for a certificate (your linked resident profile fills in name, ID number and address)',
    idempotent: true,
    reply: replies.one('certificate', 'Certificate'),
    status: 201,
    body: obj(
      { type: CODE, residentId: ID, applicantName: line(64), idNumber: { type: 'string', pattern: ID_NUMBER_PATTERN }, address: line(200), purpose: line(200), details: text(2000) },
      ['type', 'purpose'],
    ),
    handler: async ({ user, body }, v) => {
      const id = await v.run(certificateCommands.request, user, body);
      return { certificate: await certificateOf(v, id, user) };
    },
  });

  /** The village office decides on the phone; the shared command checks the reviewer and the step. */
  const decide = <B>(path: string, body: object, command: (look: GovernanceLookups, actor: Actor, id: string, input: B) => CommandResult) =>
    router.route<B, unknown, { id: string }>({
      method: 'POST',
      url: `/certificates/:id/${path}`,
      summary: `Certificate: ${path} (reviewers)`,
      reply: replies.one('certificate', 'Certificate'),
      access: 'certificates.review',
      params: { id: ID },
      body,
      handler: async ({ user, body: b, params }, v) => ({ certificate: await certificateOf(v, await v.run(command, user, params.id, b), user) }),
    });
  decide<{ note?: string }>('approve', NOTE_BODY, certificateCommands.approve);
  decide<{ reason: string }>('reject', REASON_BODY, certificateCommands.reject);
}
