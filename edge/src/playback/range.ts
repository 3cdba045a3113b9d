import { TemplatedError } from '../probe/problem.ts';

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** The longest range one request may cover: the 7-day ring buffer plus a day of slack. */
const MAX_RANGE_MS = 8 * 86_400_000;

/**
 * Checks a requested range against what can exist: end after start, not wider
 * than the ring buffer, not in the future, not before the oldest footage kept
 * (`oldestMs`, when known). Accepts epoch ms numbers or ISO 8601 strings.
 * Errors are templates (the CLI translates them); `show` writes the times in
 * them (UTC ISO for the API, local time for the CLI).
 */
export function parseRange(from: unknown, to: unknown, nowMs: number, opts: { maxMs?: number; oldestMs?: number | null; show?: (ms: number) => string } = {}): TimeRange {
  const show = opts.show ?? iso;
  const fromMs = toMs(from, 'from');
  const toMsValue = toMs(to, 'to');
  if (toMsValue <= fromMs) throw new TemplatedError('INVALID_RANGE', 'the end ({end}) must be after the start ({start})', { end: show(toMsValue), start: show(fromMs) });
  const max = opts.maxMs ?? MAX_RANGE_MS;
  if (toMsValue - fromMs > max) throw new TemplatedError('INVALID_RANGE', 'a range may cover at most {hours} hours', { hours: Math.round(max / 3_600_000) });
  if (fromMs > nowMs + 60_000) throw new TemplatedError('INVALID_RANGE', 'the start ({start}) is in the future', { start: show(fromMs) });
  if (opts.oldestMs !== undefined && opts.oldestMs !== null && toMsValue < opts.oldestMs) {
    throw new TemplatedError('INVALID_RANGE', 'nothing is kept from before {oldest} (retention)', { oldest: show(opts.oldestMs) });
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
  else throw new TemplatedError('INVALID_RANGE', '{name}: expected epoch milliseconds or an ISO 8601 time with a zone, e.g. 2026-11-29T08:00:00+08:00', { name });
  // Years away either way is a typo, not a request.
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2100, 0, 1)) throw new TemplatedError('INVALID_RANGE', '{name}: not a plausible time', { name });
  return ms;
}

const iso = (ms: number) => new Date(ms).toISOString();
