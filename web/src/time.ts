// Times are shown in the box's zone (from the edge's settings), not the browser's:
// a cadre's laptop set to another zone must not move a ticket's deadline.
import { session } from './session.ts';

const formats = new Map<string, Intl.DateTimeFormat>();
function format(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${session.settings.timeZone}|${JSON.stringify(opts)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: session.settings.timeZone, hourCycle: 'h23', ...opts });
    formats.set(key, f);
  }
  return f;
}

export function formatTime(ms: number | null | undefined, locale: string): string {
  if (ms === null || ms === undefined) return '—';
  return format(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(ms);
}

export function formatClock(ms: number, locale: string): string {
  return format(locale, { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** Midnight (start of the day) in the box's zone for the day holding `ms`. */
export function startOfDay(ms: number): number {
  const parts = format('en-US', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const sinceMidnight = ((get('hour') % 24) * 3600 + get('minute') * 60 + get('second')) * 1000 + (ms % 1000);
  return ms - sinceMidnight;
}

/** "2 h 05 min" / "-35 min": time left to a deadline (negative: overdue). */
export function formatRemaining(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const m = Math.floor(Math.abs(ms) / 60_000);
  const h = Math.floor(m / 60);
  return h > 0 ? `${sign}${h} h ${String(m % 60).padStart(2, '0')} min` : `${sign}${m} min`;
}

/** "2026-05-11T09:30" (a datetime-local field) read as a time in the box's zone, not the browser's. */
export function fromBoxLocal(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return Number.NaN;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  // The zone's offset near that moment, applied twice so a DST change in between settles.
  const offset = (ms: number) => {
    const p = format('en-US', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
    const get = (t: string) => Number(p.find((x) => x.type === t)?.value ?? 0);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second')) - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}
