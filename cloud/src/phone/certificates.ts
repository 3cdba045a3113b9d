/**
 * 证明开具 on the phone: list (mine; reviewers all) and request, by the shared
 * certificate commands and view. The ID number is always masked here (the edge shows it in full only
 * to reviewers, audited; the phone API not at all).
 */
import { CERTIFICATE_PDF_KIND, certificatePdfRef, CERTIFICATE_STATUSES, canSeeCertificate, certificateCommands, certificateTypes, certificateView, objectSchema, visibleCertificate, type CertificateRequest, ID_NUMBER_PATTERN, type CertificateState, type ResidentState, type Actor, type CommandResult, type GovernanceLookups, requireEntity } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { CloudMedia } from '../media.ts';
import { sendFile } from '../media-routes.ts';
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

/** The PDF the village's edge rendered for phones when the certificate was approved (edge/src/sync/certificate-pdfs.ts), once it reached the cloud. */
const certificatePdf = async (media: CloudMedia, villageId: number, id: string) => {
  const m = await media.find(villageId, certificatePdfRef(id));
  return m?.kind === CERTIFICATE_PDF_KIND ? m : undefined;
};

/** The phone's view with whether its PDF can be downloaded: 'ready', 'pending' (approved, not arrived yet) or null (not approved). */
const withPdf = async <T extends { id: string; status: string }>(view: T, media: CloudMedia | undefined, villageId: number) => ({
  ...view,
  pdf: view.status === 'approved' ? (media && (await certificatePdf(media, villageId, view.id)) ? ('ready' as const) : ('pending' as const)) : null,
});

export function certificateRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  /** The certificate a command made or changed, as the phone shows it. */
  const certificateOf = async (v: Village, id: string, viewer: VillageUser) =>
    withPdf(await v.read((look) => phoneView(requireEntity<CertificateState>(look, 'certificate', id, 'certificate'), viewer, look)), ctx.media, v.id);
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
      certificates: await Promise.all(
        (
          await v.read((look) =>
            look
              .list<CertificateState>('certificate')
              .filter((c) => (!query.status || c.status === query.status) && canSeeCertificate(user, c))
              .map((c) => phoneView(c, user, look)),
          )
        ).map((c) => withPdf(c, ctx.media, v.id)),
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
      return { certificate: await withPdf(await v.read((look) => phoneView(visibleCertificate(look, user, params.id), user, look)), ctx.media, v.id) };
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
  if (ctx.media) certificatePdfRoute(router, ctx, ctx.media);
}

/**
 * The approved certificate's PDF, to whoever may see the certificate (the
 * requester, reviewers), while it stays approved: a revoked one is not served
 * again. Each download is audited.
 */
function certificatePdfRoute(router: PhoneRouter, ctx: PhoneContext, media: CloudMedia): void {
  router.route<unknown, unknown, { id: string }>({
    method: 'GET',
    url: '/certificates/:id/pdf',
    access: 'certificates.request',
    params: { id: ID },
    summary: 'The approved certificate as PDF (ID number masked; the office prints the full one). 409 unless approved; 404 while the village\'s box has not sent it yet',
    reply: replies.binary('The certificate', 'application/pdf'),
    handler: async (call, v, reply) => {
      const c = await v.read((look) => visibleCertificate(look, call.user, call.params.id));
      if (c.status !== 'approved') throw ctx.fail('INVALID_TRANSITION', `certificate ${c.id} is ${c.status}: only an approved certificate has a PDF`);
      const file = await certificatePdf(media, v.id, c.id);
      if (!file) throw ctx.fail('NOT_FOUND', `the PDF of certificate ${c.id} is still being made at the village office and has not reached the cloud yet`);
      await v.audit(call, 'certificate.pdf', `certificate:${c.id}`, { outcome: 'served', sha256: file.sha256 });
      // Not cached: the same address stops answering once the certificate is revoked.
      return sendFile(reply, file, { cacheControl: 'private, no-store', filename: `certificate-${c.id}.pdf` });
    },
  });
}
