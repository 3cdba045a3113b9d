import { parseHlc } from '../oplog/hlc.ts';
import type { EntityBase, Op } from '../oplog/types.ts';

/**
 * Villages keep Beijing time (UTC+8, no daylight saving): months, quarters and
 * years of rankings, dues and caps are calendar periods there, not in UTC.
 */
export const CHINA_OFFSET_MS = 8 * 3600_000;

/** 'YYYY-MM-DD' in Beijing time. */
export function chinaDate(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** '2026年5月11日' in Beijing time, as dates are written on village documents. */
export function chinaDateWritten(ms: number): string {
  const [y, m, d] = chinaDate(ms).split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}

/** 'YYYY-MM' in Beijing time. */
export function chinaMonth(ms: number): string {
  return chinaDate(ms).slice(0, 7);
}

export const DATE_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';
export const MONTH_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])$';

export function isDate(s: string): boolean {
  return new RegExp(DATE_PATTERN).test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

/** Months from `from` to `to` inclusive, 'YYYY-MM'. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** The time an op was made, by its origin's clock. */
export function opTime(op: Op): number {
  return parseHlc(op.hlc).ms;
}

/** Marks the entity created by this op (the first create op in fold order wins). */
export function markCreated(state: EntityBase, op: Op): void {
  if (state.exists) return;
  state.exists = true;
  state.createdAt = opTime(op);
  state.createdBy = op.actor;
}
