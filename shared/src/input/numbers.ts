/**
 * Ajv's `integer` and `maximum` both accept Infinity (and a querystring's
 * "1e309" coerces to it; so does JSON.parse), so a validated request can still
 * carry a number no database or loop can use. Both sides check the validated
 * query, params and body with this before any handler runs.
 */
export function nonFinitePath(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path || '(value)';
  // Parsed JSON and querystrings only: binary bodies and streams are left alone; so is anything absurdly deep.
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function' || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    const p = nonFinitePath(v, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}

/** Where in a validated request a non-finite number sits ('querystring.limit'), or null. */
export function nonFiniteInRequest(req: { query?: unknown; params?: unknown; body?: unknown }): string | null {
  for (const [part, value] of [['querystring', req.query], ['params', req.params], ['body', req.body]] as const) {
    const path = nonFinitePath(value);
    if (path) return `${part}${path}`;
  }
  return null;
}
