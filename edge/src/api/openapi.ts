import type { RouteOptions } from 'fastify';
import { operationIdOf } from '@cunbox/shared';
import { COMPONENTS, Ref } from './replies.ts';
import type { Api } from './app.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A multipart upload: the form field that carries the file (documented as the request body). */
    upload?: { field: string; description: string };
  }
}

/**
 * What every route's schema gets before it is registered: an operationId
 * derived from method and path unless it names one, and the error reply for
 * every 4xx and 5xx (the error handler answers every route so). Each route
 * documents its own success reply(ies); scripts/openapi/contract.test.ts
 * fails for one that does not.
 */
export function documentRoute(route: RouteOptions): void {
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  if (route.url.startsWith('/docs')) return;
  const schema = { ...(route.schema ?? {}) } as Record<string, unknown>;
  schema.operationId ??= operationIdOf(method, route.url);
  schema.response = { '4xx': Ref('Error'), '5xx': Ref('Error'), ...(schema.response as object | undefined) };
  route.schema = schema;
}

/**
 * For @fastify/swagger's transformObject: `freeText` (our Ajv keyword for
 * cleaned free text) is no JSON Schema keyword; the document says it as the
 * extension `x-free-text`, which generators and linters accept.
 */
export function withExtensions<T>(doc: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => (k === 'freeText' ? ['x-free-text', x] : [k, walk(x)])));
  };
  return walk(doc) as T;
}

/** For @fastify/swagger's transform: an upload's file field becomes a multipart/form-data request body. */
export function withUploadBody(schema: Record<string, unknown>, config: unknown): Record<string, unknown> {
  const upload = (config as { upload?: { field: string; description: string } } | undefined)?.upload;
  if (!upload) return schema;
  return { ...schema, consumes: ['multipart/form-data'], body: { type: 'object', required: [upload.field], properties: { [upload.field]: { type: 'string', format: 'binary', description: upload.description } } } };
}

/** Named reply shapes (replies.ts) become #/components/schemas/<name>. */
export function addComponents(app: Api): void {
  for (const c of COMPONENTS) app.addSchema(c);
}

/**
 * Replies are serialized with JSON.stringify, not compiled from the response
 * schema: a compiled serializer drops every field its schema does not name,
 * and a reply must never lose data because its documentation lags behind.
 * The tests hold the documentation to what is sent instead.
 */
export const plainJson = () => (data: unknown) => JSON.stringify(data);

/** Local references keep the component's name ($id) instead of def-0, def-1… */
export const refResolver = { buildLocalReference: (json: { $id?: unknown }, _base: unknown, _fragment: string, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) };
