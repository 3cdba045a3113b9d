// Times are shown in the box's zone (from the edge's settings), not the browser's:
// a cadre's laptop set to another zone must not move a ticket's deadline.
import { session } from './session.ts';
// The wall-clock reading of an instant in a zone, as the CLIs use it (pure Intl, no Node API).
import { wallClock } from '../../shared/src/cli/local-time.ts';

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
  const w = wallClock(ms, session.settings.timeZone);
  const sinceMidnight = ((w.hour % 24) * 3600 + w.minute * 60 + w.second) * 1000 + (ms % 1000);
  return ms - sinceMidnight;
}

/** Units of a duration, as people read them in each language. */
const DURATION_UNITS = {
  'zh-CN': { d: ' 天 ', h: ' 小时 ', m: ' 分' },
  en: { d: ' d ', h: ' h ', m: ' min' },
} as const;

/**
 * Time left to a deadline, or past it: "35 分" / "2 小时 05 分" / "3 天 4 小时" ("35 min" /
 * "2 h 05 min" / "3 d 4 h" in English); a day or more drops the minutes, as a countdown that
 * long needs no more. Negative: a "-" in front.
 */
export function formatRemaining(ms: number, locale: string): string {
  const u = locale.startsWith('zh') ? DURATION_UNITS['zh-CN'] : DURATION_UNITS.en;
  const sign = ms < 0 ? '-' : '';
  const m = Math.floor(Math.abs(ms) / 60_000);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (d > 0) return `${sign}${d}${u.d}${h % 24}${u.h.trimEnd()}`;
  return h > 0 ? `${sign}${h}${u.h}${String(m % 60).padStart(2, '0')}${u.m}` : `${sign}${m}${u.m}`;
}

/** "14:05:09": the screen's clock. */
export function formatClockSeconds(ms: number, locale: string): string {
  return format(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

/** "2026年5月11日 星期一". */
export function formatLongDate(ms: number, locale: string): string {
  return format(locale, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }).format(ms);
}

/** "1:05:09" / "5:09": a countdown that ticks each second (sign left to the caller). */
export function formatCountdown(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** "2026-05-11T09:30" (a datetime-local field) read as a time in the box's zone, not the browser's. */
export function fromBoxLocal(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return Number.NaN;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  // The zone's offset near that moment, applied twice so a DST change in between settles.
  const offset = (ms: number) => {
    const w = wallClock(ms, session.settings.timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour % 24, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}
