import { CunboxError } from '../errors.ts';

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** The longest range one request may cover: the 7-day ring buffer plus a day of slack. */
export const MAX_RANGE_MS = 8 * 86_400_000;

/**
 * Checks a requested range against what can exist: end after start, not wider
 * than the ring buffer, not in the future, not before the oldest footage kept
 * (`oldestMs`, when known). Accepts epoch ms numbers or ISO 8601 strings.
 */
export function parseRange(from: unknown, to: unknown, nowMs: number, opts: { maxMs?: number; oldestMs?: number | null } = {}): TimeRange {
  const fromMs = toMs(from, 'from');
  const toMsValue = toMs(to, 'to');
  if (toMsValue <= fromMs) throw new CunboxError('INVALID_RANGE', `the end (${iso(toMsValue)}) must be after the start (${iso(fromMs)})`);
  const max = opts.maxMs ?? MAX_RANGE_MS;
  if (toMsValue - fromMs > max) throw new CunboxError('INVALID_RANGE', `a range may cover at most ${Math.round(max / 3_600_000)} hours`);
  if (fromMs > nowMs + 60_000) throw new CunboxError('INVALID_RANGE', `the start (${iso(fromMs)}) is in the future`);
  if (opts.oldestMs !== undefined && opts.oldestMs !== null && toMsValue < opts.oldestMs) {
    throw new CunboxError('INVALID_RANGE', `nothing is kept from before ${iso(opts.oldestMs)} (retention)`);
  }
  return { fromMs, toMs: toMsValue };
}

/** One instant: epoch ms (number or digits) or ISO 8601 with a zone, within plausible years. */
export function parseTime(v: unknown, name: string): number {
  return toMs(v, name);
}

function toMs(v: unknown, name: string): number {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string' && /^\d{10,13}$/.test(v)) ms = Number(v);
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) ms = Date.parse(v);
  else throw new CunboxError('INVALID_RANGE', `${name}: expected epoch milliseconds or an ISO 8601 time with a zone, e.g. 2026-11-29T08:00:00+08:00`);
  // Years away either way is a typo, not a request.
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2100, 0, 1)) throw new CunboxError('INVALID_RANGE', `${name}: not a plausible time`);
  return ms;
}

const iso = (ms: number) => new Date(ms).toISOString();
