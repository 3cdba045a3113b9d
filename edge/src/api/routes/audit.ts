import { Type } from '@fastify/type-provider-typebox';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { auditCsv } from '../audit-export.ts';
import { Binary, Closed } from '../replies.ts';
import { EpochMs, NoQuery, Obj } from '../schemas.ts';

const Verification = Closed({
  ok: Type.Boolean(),
  rows: Type.Integer(),
  firstId: Type.Union([Type.Integer(), Type.Null()]),
  lastId: Type.Union([Type.Integer(), Type.Null()]),
  head: Type.Union([Type.String(), Type.Null()], { description: 'the chain\'s newest hash: note it elsewhere to detect a cut-off tail later' }),
  broken: Type.Optional(Closed({ id: Type.Integer(), reason: Type.Union([Type.Literal('edited'), Type.Literal('missing-before'), Type.Literal('unsealed'), Type.Literal('base-forged')]) })),
});

const tags = ['audit'];

/** Checking and handing out the audit trail (the list itself is GET /api/audit). */
export async function auditRoutes(app: Api, { deps: { audit } }: RouteContext): Promise<void> {
  app.get(
    '/api/audit/verify',
    { config: { access: 'audit.read' }, schema: { tags, summary: 'Verify the audit chain: ok, or the first row that was edited or removed', querystring: NoQuery, response: { 200: Verification } } },
    async () => audit.verify(),
  );

  app.get(
    '/api/audit/export',
    {
      config: { access: 'audit.read' },
      schema: {
        tags,
        summary: 'The audit rows of a time range with their chain hashes, oldest first, as a CSV or JSON-lines download (the export is audited)',
        querystring: Obj({ from: Type.Optional(EpochMs), to: Type.Optional(EpochMs), format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')])) }),
        response: { 200: Binary('The rows with their chain hashes', 'text/csv', 'application/x-ndjson') },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const { from, to, format = 'csv' } = req.query;
      audit.record({ actor: a.username, role: a.role, action: 'audit.exported', detail: { from: from ?? null, to: to ?? null, format }, ip: req.ip });
      const rows = audit.export({ from, to });
      const body = format === 'csv' ? auditCsv(rows) : [...rows].map((r) => `${JSON.stringify(r)}\n`).join('');
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="cunbox-audit.${format}"`)
        .send(body);
    },
  );
}
