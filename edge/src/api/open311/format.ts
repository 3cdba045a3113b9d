import { XMLBuilder } from 'fast-xml-parser';
import type { FastifyReply } from 'fastify';

/** GeoReport's two formats, chosen by the resource's extension. */
export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** The format a URL asks for; anything but `.xml` answers in JSON. */
export function formatOf(url: string): Format {
  return url.split('?')[0]!.endsWith('.xml') ? 'xml' : 'json';
}

/**
 * A JSON list becomes a wrapper element holding one element per item, named
 * as the spec's XML examples name them (`<services><service>…`). The same
 * names serve top-level lists (by root) and lists inside an object (by key).
 */
const ITEM_ELEMENT: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
};

const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, processEntities: true, format: false });

/** The tree fast-xml-parser builds from: lists wrapped, booleans as the spec writes them, nulls as empty elements. */
function toTree(key: string, value: unknown): unknown {
  if (Array.isArray(value)) {
    const item = ITEM_ELEMENT[key];
    if (!item) throw new Error(`no XML element name for items of ${key}`);
    return value.length === 0 ? '' : { [item]: value.map((v) => toTree(item, v)) };
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toTree(k, v);
    return out;
  }
  return value;
}

/** A response document in XML: the declaration with its encoding, then `root`. */
function toXml(root: string, value: unknown): string {
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: toTree(root, value) }) as string;
}

/** Sends `value` as JSON, or as XML under `root`, with the spec's content type. */
export function sendAs(reply: FastifyReply, format: Format, root: string, value: unknown): unknown {
  void reply.type(CONTENT_TYPE[format]);
  return format === 'xml' ? toXml(root, value) : value;
}
