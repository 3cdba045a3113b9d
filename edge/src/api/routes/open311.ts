import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OPEN311_STATUS, CHINA_OFFSET_MS, type TicketState } from '@cunbox/shared';
import { CunboxError } from '../../errors.ts';
import { actorOf, type Api, type RouteContext } from '../app.ts';
import { Closed, Str, StrOrNull } from '../replies.ts';
import { Code, Id, NoQuery, Obj, Text } from '../schemas.ts';

/** ISO 8601 with the village's time zone, as GeoReport v2 asks. */
export function isoChina(ms: number | null): string | null {
  return ms === null ? null : `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

const DAY = 86_400_000;
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const Service = Closed({ service_code: Str, service_name: Str, description: Str, metadata: Type.Boolean(), type: Type.Literal('realtime'), keywords: Str, group: Str }, { $id: 'Open311Service' });
const ServiceRequest = Closed(
  {
    service_request_id: Str,
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    status_notes: StrOrNull,
    service_name: StrOrNull,
    service_code: StrOrNull,
    description: Str,
    agency_responsible: Str,
    service_notice: Str,
    requested_datetime: StrOrNull,
    updated_datetime: StrOrNull,
    expected_datetime: StrOrNull,
    address: StrOrNull,
    address_id: Type.Null(),
    zipcode: Type.Null(),
    lat: NumOrNull,
    long: NumOrNull,
    media_url: StrOrNull,
  },
  { $id: 'Open311Request' },
);
const Created = Type.Array(Closed({ service_request_id: Str, service_notice: Str, account_id: Type.Null() }));
const Decimal = Type.String({ pattern: '^-?\\d{1,3}(\\.\\d{1,12})?$' });

/**
 * Open311 GeoReport v2 over our tickets (JSON only): services are the ticket
 * categories; our eight states map to open/closed (resolved counts as
 * closed, as FixMyStreet's "fixed" does). Reading requests needs an account
 * (api_key or a session): descriptions of village problems are not public.
 */
export function open311Routes(app: Api, { deps, options }: RouteContext): void {
  const tickets = deps.governance.tickets;
  const tags = ['open311'];

  const service = (c: { id: string; name: string; slaMinutes: number }) => ({
    service_code: c.id,
    service_name: c.name,
    description: `${c.name}（响应时限 ${c.slaMinutes} 分钟）`,
    metadata: false,
    type: 'realtime' as const,
    keywords: '',
    group: '随手拍',
  });
  const request = (t: TicketState) => ({
    service_request_id: t.id,
    status: OPEN311_STATUS[t.status],
    status_notes: t.statusNote,
    service_name: t.categoryName,
    service_code: t.category,
    description: t.description,
    agency_responsible: options.village?.issuer ?? '村民委员会',
    service_notice: `响应时限 ${t.slaMinutes} 分钟`,
    requested_datetime: isoChina(t.createdAt),
    updated_datetime: isoChina(t.updatedAt),
    expected_datetime: isoChina(t.deadline),
    address: t.place,
    address_id: null,
    zipcode: null,
    lat: t.lat,
    long: t.lng,
    media_url: t.photos[0] ? `${options.publicUrl}/api/media/${t.photos[0]}` : null,
  });

  app.get('/open311/v2/services.json', { config: { access: 'public' }, schema: { tags, summary: 'Service list (ticket categories)', querystring: Obj({ jurisdiction_id: Type.Optional(Text(64)) }), response: { 200: Type.Array(Service) } } }, async () =>
    tickets.categories().filter((c) => c.active).map(service),
  );

  app.get(
    '/open311/v2/services/:service_code.json',
    { config: { access: 'public' }, schema: { tags, summary: 'Service definition (no extra attributes)', params: Obj({ service_code: Code }), querystring: Obj({ jurisdiction_id: Type.Optional(Text(64)) }), response: { 200: Closed({ service_code: Str, attributes: Type.Array(Type.Unknown(), { maxItems: 0 }) }) } } },
    async (req) => {
      const c = tickets.category(req.params.service_code);
      if (!c || !c.active) throw new CunboxError('NOT_FOUND', `no service ${req.params.service_code}`);
      return { service_code: c.id, attributes: [] };
    },
  );

  app.get(
    '/open311/v2/requests.json',
    {
      config: { access: 'tickets.read' },
      schema: {
        tags,
        summary: 'Requests: default the last 90 days, at most 1,000',
        querystring: Obj({
          api_key: Type.Optional(Text(128)),
          jurisdiction_id: Type.Optional(Text(64)),
          service_request_id: Type.Optional(Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}(,[0-9A-HJKMNP-TV-Z]{26}){0,99}$' })),
          service_code: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}(,[a-z][a-z0-9_]{1,31})*$' })),
          start_date: Type.Optional(Type.String({ format: 'date-time' })),
          end_date: Type.Optional(Type.String({ format: 'date-time' })),
          status: Type.Optional(Type.String({ pattern: '^(open|closed)(,(open|closed))?$' })),
        }),
        response: { 200: Type.Array(ServiceRequest) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.service_request_id) {
        return q.service_request_id.split(',').flatMap((id) => {
          const t = deps.governance.store.get<TicketState>('ticket', id);
          return t ? [request(t)] : [];
        });
      }
      const end = q.end_date ? Date.parse(q.end_date) : deps.clock.now();
      const start = q.start_date ? Date.parse(q.start_date) : end - 90 * DAY;
      const codes = q.service_code ? new Set(q.service_code.split(',')) : null;
      const statuses = q.status ? new Set(q.status.split(',')) : null;
      return tickets
        .list({ since: start, until: end })
        .filter((t) => (!codes || codes.has(t.category ?? '')) && (!statuses || statuses.has(OPEN311_STATUS[t.status])))
        .slice(0, 1000)
        .map(request);
    },
  );

  app.get(
    '/open311/v2/requests/:id.json',
    { config: { access: 'tickets.read' }, schema: { tags, summary: 'One request (as a one-element list)', params: Obj({ id: Id }), querystring: Obj({ api_key: Type.Optional(Text(128)), jurisdiction_id: Type.Optional(Text(64)) }), response: { 200: Type.Array(ServiceRequest, { minItems: 1, maxItems: 1 }) } } },
    async (req) => [request(tickets.get(req.params.id))],
  );

  // POST takes form fields (the GeoReport way) or JSON; only here is a urlencoded body parsed.
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      const out: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
      done(null, out);
    });
    scope.post(
      '/open311/v2/requests.json',
      {
        config: { access: 'tickets.create', apiKeyInBody: true },
        schema: {
          tags,
          summary: 'Create a request (api_key: an API token)',
          description: 'Personal fields (email, name, phone, device) are accepted for compatibility and not stored; media_url is not fetched: upload photos through /api/media.',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          querystring: NoQuery,
          body: Obj({
            api_key: Type.Optional(Text(128)),
            jurisdiction_id: Type.Optional(Text(64)),
            service_code: Code,
            lat: Type.Optional(Type.Union([Decimal, Type.Number({ minimum: -90, maximum: 90 })])),
            long: Type.Optional(Type.Union([Decimal, Type.Number({ minimum: -180, maximum: 180 })])),
            address_string: Type.Optional(Text(200, 1)),
            address_id: Type.Optional(Text(64)),
            description: Text(4000, 1),
            email: Type.Optional(Text(200)),
            device_id: Type.Optional(Text(200)),
            account_id: Type.Optional(Text(200)),
            first_name: Type.Optional(Text(100)),
            last_name: Type.Optional(Text(100)),
            phone: Type.Optional(Text(50)),
            media_url: Type.Optional(Text(1000)),
          }),
          response: { 201: Created },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const lat = b.lat === undefined ? null : Number(b.lat);
        const lng = b.long === undefined ? null : Number(b.long);
        if ((lat !== null && Math.abs(lat) > 90) || (lng !== null && Math.abs(lng) > 180)) throw new CunboxError('INVALID_INPUT', 'lat/long out of range');
        const t = tickets.create(actorOf(req), { category: b.service_code, description: b.description, lat, lng, place: b.address_string ?? null });
        void reply.status(201);
        return [{ service_request_id: t.id, service_notice: `响应时限 ${t.slaMinutes} 分钟`, account_id: null }];
      },
    );
  });
}
