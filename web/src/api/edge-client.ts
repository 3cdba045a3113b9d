// The edge's API typed from the OpenAPI document it publishes (scripts/openapi/generated/edge.d.ts,
// `npm run openapi:generate`): a path, parameter, body or reply field the edge does not publish
// is a type error (`tsc -p web/tsconfig.json`, part of `npm run typecheck`).
import createClient from 'openapi-fetch';
import type { paths } from '../../../scripts/openapi/generated/edge.d.ts';
import { failure } from './client.ts';

export const edge = createClient<paths>({ credentials: 'same-origin', headers: { accept: 'application/json' } });

/** The reply's body, or the edge's refusal as an ApiError (as every call of the app gets it). */
export async function body<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw failure(response, error, new URL(response.url, 'http://x').pathname);
  return data;
}
