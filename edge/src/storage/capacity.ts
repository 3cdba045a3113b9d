/**
 * Whether the disk can hold what the retention settings promise, and whether
 * other programs' files are eating into the archive. Pure rules: numbers in,
 * verdicts out; storage status, the edge's monitor, doctor and the health
 * endpoint all judge with these.
 */

/** Other programs' files count once they pass this much… */
const FOREIGN_WARN_BYTES = 1024 ** 3;
/** …or this share of the disk, whichever is smaller (small disks need the share). */
const FOREIGN_WARN_RATIO = 0.05;

const DAY_S = 86_400;

export interface CameraDemand {
  bytesPerDay: number;
  requiredDays: number;
}

/**
 * The space rule deletes the oldest footage across all cameras, so every
 * camera whose retention is longer than the disk allows is cut at one common
 * horizon H where Σ bytesPerDay × min(requiredDays, H) = usable bytes.
 * null: every camera's retention fits.
 */
export function spaceHorizon(cameras: readonly CameraDemand[], usableBytes: number): number | null {
  const byDays = [...cameras].filter((c) => c.bytesPerDay > 0).sort((a, b) => a.requiredDays - b.requiredDays);
  let rate = byDays.reduce((s, c) => s + c.bytesPerDay, 0);
  let left = Math.max(0, usableBytes);
  let reached = 0;
  for (const c of byDays) {
    const need = rate * (c.requiredDays - reached);
    if (need > left) return reached + left / rate;
    left -= need;
    reached = c.requiredDays;
    rate -= c.bytesPerDay;
  }
  return null;
}

export function bytesPerDay(bitrateBps: number | null): number {
  return ((bitrateBps ?? 0) / 8) * DAY_S;
}

/** A camera's promised days: its own setting or the default, never under the legal floor. */
export function requiredDays(cameraDays: number | null, settings: { defaultDays: number; minDays: number | null }): number {
  return Math.max(cameraDays ?? settings.defaultDays, settings.minDays ?? 0);
}

export function foreignThreshold(totalBytes: number): number {
  return Math.min(FOREIGN_WARN_BYTES, FOREIGN_WARN_RATIO * totalBytes);
}

export interface ShortCamera {
  cameraId: number;
  name: string | null;
  requiredDays: number;
  holdsDays: number;
}

/**
 * Each alarm's text as an English template with {placeholders}: the CLI and
 * doctor translate the template (it is the i18n key), the API fills it as is.
 */
export const WARNING_TEXT = {
  'storage.retention_short': {
    message: 'the disk holds {days} days of footage at the current bitrate; cameras that must keep more (required days): {cameras}',
    hint: 'add disk space or lower bitrates; retention_days and retention.min_days say how long each camera must keep',
  },
  'storage.foreign_usage': {
    message: 'other programs use {others} GiB of the data disk (cunbox {cunbox} GiB), and retention deletes footage to make room for them',
    hint: 'find and move what fills the disk (du -xh --max-depth=2 on the data disk); retention only deletes footage',
  },
} as const;

interface WarningBase {
  message: string;
  vars: Record<string, string | number>;
}

export type StorageWarning =
  | (WarningBase & { code: 'storage.retention_short'; horizonDays: number; cameras: ShortCamera[] })
  | (WarningBase & { code: 'storage.foreign_usage'; foreignBytes: number; cunboxBytes: number; totalBytes: number; freeBytes: number; reservedBytes: number });

export function fillTemplate(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export interface CapacityFacts {
  cameras: ReadonlyArray<{ cameraId: number; name: string | null; requiredDays: number; holdsDays: number | null }>;
  horizonDays: number | null;
  totalBytes: number;
  freeBytes: number;
  reservedBytes: number;
  cunboxBytes: number;
  foreignBytes: number;
}

/**
 * The two storage alarms, the cause first:
 *  - retention_short: some camera cannot keep its required days at the measured bitrate;
 *  - foreign_usage: other programs hold a significant share of the disk and it costs
 *    footage (some camera is short, or free space is under the reserve so retention
 *    deletes now). Files elsewhere on a disk with room to spare cost nothing and stay quiet.
 */
export function storageWarnings(f: CapacityFacts): StorageWarning[] {
  const out: StorageWarning[] = [];
  const short = f.cameras.filter((c): c is ShortCamera => c.holdsDays !== null && c.holdsDays < c.requiredDays);
  const costing = short.length > 0 || f.freeBytes < f.reservedBytes;
  if (costing && f.foreignBytes > foreignThreshold(f.totalBytes)) {
    const vars = { others: gib(f.foreignBytes), cunbox: gib(f.cunboxBytes) };
    out.push({
      code: 'storage.foreign_usage',
      message: fillTemplate(WARNING_TEXT['storage.foreign_usage'].message, vars),
      vars,
      foreignBytes: f.foreignBytes,
      cunboxBytes: f.cunboxBytes,
      totalBytes: f.totalBytes,
      freeBytes: f.freeBytes,
      reservedBytes: f.reservedBytes,
    });
  }
  if (short.length > 0 && f.horizonDays !== null) {
    const vars = { days: f.horizonDays.toFixed(1), cameras: cameraList(short, true) };
    out.push({ code: 'storage.retention_short', message: fillTemplate(WARNING_TEXT['storage.retention_short'].message, vars), vars, horizonDays: round2(f.horizonDays), cameras: short.map((c) => ({ ...c, holdsDays: round2(c.holdsDays) })) });
  }
  return out;
}

/** "#1 东口 30, #2 yard 10": id, name (when shown) and required days. */
export function cameraList(cameras: readonly ShortCamera[], names: boolean): string {
  return cameras.map((c) => `#${c.cameraId}${names && c.name ? ` ${c.name}` : ''} ${c.requiredDays}`).join(', ');
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(bytes < 1024 ** 3 ? 3 : 1);
}
