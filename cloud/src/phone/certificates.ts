/**
 * 证明开具 on the phone: list (mine; reviewers all) and request, with the edge's
 * rules. The ID number is always masked here (the edge shows it in full only
 * to reviewers, audited; the phone API not at all).
 */
import { CERTIFICATE_STATUSES, certificateIdNumber, certificateRequestDraft, objectSchema, type CertificateRequest, DEFAULT_CERTIFICATE_TYPES, ID_NUMBER_PATTERN, maskIdNumber, type CertificateState, type CertificateType, type ResidentState } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import type { PhoneRouter } from './api.ts';
import { CODE, ID, line, obj, text, type PhoneContext, type Village } from './context.ts';
import { replies } from '../openapi.ts';

const REVIEWERS = new Set(['admin', 'cadre']);

/**
 * Without the template (server-side rendering detail) and with the ID number masked.
 * A request made here carries none (the cloud holds ID numbers only masked): the
 * profile's masked one is shown, and the edge prints the full one from its profile.
 */
const certificateView = (c: CertificateState, v: Village) => {
  const { template: _template, ...rest } = c;
  return { ...rest, idNumber: maskIdNumber(certificateIdNumber(c, c.residentId ? v.get<ResidentState>('resident', c.residentId) : undefined)) };
};

export function certificateRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const mine = (u: VillageUser, c: CertificateState) => REVIEWERS.has(u.role) || c.createdBy === u.username;

  router.route({
    method: 'GET',
    url: '/certificate-types',
    summary: 'Certificate types (without their templates)',
    reply: objectSchema({ types: { type: 'array', items: objectSchema({ id: { type: 'string' }, name: { type: 'string' }, active: { type: 'boolean' } }) } }),
    access: 'certificates.request',
    handler: async (_c, v) => {
      const codes = new Set([...Object.keys(DEFAULT_CERTIFICATE_TYPES), ...v.list<CertificateType>('certificate_type').map((c) => c.id)]);
      return { types: [...codes].sort().map((code) => v.getOrInit<CertificateType>('certificate_type', code)).map(({ id, name, active }) => ({ id, name, active })) };
    },
  });

  router.route<unknown, { status?: string }>({
    method: 'GET',
    url: '/certificates',
    access: 'certificates.request',
    summary: 'Mine; reviewers: all (ID numbers masked)',
    reply: replies.many('certificates', 'Certificate'),
    query: obj({ status: { enum: [...CERTIFICATE_STATUSES] } }),
    handler: async ({ user, query }, v) => ({
      certificates: v
        .list<CertificateState>('certificate')
        .filter((c) => (!query.status || c.status === query.status) && mine(user, c))
        .map((c) => certificateView(c, v)),
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
      const c = v.require<CertificateState>('certificate', params.id, 'certificate');
      if (!mine(user, c)) throw ctx.fail('NOT_FOUND', `no certificate ${params.id}`);
      return { certificate: certificateView(c, v) };
    },
  });

  router.route<CertificateRequest>({
    method: 'POST',
    url: '/certificates',
    access: 'certificates.request',
    summary: 'Ask for a certificate (your linked resident profile fills in name, ID number and address)',
    reply: replies.one('certificate', 'Certificate'),
    status: 201,
    body: obj(
      { type: CODE, residentId: ID, applicantName: line(64), idNumber: { type: 'string', pattern: ID_NUMBER_PATTERN }, address: line(200), purpose: line(200), details: text(2000) },
      ['type', 'purpose'],
    ),
    handler: async ({ user, body: input }, v) => {
      const type = v.getOrInit<CertificateType>('certificate_type', input.type);
      if (!type.exists || !type.active) throw ctx.fail('INVALID_INPUT', `type: no active certificate type ${input.type}`);
      let profile: ResidentState | undefined;
      if (input.residentId !== undefined) {
        profile = v.require<ResidentState>('resident', input.residentId, 'resident');
        if (profile.username !== user.username && !REVIEWERS.has(user.role)) throw ctx.fail('FORBIDDEN', 'you can ask for certificates only for yourself');
      } else {
        profile = v.list<ResidentState>('resident').find((r) => r.username === user.username);
      }
      const applicantName = input.applicantName ?? profile?.name;
      if (!applicantName) throw ctx.fail('INVALID_INPUT', 'applicantName: required when the account is not linked to a resident profile');
      const id = v.newId();
      v.commit(user.username, [certificateRequestDraft(id, type, profile, input, applicantName)]);
      return { certificate: certificateView(v.require<CertificateState>('certificate', id, 'certificate'), v) };
    },
  });
}
