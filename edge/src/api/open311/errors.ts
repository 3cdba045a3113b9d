import { toApiError } from '../errors.ts';

/** One entry of GeoReport's error list: `code` repeats the HTTP status. */
export interface Open311Error {
  code: number;
  description: string;
}

/**
 * Any failure under /open311, in the spec's shape: one entry per problem
 * (each validation detail its own), the HTTP status as the code. Messages
 * come from the one error table, so nothing a client sent (an api_key) is
 * echoed.
 */
export function open311Errors(err: unknown, method: string): { status: number; errors: Open311Error[] } {
  const e = toApiError(err);
  // GeoReport answers a missing or unknown api_key on a POST with 403.
  if (e.code === 'UNAUTHENTICATED' && method === 'POST') {
    return { status: 403, errors: [{ code: 403, description: 'api_key missing or not valid: send an API token (created with POST /api/tokens) as api_key' }] };
  }
  const descriptions = e.details && e.details.length > 0 ? e.details : [e.message];
  return { status: e.status, errors: descriptions.map((description) => ({ code: e.status, description })) };
}
