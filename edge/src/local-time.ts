/**
 * The box's time zone: what people read and type. Storage, the database, the
 * API and file names stay in UTC epoch milliseconds; only the CLI (and other
 * text for people) converts, here. Node's full ICU knows every IANA zone, so
 * no date library is needed.
 */
import { TemplatedError } from './probe/problem.ts';

// Which zone, and showing a time in it, are shared with the cloud's CLI.
import { wallClock, zeroPad as pad, type Wall } from '@cunbox/shared/cli';
export { DEFAULT_TIMEZONE, boxTimeZone, formatLocal, isTimeZone } from '@cunbox/shared/cli';

/** How far the zone's wall clock is ahead of UTC at this instant. */
function offsetMs(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant the zone's wall-clock hour holding `ms` began (half- and quarter-hour offsets included). */
export function localHourStart(ms: number, zone: string): number {
  const wall = ms + offsetMs(ms, zone);
  return ms - (((wall % 3_600_000) + 3_600_000) % 3_600_000);
}

/** "2026-11-30T17:05:03+08:00": a W3C date-time with the zone's offset at that instant, for machine readers (Open311). */
export function formatW3c(ms: number, zone: string): string {
  const w = wallClock(ms, zone);
  const minutes = Math.round(offsetMs(ms, zone) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A wall-clock time in the zone → the instant. Twice, so an offset change between guess and answer is followed. */
function fromWall(w: Wall, zone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const first = asUtc - offsetMs(asUtc, zone);
  return asUtc - offsetMs(first, zone);
}

const EXAMPLES = '17:00, 17:00:30, 2026-11-30 17:00, 2026-11-30T17:00:00+08:00, -2h';
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time a person typed, read in the zone: `17:00` (today), `17:00:30`,
 * `2026-11-30`, `2026-11-30 17:00[:30]` or with `T`, ISO 8601 with `Z` or an
 * offset, `-2h`/`-30m`/`-90s`/`-1d` (before now), `now`, or epoch milliseconds.
 */
export function parseLocalTime(input: string, opts: { zone: string; nowMs: number; name: string }): number {
  const text = input.trim();
  const bad = () => new TemplatedError('INVALID_RANGE', '{name}: cannot read "{input}" as a time; write one of {examples}', { name: opts.name, input, examples: EXAMPLES });
  if (text === 'now') return opts.nowMs;
  if (/^\d{10,13}$/.test(text)) return Number(text);
  const rel = /^-(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text);
  if (rel) return opts.nowMs - Math.round(Number(rel[1]) * UNITS[rel[2]!]!);
  // With a zone of its own: the zone given wins.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isFinite(ms)) return ms;
    throw bad();
  }
  let wall: Wall | null = null;
  const full = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (full) {
    wall = { year: +full[1]!, month: +full[2]!, day: +full[3]!, hour: +(full[4] ?? 0), minute: +(full[5] ?? 0), second: +(full[6] ?? 0) };
  } else if (clock) {
    const today = wallClock(opts.nowMs, opts.zone);
    wall = { ...today, hour: +clock[1]!, minute: +clock[2]!, second: +(clock[3] ?? 0) };
  }
  if (!wall || !validWall(wall)) throw bad();
  return fromWall(wall, opts.zone);
}

function validWall(w: Wall): boolean {
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.hour > 23 || w.minute > 59 || w.second > 59) return false;
  // Day 31 of a 30-day month would roll over silently: refuse it.
  return w.day <= new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
}
