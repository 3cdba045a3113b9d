import { Type } from '@fastify/type-provider-typebox';
import { CERTIFICATE_STATUSES, certificateView, seesFullIdNumber, type CertificateState, type ResidentState } from '@cunbox/shared';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../governance/common.ts';
import { renderVerificationPage } from '../../governance/verification-page.ts';
import { actorOf, type Api, type RouteContext } from '../app.ts';
import { Binary, Closed, Many, MsOrNull, One, Ref, StrOrNull } from '../replies.ts';
import { Code, Id, IdParams, Line, NoQuery, NoteBody, Obj, ReasonBody, Text } from '../schemas.ts';
import { ID_NUMBER_PATTERN } from '@cunbox/shared';

const Verification = Closed({
  verification: Closed({
    valid: Type.Boolean(),
    status: Type.Union([Type.Literal('approved'), Type.Literal('revoked')]),
    type: StrOrNull,
    holder: Type.String({ description: 'the holder\'s name, masked' }),
    issuedAt: MsOrNull,
    revokedAt: MsOrNull,
    issuer: StrOrNull,
  }),
});
const VerificationPage = { type: 'string', description: 'a zh-CN HTML page' } as const;

/** JSON for a client that ranks it above HTML (an API client); browsers, and a request that says nothing, get the page. */
function prefersJson(accept: string | undefined): boolean {
  let json = 0;
  let html = 0;
  for (const range of (accept ?? '').toLowerCase().split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === 'application/json') json = Math.max(json, q);
    if (type === 'text/html') html = Math.max(html, q);
  }
  return json > html;
}

/** 证明开具. */
export function certificateRoutes(app: Api, { deps, audit, options }: RouteContext): void {
  const certs = deps.governance.certificates;
  const tags = ['certificates'];

  /** The ID number in full only for reviewers (audited); masked for everyone else, the applicant included. */
  const view = (req: FastifyRequest, list: CertificateState[]) => {
    const a = actorOf(req);
    const shown = list.map((c) => certificateView(c, c.residentId ? deps.governance.store.get<ResidentState>('resident', c.residentId) : undefined, a));
    const withId = shown.filter((c) => c.idNumber !== null).map((c) => c.id);
    if (seesFullIdNumber(a) && withId.length > 0) audit.record({ actor: a.username, role: a.role, action: 'certificate.sensitive_read', target: withId.length === 1 ? `certificate:${withId[0]}` : null, detail: { certificates: withId }, ip: req.ip });
    return shown;
  };

  app.get('/api/certificate-types', { config: { access: 'certificates.request' }, schema: { tags, summary: 'Certificate types and their templates', querystring: NoQuery, response: { 200: Many('types', 'CertificateType') } } }, async () => ({ types: certs.types() }));

  app.put(
    '/api/certificate-types/:code',
    {
      config: { access: 'config.manage' },
      schema: { tags, summary: 'Add or change a type; the template may use {name} {idNumber} {address} {purpose} {details}', params: Obj({ code: Code }), body: Obj({ name: Type.Optional(Line(32)), template: Type.Optional(Text(4000, 1)), active: Type.Optional(Type.Boolean()) }), response: { 200: One('type', 'CertificateType') } },
    },
    async (req) => {
      const a = actorOf(req);
      audit.record({ actor: a.username, role: a.role, action: 'certificate_type.set', target: `certificate_type:${req.params.code}`, detail: { fields: Object.keys(req.body) }, ip: req.ip });
      return { type: certs.setType(a, req.params.code, req.body) };
    },
  );

  app.post(
    '/api/certificates',
    {
      config: { access: 'certificates.request' },
      schema: {
        tags,
        summary: 'Ask for a certificate (your linked resident profile fills in name, ID number and address)',
        body: Obj({
          type: Code,
          residentId: Type.Optional(Id),
          applicantName: Type.Optional(Line(64)),
          idNumber: Type.Optional(Type.String({ pattern: ID_NUMBER_PATTERN })),
          address: Type.Optional(Line(200)),
          purpose: Line(200),
          details: Type.Optional(Text(2000)),
        }),
        response: { 201: One('certificate', 'Certificate') },
      },
    },
    async (req, reply) => {
      void reply.status(201);
      return { certificate: view(req, [certs.request(actorOf(req), req.body)])[0] };
    },
  );

  app.get(
    '/api/certificates',
    { config: { access: 'certificates.request' }, schema: { tags, summary: 'Mine; reviewers: all', querystring: Obj({ status: Type.Optional(Type.Union(CERTIFICATE_STATUSES.map((s) => Type.Literal(s)))) }), response: { 200: Many('certificates', 'Certificate') } } },
    async (req) => ({ certificates: view(req, certs.list(actorOf(req), req.query)) }),
  );

  app.get('/api/certificates/:id', { config: { access: 'certificates.request' }, schema: { tags, summary: 'One certificate', params: IdParams, querystring: NoQuery, response: { 200: One('certificate', 'Certificate') } } }, async (req) => ({
    certificate: view(req, [certs.get(actorOf(req), req.params.id)])[0],
  }));

  app.get('/api/certificates/:id/pdf', { config: { access: 'certificates.request' }, schema: { tags, summary: 'The printable certificate (approved only; audited)', params: IdParams, querystring: NoQuery, response: { 200: Binary('The certificate', 'application/pdf') } } }, async (req, reply) => {
    const a = actorOf(req);
    const c = certs.get(a, req.params.id);
    const pdf = await certs.pdf(a, req.params.id, options.village);
    audit.record({ actor: a.username, role: a.role, action: 'certificate.printed', target: `certificate:${c.id}`, ip: req.ip });
    void reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="certificate-${c.id}.pdf"`);
    return reply.send(pdf);
  });

  const action = <B extends object>(path: string, access: 'certificates.review' | 'certificates.request', summary: string, body: ReturnType<typeof Obj>, run: (a: Actor, id: string, b: B) => CertificateState) =>
    app.post(path, { config: { access }, schema: { tags, summary, params: IdParams, body, response: { 200: One('certificate', 'Certificate') } } }, async (req) => {
      const a = actorOf(req);
      const c = run(a, (req.params as { id: string }).id, req.body as B);
      audit.record({ actor: a.username, role: a.role, action: `certificate.${path.split('/').pop()}`, target: `certificate:${c.id}`, ip: req.ip });
      return { certificate: view(req, [c])[0] };
    });

  action('/api/certificates/:id/start-review', 'certificates.review', 'Start reviewing', Obj({}), (a, id) => certs.startReview(a, id));
  action<{ note?: string }>('/api/certificates/:id/approve', 'certificates.review', 'Approve: issues the verification code', NoteBody, (a, id, b) => certs.approve(a, id, b.note));
  action<{ reason: string }>('/api/certificates/:id/reject', 'certificates.review', 'Reject with a reason', ReasonBody, (a, id, b) => certs.reject(a, id, b.reason));
  action<{ reason: string }>('/api/certificates/:id/revoke', 'certificates.review', 'Revoke an issued certificate (verification then says so)', ReasonBody, (a, id, b) => certs.revoke(a, id, b.reason));
  action<{ purpose?: string; details?: string; address?: string }>(
    '/api/certificates/:id/resubmit',
    'certificates.request',
    'The applicant corrects a rejected request',
    Obj({ purpose: Type.Optional(Line(200)), details: Type.Optional(Text(2000)), address: Type.Optional(Line(200)) }),
    (a, id, b) => certs.resubmit(a, id, b),
  );
  action('/api/certificates/:id/review', 'certificates.review', 'Acknowledge concurrent changes flagged by the merge', Obj({}), (a, id) => certs.review(a, id));

  app.get(
    '/api/public/certificates/:code',
    {
      config: { access: 'public', rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: 'Check a verification code printed on a certificate: a zh-CN page, or JSON with Accept: application/json',
        security: [],
        params: Obj({ code: Type.String({ pattern: '^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z-]{12,16}$' }) }),
        querystring: NoQuery,
        response: {
          200: { description: 'The certificate is known', content: { 'application/json': { schema: Verification }, 'text/html': { schema: VerificationPage } } },
          404: { description: 'No certificate has this code', content: { 'application/json': { schema: Ref('Error') }, 'text/html': { schema: VerificationPage } } },
        },
      },
    },
    async (req, reply) => {
      void reply.header('vary', 'Accept').header('cache-control', 'no-store');
      const issuer = options.village?.issuer ?? null;
      if (prefersJson(req.headers.accept)) return { verification: { ...certs.verify(req.params.code), issuer } };
      const found = certs.lookup(req.params.code);
      void reply
        .status(found ? 200 : 404)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return reply.send(renderVerificationPage(found, req.params.code, options.village));
    },
  );
}
