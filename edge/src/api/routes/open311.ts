import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OPEN311_STATUS, type ServiceAttribute, type TicketCategory, type TicketState } from '@cunbox/shared';
import { CunboxError } from '../../errors.ts';
import { formatW3c } from '../../local-time.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { Code, Id, Obj, Text } from '../schemas.ts';
import { FORMATS, formatOf, sendAs, type Format } from '../open311/format.ts';
import { open311Errors } from '../open311/errors.ts';
import { parseOpen311Form } from '../open311/form.ts';
import { AttributeAnswers, CreatedRequestList, Discovery, open311Response, ServiceDefinition, ServiceList, ServiceRequestList, TokenList } from '../open311/schemas.ts';
import { logFailure } from '../log-failure.ts';

const DAY = 86_400_000;
/** The spec's defaults: a query without dates covers 90 days, and answers at most 1,000 requests. */
const WINDOW_DAYS = 90;
const MAX_PAGE = 1000;
const Decimal = Type.String({ pattern: '^-?\\d{1,3}(\\.\\d{1,12})?$' });
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const SPEC_URL = 'http://wiki.open311.org/GeoReport_v2';

/**
 * Open311 GeoReport v2 over our tickets, in XML and JSON (`.xml` / `.json`).
 * Services are the ticket categories; our eight states map to open/closed
 * (resolved counts as closed, as FixMyStreet's "fixed" does). Reading
 * requests needs an account (api_key or a session): descriptions of village
 * problems are not public. Every failure under /open311 answers in the
 * spec's error shape (docs/design/open311.md).
 */
export async function open311Routes(app: Api, ctx: RouteContext): Promise<void> {
  await app.register(async (plain) => open311Scope(plain.withTypeProvider<TypeBoxTypeProvider>(), ctx), { prefix: '/open311' });
}

async function open311Scope(scope: Api, { deps, options }: RouteContext): Promise<void> {
  const tickets = deps.governance.tickets;
  const tags = ['open311'];
  // GeoReport's times: W3C date-times with the box's offset.
  const w3c = (ms: number | null) => (ms === null ? null : formatW3c(ms, options.timeZone));
  const agency = options.village?.issuer ?? '村民委员会';
  // One box serves one village: its jurisdiction is the host of the village's public address.
  const jurisdiction = new URL(options.village?.verifyBaseUrl ?? options.publicUrl).hostname;
  const JurisdictionId = Type.Optional(Type.String({ maxLength: 253, description: 'this village’s id: the host name of its public address (village.verify_base_url); any other id is refused' }));
  const ApiKey = Type.Optional(Type.String({ maxLength: 128, description: 'an API token (POST /api/tokens); a secret: prefer the Authorization header where the client allows' }));

  scope.setErrorHandler((err, req, reply) => {
    const { status, errors } = open311Errors(err, req.method);
    logFailure(req, err, status);
    void reply.status(status).send(sendAs(reply, formatOf(req.url), 'errors', errors));
  });
  scope.setNotFoundHandler((req, reply) => {
    const errors = [{ code: 404, description: `no such resource: ${req.method} ${req.url.split('?')[0]}` }];
    void reply.status(404).send(sendAs(reply, formatOf(req.url), 'errors', errors));
  });
  // Form fields are the GeoReport way to POST; only under /open311 is a urlencoded body parsed.
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, parseOpen311Form(body as string)));
  scope.addHook('preHandler', async (req) => {
    const asked = (req.query as { jurisdiction_id?: string } | undefined)?.jurisdiction_id ?? (req.body as { jurisdiction_id?: string } | undefined)?.jurisdiction_id;
    // Host names compare without case.
    if (asked !== undefined && asked.toLowerCase() !== jurisdiction) throw new CunboxError('NOT_FOUND', `jurisdiction_id ${asked.slice(0, 64)} is not served here (this is ${jurisdiction})`);
  });

  const service = (c: TicketCategory) => ({
    service_code: c.id,
    service_name: c.name,
    description: `${c.name}（响应时限 ${c.slaMinutes} 分钟）`,
    metadata: c.attributes.length > 0,
    type: 'realtime' as const,
    keywords: '',
    group: '随手拍',
  });
  const attribute = (a: ServiceAttribute) => ({
    variable: a.variable,
    code: a.code,
    datatype: a.datatype,
    required: a.required,
    datatype_description: a.datatypeDescription,
    order: a.order,
    description: a.description,
    values: a.values.map((v) => ({ key: v.key, name: v.name })),
  });
  const notice = (t: { slaMinutes: number }) => `响应时限 ${t.slaMinutes} 分钟`;
  const request = (t: TicketState) => ({
    service_request_id: t.id,
    status: OPEN311_STATUS[t.status],
    status_notes: t.statusNote,
    service_name: t.categoryName,
    service_code: t.category,
    description: t.description,
    agency_responsible: agency,
    service_notice: notice(t),
    requested_datetime: w3c(t.createdAt),
    updated_datetime: w3c(t.updatedAt),
    expected_datetime: w3c(t.deadline),
    address: t.place,
    address_id: null,
    zipcode: null,
    lat: t.lat,
    long: t.lng,
    media_url: t.photos[0] ? `${options.publicUrl}/api/media/${t.photos[0]}` : null,
  });
  const activeCategory = (code: string): TicketCategory => {
    const c = tickets.category(code);
    if (!c || !c.active) throw new CunboxError('NOT_FOUND', `no service ${code}`);
    return c;
  };
  const suffix = (f: Format) => (f === 'json' ? 'Json' : 'Xml');

  for (const format of FORMATS) {
    scope.get(
      `/discovery.${format}`,
      { config: { access: 'public' }, schema: { tags, operationId: `open311Discovery${suffix(format)}`, summary: 'Service discovery: endpoint, formats, changeset, contact', querystring: Obj({}), response: open311Response(format, 200, Discovery, 'discovery') } },
      async (_req, reply) => {
        // Clients re-read service definitions when this changes: the last change of any category.
        const changeset = formatW3c(Math.max(0, ...tickets.categories().map((c) => c.updatedAt ?? 0)), options.timeZone);
        const contact = [agency, options.village?.phone, options.village?.address].filter(Boolean).join('，');
        return sendAs(reply, format, 'discovery', {
          changeset,
          contact,
          key_service: '登录 cunbox 后在“API 令牌”中创建令牌（POST /api/tokens），作为 api_key 使用 / log in and create an API token (POST /api/tokens); send it as api_key',
          endpoints: [{ specification: SPEC_URL, url: `${options.publicUrl}/open311/v2`, changeset, type: 'production', formats: ['text/xml', 'application/json'] }],
        });
      },
    );

    scope.get(
      `/v2/services.${format}`,
      { config: { access: 'public' }, schema: { tags, operationId: `open311ListServices${suffix(format)}`, summary: 'Service list (ticket categories)', querystring: Obj({ jurisdiction_id: JurisdictionId }), response: open311Response(format, 200, ServiceList, 'services') } },
      async (_req, reply) => sendAs(reply, format, 'services', tickets.categories().filter((c) => c.active).map(service)),
    );

    scope.get(
      `/v2/services/:service_code.${format}`,
      {
        config: { access: 'public' },
        schema: { tags, operationId: `open311ServiceDefinition${suffix(format)}`, summary: 'Service definition: the extra questions (attributes) of a category', params: Obj({ service_code: Code }), querystring: Obj({ jurisdiction_id: JurisdictionId }), response: open311Response(format, 200, ServiceDefinition, 'service_definition') },
      },
      async (req, reply) => {
        const c = activeCategory(req.params.service_code);
        return sendAs(reply, format, 'service_definition', { service_code: c.id, attributes: [...c.attributes].sort((a, b) => a.order - b.order).map(attribute) });
      },
    );

    scope.get(
      `/v2/requests.${format}`,
      {
        config: { access: 'tickets.read' },
        schema: {
          tags,
          operationId: `open311ListRequests${suffix(format)}`,
          summary: `Requests, newest first: by default the last ${WINDOW_DAYS} days, ${MAX_PAGE} per page`,
          description: `start_date/end_date bound requested_datetime and may be at most ${WINDOW_DAYS} days apart (one alone: the ${WINDOW_DAYS} days after or before it). page (from 1) and page_size (at most ${MAX_PAGE}) walk longer answers: a page shorter than page_size is the last. With service_request_id, every other filter is ignored.`,
          querystring: Obj({
            api_key: ApiKey,
            jurisdiction_id: JurisdictionId,
            service_request_id: Type.Optional(Type.String({ pattern: `^${ULID}(,${ULID}){0,99}$` })),
            service_code: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}(,[a-z][a-z0-9_]{1,31})*$' })),
            start_date: Type.Optional(Type.String({ format: 'date-time' })),
            end_date: Type.Optional(Type.String({ format: 'date-time' })),
            status: Type.Optional(Type.String({ pattern: '^(open|closed)(,(open|closed))?$' })),
            page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
            page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE })),
          }),
          response: open311Response(format, 200, ServiceRequestList, 'service_requests'),
        },
      },
      async (req, reply) => {
        const q = req.query;
        if (q.service_request_id) {
          const found = q.service_request_id.split(',').flatMap((id) => {
            const t = deps.governance.store.get<TicketState>('ticket', id);
            return t ? [request(t)] : [];
          });
          return sendAs(reply, format, 'service_requests', found);
        }
        const startGiven = q.start_date === undefined ? undefined : Date.parse(q.start_date);
        const endGiven = q.end_date === undefined ? undefined : Date.parse(q.end_date);
        const end = endGiven ?? (startGiven === undefined ? deps.clock.now() : startGiven + WINDOW_DAYS * DAY);
        const start = startGiven ?? end - WINDOW_DAYS * DAY;
        if (start > end) throw new CunboxError('INVALID_INPUT', 'start_date is after end_date');
        if (end - start > WINDOW_DAYS * DAY) throw new CunboxError('INVALID_INPUT', `start_date and end_date may be at most ${WINDOW_DAYS} days apart`);
        const codes = q.service_code ? new Set(q.service_code.split(',')) : null;
        const statuses = q.status ? new Set(q.status.split(',')) : null;
        const size = q.page_size ?? MAX_PAGE;
        const from = ((q.page ?? 1) - 1) * size;
        const page = tickets
          .list({ since: start, until: end })
          .filter((t) => (!codes || codes.has(t.category ?? '')) && (!statuses || statuses.has(OPEN311_STATUS[t.status])))
          .slice(from, from + size);
        return sendAs(reply, format, 'service_requests', page.map(request));
      },
    );

    scope.get(
      `/v2/requests/:id.${format}`,
      {
        config: { access: 'tickets.read' },
        schema: { tags, operationId: `open311GetRequest${suffix(format)}`, summary: 'One request (as a one-element list)', params: Obj({ id: Id }), querystring: Obj({ api_key: ApiKey, jurisdiction_id: JurisdictionId }), response: open311Response(format, 200, ServiceRequestList, 'service_requests') },
      },
      async (req, reply) => sendAs(reply, format, 'service_requests', [request(tickets.get(req.params.id))]),
    );

    scope.get(
      `/v2/tokens/:token.${format}`,
      {
        config: { access: 'tickets.read' },
        schema: {
          tags,
          operationId: `open311RequestIdFromToken${suffix(format)}`,
          summary: 'Request id from a token',
          description: 'Requests are created at once (type realtime), so no POST answers with a token; a client that asks anyway with a request id gets that id back.',
          params: Obj({ token: Id }),
          querystring: Obj({ api_key: ApiKey, jurisdiction_id: JurisdictionId }),
          response: open311Response(format, 200, TokenList, 'service_requests'),
        },
      },
      async (req, reply) => {
        const t = deps.governance.store.get<TicketState>('ticket', req.params.token);
        if (!t) throw new CunboxError('NOT_FOUND', `no request for token ${req.params.token}`);
        return sendAs(reply, format, 'service_requests', [{ service_request_id: t.id, token: req.params.token }]);
      },
    );

    scope.post(
      `/v2/requests.${format}`,
      {
        config: { access: 'tickets.create', apiKeyInBody: true },
        schema: {
          tags,
          operationId: `open311CreateRequest${suffix(format)}`,
          summary: 'Create a request (api_key: an API token)',
          description:
            'Form fields (application/x-www-form-urlencoded) or JSON. A location is needed: lat and long, or address_string. Personal fields (email, name, phone, device_id, account_id) are accepted for compatibility and not stored; media_url is not fetched: upload photos through /api/media.',
          querystring: Obj({}),
          body: Obj({
            api_key: ApiKey,
            jurisdiction_id: JurisdictionId,
            service_code: Code,
            lat: Type.Optional(Type.Union([Decimal, Type.Number({ minimum: -90, maximum: 90 })])),
            long: Type.Optional(Type.Union([Decimal, Type.Number({ minimum: -180, maximum: 180 })])),
            address_string: Type.Optional(Text(200, 1)),
            address_id: Type.Optional(Text(64)),
            description: Text(4000, 1),
            attribute: Type.Optional(AttributeAnswers),
            email: Type.Optional(Text(200)),
            device_id: Type.Optional(Text(200)),
            account_id: Type.Optional(Text(200)),
            first_name: Type.Optional(Text(100)),
            last_name: Type.Optional(Text(100)),
            phone: Type.Optional(Text(50)),
            media_url: Type.Optional(Text(1000)),
          }),
          response: open311Response(format, 201, CreatedRequestList, 'service_requests'),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const lat = b.lat === undefined ? null : Number(b.lat);
        const lng = b.long === undefined ? null : Number(b.long);
        if ((lat === null) !== (lng === null)) throw new CunboxError('INVALID_INPUT', 'lat and long go together');
        if ((lat !== null && Math.abs(lat) > 90) || (lng !== null && Math.abs(lng) > 180)) throw new CunboxError('INVALID_INPUT', 'lat/long out of range');
        if (lat === null && b.address_string === undefined) {
          throw new CunboxError('INVALID_INPUT', b.address_id === undefined ? 'a location is needed: lat and long, or address_string' : 'address_id is not known here: send lat and long, or address_string');
        }
        const t = tickets.create(actorOf(req), { category: b.service_code, description: b.description, lat, lng, place: b.address_string ?? null, attributes: b.attribute ?? {} });
        void reply.status(201);
        return sendAs(reply, format, 'service_requests', [{ service_request_id: t.id, service_notice: notice(t), account_id: null }]);
      },
    );
  }
}
