/**
 * Ajv's `integer` and `maximum` both accept Infinity (and a querystring's
 * "1e309" coerces to it; so does JSON.parse), so a validated request can still
 * carry a number no database or loop can use. Both sides check the validated
 * query, params and body with this before any handler runs.
 */
export function nonFinitePath(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path || '(value)';
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nonFinitePath(value[i], `${path}.${i}`);
      if (p) return p;
    }
    return null;
  }
  // Only plain objects from the parsers; a multipart file or stream is left alone.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return null;
  for (const [k, v] of Object.entries(value)) {
    const p = nonFinitePath(v, `${path}.${k}`);
    if (p) return p;
  }
  return null;
}
