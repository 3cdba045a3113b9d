import { STATUS_CODES } from 'node:http';

/**
 * The OpenAPI operationId of a route that names none: the method, then each
 * path segment in PascalCase (`:id` reads `ById`, a file suffix is a word).
 * Derived from what makes a route unique (method and path), so it is unique and
 * changes only when the route does: `GET /api/tickets/:id/history` →
 * `getTicketsByIdHistory`. The `/api` prefix every route shares is left out.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s, i) => s !== '' && !(i === 1 && s === 'api'))
    .flatMap((segment) => segment.split(/(?=:)/))
    .flatMap((part) => (part.startsWith(':') ? ['by', ...part.slice(1).split(/[^A-Za-z0-9]+/)] : part.split(/[^A-Za-z0-9]+/)))
    .filter((w) => w !== '');
  const pascal = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  return method.toLowerCase() + words.map((w) => pascal(w.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()))).join('');
}

/** A route as fastify's onRoute hook passes it (only what is read here). */
interface RouteLike {
  url: string;
  method: string | string[];
  schema?: object;
}

/**
 * What every route's schema gets before it is registered (an onRoute hook of
 * the edge and of the cloud): its operationId unless it names one, and the
 * error reply for every 4xx and 5xx (each server's error handler answers every
 * route so). Each route documents its own success reply; the contract test
 * (scripts/openapi/contract.test.ts) fails for one that does not.
 */
export function documentRoute(route: RouteLike, errorSchema: object): void {
  if (route.url.startsWith('/docs')) return;
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  const schema = { ...(route.schema ?? {}) } as Record<string, unknown>;
  schema.operationId ??= operationIdOf(method, route.url);
  const replies = Object.entries((schema.response ?? {}) as Record<string, Record<string, unknown>>).map(([status, r]) =>
    // A success reply says what it is in the words of its status (the document would say "Default Response").
    /^2\d\d$/.test(status) && r.description === undefined && r['x-response-description'] === undefined ? [status, { ...r, 'x-response-description': STATUS_CODES[status] }] : [status, r],
  );
  schema.response = { '4xx': errorSchema, '5xx': errorSchema, ...Object.fromEntries(replies) };
  route.schema = schema;
}

/**
 * For fastify's setSerializerCompiler: replies are JSON.stringify'd, not
 * compiled from their response schema. A compiled serializer drops every field
 * its schema does not name, and a reply must never lose data because its
 * documentation lags behind; the API tests hold the documents to the replies
 * instead (test-support/src/reply-check.ts).
 */
export const plainJsonSerializer = () => (data: unknown) => JSON.stringify(data);

/** For @fastify/swagger's refResolver: a component keeps its name ($id), not def-0, def-1… */
export const namedLocalReference = { buildLocalReference: (json: { $id?: unknown }, _base: unknown, _fragment: string, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) };

/**
 * For @fastify/swagger's transformObject: `freeText` (the shared Ajv keyword
 * for cleaned free text) is no JSON Schema keyword; the document says it as
 * the extension `x-free-text`, which generators and linters accept.
 */
export function openApiExtensions(doc: { openapiObject?: unknown; swaggerObject?: unknown }): never {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => (k === 'freeText' ? ['x-free-text', x] : [k, walk(x)])));
  };
  return walk(doc.openapiObject ?? doc.swaggerObject) as never;
}
