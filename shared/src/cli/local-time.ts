/**
 * The box's time zone and how a time is shown in it, for the edge's and the
 * cloud's CLIs. Storage, databases, APIs and file names stay in UTC epoch
 * milliseconds; only text for people converts, with Node's full ICU (no date
 * library).
 */

/** A village box is in China unless its config says otherwise. */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone to show and read times in: `TZ` from the environment when it names
 * a zone (tests, a technician's one-off `TZ=UTC cunbox …`), else the config's
 * `timezone`, else Asia/Shanghai.
 */
export function boxTimeZone(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz && isTimeZone(tz)) return tz;
  return configured ?? DEFAULT_TIMEZONE;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function wallClock(ms: number, zone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** `n` with leading zeros to `w` digits (dates and times). */
export const zeroPad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-11-30 17:05:03" in the zone: no "T", no "Z", seconds precision. */
export function formatLocal(ms: number, zone: string): string {
  const w = wallClock(ms, zone);
  return `${w.year}-${zeroPad(w.month)}-${zeroPad(w.day)} ${zeroPad(w.hour)}:${zeroPad(w.minute)}:${zeroPad(w.second)}`;
}

/** A time in the zone, "2026-11-30 17:05:03"; `short` drops year and seconds ("11-30 17:05") for narrow tables; null is "-". */
export function formatTime(ms: number | null, zone: string, short = false): string {
  if (ms === null) return '-';
  const s = formatLocal(ms, zone);
  return short ? s.slice(5, 16) : s;
}
