/**
 * What never reaches a log line, on the edge or in the cloud: passwords and
 * their hashes, tokens and API keys, camera credentials inside URLs, and
 * resident ID numbers in full. One list and one scrubber, so the two processes
 * cannot drift apart (the cloud's logger once knew only four paths).
 */
import { maskIdNumber } from '../governance/mask.ts';

/**
 * Credentials must never reach a log line, an API response or an error message.
 * Camera URLs carry them in the userinfo part (`rtsp://user:pass@host/...`), and
 * ffmpeg echoes its input URL back in many stderr lines, so every string that
 * may contain a URL passes through here before it is logged.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::[^\s/@]*)?@/gi;

/** Replace the userinfo of every URL in `text` with `***`. */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}

export const LOG_CENSOR = '[redacted]';

/** Keys whose value is a secret wherever they appear in a logged object (compared lower-case). */
const SECRET_KEYS = new Set(['password', 'passwordhash', 'password_hash', 'token', 'api_key', 'apikey', 'secret', 'credentials', 'authorization', 'cookie', 'set-cookie', 'servicepassword']);

/**
 * pino `redact` paths: fixed here, never taken from input. The scrubber below
 * censors the same keys at any depth; these also catch what serializers make
 * after it ran (fastify's request serializer copies the headers).
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  // Open311 clients send their API token as api_key (query or form field).
  'api_key',
  '*.api_key',
  '*.*.api_key',
  'secret',
  '*.secret',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** `password=…`, `token=…` and the like in query strings, form bodies and command lines. */
const SECRET_PAIR = /\b(password|passwd|pwd|token|access_token|api_key|apikey|secret)=([^&\s#"']+)/gi;
/** HTTP credentials quoted in an error message. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
/** The phone API's session tokens (cbp_…), wherever they are quoted. */
const PHONE_TOKEN = /\bcbp_[A-Za-z0-9_-]{8,}/g;
/** A mainland resident ID number standing alone (17 digits and a check character). */
const ID_NUMBER = /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g;

/** Free text made safe to log: URL userinfo, secret pairs, bearer tokens removed; ID numbers masked. */
export function scrubText(text: string): string {
  return redactUrls(text)
    .replace(SECRET_PAIR, (_m, k: string) => `${k}=${LOG_CENSOR}`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${LOG_CENSOR}`)
    .replace(PHONE_TOKEN, `cbp_${LOG_CENSOR}`)
    .replace(ID_NUMBER, (id) => maskIdNumber(id.toUpperCase())!);
}

const MAX_DEPTH = 8;

/**
 * A copy of a logged value with secrets censored by key and every string
 * scrubbed. Only plain objects, arrays and errors are walked (an error becomes
 * its type, message, stack and code, scrubbed): requests, buffers and class
 * instances are left to their serializers. Never throws.
 */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => scrubLogValue(v, depth + 1));
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return { type: e.name, message: scrubText(e.message), ...(e.stack ? { stack: scrubText(e.stack) } : {}), ...(e.code !== undefined ? { code: e.code } : {}) };
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k.toLowerCase()) && v !== null && v !== undefined ? LOG_CENSOR : scrubLogValue(v, depth + 1);
  return out;
}
