import { XMLParser } from 'fast-xml-parser';
import type { Client, Reply } from './api.ts';

/** Reading GeoReport v2 answers in tests: XML parsed by a real parser, compared with the JSON answer. */

/** Elements that are list items, so a single one still parses as a list. */
const LISTS = new Set(['services.service', 'service_requests.request', 'errors.error', 'service_definition.attributes.attribute', 'service_definition.attributes.attribute.values.value', 'discovery.endpoints.endpoint', 'discovery.endpoints.endpoint.formats.format']);
const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: false, ignoreAttributes: false, isArray: (_name, jpath) => LISTS.has(String(jpath)) });

/** The document's root element and its content, every value as text. */
export function parseXml(r: Reply): { decl: Record<string, string>; root: string; body: any } {
  const doc = parser.parse(r.raw.toString('utf8')) as Record<string, any>;
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1) throw new Error(`expected one root element, got ${roots.join(',')}`);
  return { decl: doc['?xml'], root: roots[0]!, body: doc[roots[0]!] };
}

/** What a JSON answer reads as once written as XML text (lists wrapped by their item element). */
const ITEM: Record<string, string> = { services: 'service', service_requests: 'request', errors: 'error', attributes: 'attribute', values: 'value', endpoints: 'endpoint', formats: 'format' };
export function asXmlText(key: string, v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? '' : { [ITEM[key]!]: v.map((x) => asXmlText(ITEM[key]!, x)) };
  if (v === null) return '';
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, asXmlText(k, x)]));
  return String(v);
}

/** The same resource in both formats. */
export async function both(c: Client, path: string): Promise<{ json: Reply; xml: Reply }> {
  return { json: await c.get(`${path}.json`), xml: await c.get(`${path}.xml`) };
}

/** A form-encoded POST body, as GeoReport clients send it. */
export const form = (fields: Record<string, string> | Array<[string, string]>) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
