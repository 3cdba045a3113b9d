import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ATTRIBUTE_CODE_PATTERN, ATTRIBUTE_DATATYPES } from '@cunbox/shared';
import { Nullable } from '../schemas.ts';
import { CONTENT_TYPE, type Format } from './format.ts';

/** Response bodies of the GeoReport v2 view (JSON); the XML answers carry the same fields. */

const W3CDateTime = Type.String({ description: 'W3C date-time with the box’s offset, e.g. 2026-05-11T09:00:00+08:00' });

const Open311ErrorList = Type.Array(Type.Object({ code: Type.Integer({ description: 'the HTTP status' }), description: Type.String() }), {
  description: 'GeoReport error list; in XML <errors><error><code/><description/></error></errors>',
});

export const ServiceList = Type.Array(
  Type.Object({
    service_code: Type.String(),
    service_name: Type.String(),
    description: Type.String(),
    metadata: Type.Boolean({ description: 'true: the service definition has attributes' }),
    type: Type.Literal('realtime'),
    keywords: Type.String(),
    group: Type.String(),
  }),
);

export const ServiceDefinition = Type.Object({
  service_code: Type.String(),
  attributes: Type.Array(
    Type.Object({
      variable: Type.Boolean(),
      code: Type.String(),
      datatype: Type.Union(ATTRIBUTE_DATATYPES.map((d) => Type.Literal(d))),
      required: Type.Boolean(),
      datatype_description: Nullable(Type.String()),
      order: Type.Integer(),
      description: Type.String(),
      values: Type.Array(Type.Object({ key: Type.String(), name: Type.String() })),
    }),
  ),
});

export const ServiceRequestList = Type.Array(
  Type.Object({
    service_request_id: Type.String(),
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    status_notes: Nullable(Type.String()),
    service_name: Nullable(Type.String()),
    service_code: Nullable(Type.String()),
    description: Type.String(),
    agency_responsible: Type.String(),
    service_notice: Type.String(),
    requested_datetime: Nullable(W3CDateTime),
    updated_datetime: Nullable(W3CDateTime),
    expected_datetime: Nullable(W3CDateTime),
    address: Nullable(Type.String()),
    address_id: Type.Null(),
    zipcode: Type.Null(),
    lat: Nullable(Type.Number()),
    long: Nullable(Type.Number()),
    media_url: Nullable(Type.String()),
  }),
);

export const CreatedRequestList = Type.Array(Type.Object({ service_request_id: Type.String(), service_notice: Type.String(), account_id: Type.Null() }));

export const TokenList = Type.Array(Type.Object({ service_request_id: Type.String(), token: Type.String() }));

export const Discovery = Type.Object({
  changeset: W3CDateTime,
  contact: Type.String(),
  key_service: Type.String(),
  endpoints: Type.Array(Type.Object({ specification: Type.String(), url: Type.String(), changeset: W3CDateTime, type: Type.String(), formats: Type.Array(Type.String()) })),
});

/** Form or JSON field: `attribute[code]` answers, gathered by the form parser. */
export const AttributeAnswers = Type.Record(Type.String({ pattern: ATTRIBUTE_CODE_PATTERN }), Type.Union([Type.String({ maxLength: 4000, freeText: true }), Type.Array(Type.String({ maxLength: 200, freeText: true }), { maxItems: 50 })]), {
  description: 'answers to the service definition’s attributes, sent as attribute[code]=value (attribute[code][]=value for each choice of a multivaluelist)',
});

/**
 * The `response` part of a route schema: the JSON shape under .json, a
 * documented text/xml string under .xml (the XML is built from the same
 * object, so the shapes cannot drift apart).
 */
export function open311Response(format: Format, ok: 200 | 201, body: TSchema, xmlRoot: string): Record<string, unknown> {
  if (format === 'json') return { [ok]: body, '4xx': Open311ErrorList, '5xx': Open311ErrorList };
  const xml = (description: string) => ({ description, content: { [CONTENT_TYPE.xml.split(';')[0]!]: { schema: Type.String() } } });
  return { [ok]: xml(`<${xmlRoot}> document with the fields of the JSON answer`), '4xx': xml('<errors> document'), '5xx': xml('<errors> document') };
}

/** A category's extra questions as an administrator sets them (PUT /api/ticket-categories/:code). */
export const CategoryAttributes = Type.Array(
  Type.Object(
    {
      code: Type.String({ pattern: ATTRIBUTE_CODE_PATTERN }),
      description: Type.String({ minLength: 1, maxLength: 200, freeText: true }),
      datatype: Type.Union(ATTRIBUTE_DATATYPES.map((d) => Type.Literal(d))),
      required: Type.Boolean(),
      variable: Type.Boolean(),
      order: Type.Integer({ minimum: 0, maximum: 1000 }),
      datatypeDescription: Nullable(Type.String({ maxLength: 200, freeText: true })),
      values: Type.Array(Type.Object({ key: Type.String({ minLength: 1, maxLength: 64, freeText: true }), name: Type.String({ minLength: 1, maxLength: 100, freeText: true }) }, { additionalProperties: false }), { maxItems: 100 }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 50, description: 'Open311 service definition attributes; list datatypes need values' },
);
