import type { TicketState } from './ticket.ts';
import { OPEN311_STATUS, isBreached } from './ticket.ts';
import type { HelpRequestState } from './help.ts';
import type { AnnouncementState } from './announcement.ts';
import { ANNOUNCEMENT_CATEGORY_NAMES } from './announcement.ts';
import type { RankRow } from './ranking.ts';
import { maskName } from './mask.ts';
import { CHINA_OFFSET_MS, chinaDate } from './time.ts';

/**
 * The office big screen (一屏观全村): one wire contract for the edge's
 * `GET /api/screen/summary`, its SSE stream and the front end. Everything on
 * it may be seen by anyone standing in the office, so it carries counts and
 * public facts only: no resident, requester, reporter or assignee, no ID or
 * phone number, no free text a villager typed. The projections below are the
 * one place that decides what of a record reaches the screen.
 */
export interface ScreenSummary {
  /** Wall ms the summary was computed at (the screen shows its age). */
  at: number;
  village: { name: string | null; households: number; population: number };
  cameras: {
    total: number;
    online: number;
    offline: number;
    list: ScreenCamera[];
  };
  events: {
    /** Newest first, at most 20. */
    latest: Array<{ id: number; cameraId: number | null; zone: string | null; type: string; at: number }>;
    /** Motion (and checkpoint) events in the last 24 h per camera zone; empty until motion detection exists. */
    motionByZone: Array<{ zone: string; count: number }>;
  };
  /**
   * Checkpoint / motion activity per hour over the last 24 h, oldest first,
   * always 24 rows (zeros until motion or checkpoint events exist). `hour` is
   * the Beijing-time hour the row starts at, `from` its epoch ms.
   */
  activityByHour: Array<{ hour: number; from: number; count: number }>;
  tickets: {
    /** Reported since 00:00 Beijing time. */
    today: number;
    open: number;
    overdue: number;
    /** Open tickets with a response deadline, soonest first, at most 20: the screen counts down from `deadline`. */
    due: ScreenTicket[];
  };
  /** Open help requests by type: counts only (who asks, and why, is sensitive). */
  help: { open: number; byType: Array<{ type: string | null; name: string | null; count: number; urgent: number }> };
  /** Published 三务公开 announcements, newest first, at most 10 (titles only). */
  announcements: Array<{ id: string; category: string | null; categoryName: string | null; title: string; publishedAt: number | null }>;
  /** Party points TOP10 of the Beijing-time month; names masked as on every public page. */
  partyTop: { month: string; rows: Array<{ rank: number; name: string; branch: string; points: number }> };
  storage: { daysLeft: number | null; freeBytes: number | null; totalBytes: number | null; warnings: string[] };
  /** null: this box has no cloud configured. */
  cloud: { connected: boolean } | null;
}

interface ScreenCamera {
  id: number;
  name: string;
  zone: string | null;
  online: boolean;
  /** The recorder's state (recording, connecting, stalled, …); 'disabled' when switched off. */
  state: string;
  /** Wall ms the state began. */
  since: number | null;
}

export interface ScreenTicket {
  id: string;
  category: string | null;
  categoryName: string | null;
  place: string | null;
  status: string;
  createdAt: number | null;
  deadline: number;
  overdue: boolean;
}

/** Types that count as activity on the per-hour chart and "motion by zone". */
export const SCREEN_ACTIVITY_EVENT_TYPES = ['motion', 'camera.motion', 'checkpoint.pass'] as const;

const isOpenTicket = (t: TicketState): boolean => OPEN311_STATUS[t.status] === 'open';

/** What of a ticket the screen shows: category, place and its clock; never the description, reporter, photos or assignee. */
export function screenTicket(t: TicketState, now: number): ScreenTicket | null {
  if (t.deadline === null || !isOpenTicket(t)) return null;
  return { id: t.id, category: t.category, categoryName: t.categoryName, place: t.place, status: t.status, createdAt: t.createdAt, deadline: t.deadline, overdue: isBreached(t, now) };
}

const OPEN_HELP = new Set(['submitted', 'assigned', 'in_progress']);

/** Open help requests counted per type; nothing about who or why. */
export function helpCounts(requests: Iterable<HelpRequestState>): ScreenSummary['help'] {
  const by = new Map<string | null, { type: string | null; name: string | null; count: number; urgent: number }>();
  let open = 0;
  for (const h of requests) {
    if (!h.exists || !OPEN_HELP.has(h.status)) continue;
    open++;
    const row = by.get(h.type) ?? { type: h.type, name: h.typeName, count: 0, urgent: 0 };
    row.count++;
    if (h.urgent) row.urgent++;
    by.set(h.type, row);
  }
  return { open, byType: [...by.values()].sort((a, b) => b.count - a.count || String(a.type).localeCompare(String(b.type))) };
}

export function screenAnnouncement(a: AnnouncementState): ScreenSummary['announcements'][number] | null {
  if (a.status !== 'published') return null;
  return { id: a.id, category: a.category, categoryName: a.category ? ANNOUNCEMENT_CATEGORY_NAMES[a.category] : null, title: a.title, publishedAt: a.publishedAt };
}

/** The ranking as a public board shows it: 张*丰, no member ids. */
export function screenRanking(rows: readonly RankRow[]): ScreenSummary['partyTop']['rows'] {
  return rows.map((r) => ({ rank: r.rank, name: maskName(r.name), branch: r.branch, points: r.points }));
}

/** 00:00 Beijing time of the day `ms` falls in. */
export function chinaDayStart(ms: number): number {
  return Date.parse(`${chinaDate(ms)}T00:00:00Z`) - CHINA_OFFSET_MS;
}

/** 24 hourly buckets ending with the hour `now` is in (Beijing hours; China has no DST, so hours align with UTC hours). */
export function hourBuckets(now: number, times: Iterable<number>): ScreenSummary['activityByHour'] {
  const HOUR = 3600_000;
  const last = Math.floor(now / HOUR) * HOUR;
  const first = last - 23 * HOUR;
  const rows = Array.from({ length: 24 }, (_, i) => ({ hour: new Date(first + i * HOUR + CHINA_OFFSET_MS).getUTCHours(), from: first + i * HOUR, count: 0 }));
  for (const t of times) {
    const i = Math.floor((t - first) / HOUR);
    if (i >= 0 && i < 24) rows[i]!.count++;
  }
  return rows;
}
