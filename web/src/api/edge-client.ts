// The edge's API typed from the OpenAPI document it publishes (scripts/openapi/generated/edge.d.ts,
// `npm run openapi:generate`): a path, parameter, body or reply field the edge does not publish
// is a type error (`tsc -p web/tsconfig.json`, part of `npm run typecheck`). Every JSON call of
// the app goes through `edge`; only media URLs (video, images, PDFs, the SSE stream) are plain links.
import createClient from 'openapi-fetch';
import type { components, paths } from '../../../scripts/openapi/generated/edge.d.ts';
import { failure } from './errors.ts';

/** A filter left empty in a form is no filter: undefined, null and '' are not sent. */
function query(q: Record<string, unknown>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  return s.toString();
}

export const edge = createClient<paths, 'application/json'>({ credentials: 'same-origin', headers: { accept: 'application/json' }, querySerializer: query });

/** The reply's body, or the edge's refusal as an ApiError (as every call of the app gets it). */
export async function body<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw failure(response, error, new URL(response.url, 'http://x').pathname);
  return data;
}

/** The edge's named reply schemas (an account, a ticket, an export job…). */
export type Schemas = components['schemas'];

type Json<R> = R extends { content: { 'application/json': infer J } } ? J : never;
/** The JSON a route answers on success, as the edge publishes it. */
export type Reply<P extends keyof paths, M extends 'get' | 'post' = 'get'> = paths[P][M] extends { responses: { 200: infer R } } ? Json<R> : paths[P][M] extends { responses: { 201: infer R } } ? Json<R> : never;
/** The query a GET route takes, as the edge publishes it. */
export type Query<P extends keyof paths> = NonNullable<paths[P]['get'] extends { parameters: { query?: infer Q } } ? Q : never>;
/** The JSON body a route takes, as the edge publishes it. */
export type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch' = 'post'> = paths[P][M] extends { requestBody?: infer B } ? Json<B> : never;
