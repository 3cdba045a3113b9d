import {
  SCREEN_ACTIVITY_EVENT_TYPES,
  chinaDayStart,
  chinaMonth,
  hourBuckets,
  screenAnnouncement,
  screenRanking,
  screenTicket,
  type ScreenSummary,
  type ScreenTicket,
  type TicketStatus,
} from '@cunbox/shared';
import type { Governance } from '../governance/governance.ts';
import type { EventStore } from '../events/event-store.ts';
import type { CameraStatus } from '../recorder/types.ts';
import type { StorageStatus } from '../storage/status.ts';

/** What the screen reads, each from the part that owns it. */
export interface ScreenSources {
  governance: Pick<Governance, 'tickets' | 'help' | 'announcements' | 'party'>;
  events: Pick<EventStore, 'recent' | 'occurrences'>;
  /** Configured cameras (no credentials). */
  cameras: () => ReadonlyArray<{ id: number; name: string; zone: string | null; enabled: boolean }>;
  /** The recorders' states; empty where nothing records (tests, a box without cameras). */
  cameraStates: () => readonly CameraStatus[];
  /** The storage monitor's last verdict; undefined before the first check or without one. */
  storage: () => StorageStatus | undefined;
  /** Whether the cloud link is up; null: no cloud configured. */
  cloud: () => boolean | null;
  villageName: string | null;
}

const OPEN_TICKET_STATUSES: readonly TicketStatus[] = ['submitted', 'assigned', 'in_progress', 'reopened'];
const DAY_MS = 24 * 3600_000;
const LIST_MAX = 20;

/**
 * Everything the big screen shows, from the stores as they are now. Each
 * part is one indexed query or a fold the owning service already does; the
 * feed (feed.ts) caches the result, so a wall of screens costs one of these
 * per change, not one per screen.
 */
export function computeSummary(src: ScreenSources, now: number): ScreenSummary {
  const states = new Map(src.cameraStates().map((s) => [s.cameraId, s]));
  const cameras = src.cameras().map((c) => {
    const s = states.get(c.id);
    const state = !c.enabled ? 'disabled' : (s?.state ?? 'unknown');
    return { id: c.id, name: c.name, zone: c.zone, online: c.enabled && s?.state === 'recording', state, since: s?.since ?? null };
  });
  const zoneOf = new Map(cameras.map((c) => [c.id, c.zone]));

  const activity = src.events.occurrences(SCREEN_ACTIVITY_EVENT_TYPES, now - DAY_MS);
  const byZone = new Map<string, number>();
  for (const a of activity) {
    const zone = (a.cameraId !== null ? zoneOf.get(a.cameraId) : null) ?? '未分区';
    byZone.set(zone, (byZone.get(zone) ?? 0) + 1);
  }

  const { tickets, help, announcements, party } = src.governance;
  const open = OPEN_TICKET_STATUSES.flatMap((status) => tickets.list({ status }));
  const due = open.map((t) => screenTicket(t, now)).filter((t): t is ScreenTicket => t !== null).sort((a, b) => a.deadline - b.deadline);
  const facts = help.facts();
  const disk = src.storage();
  const cloud = src.cloud();
  const month = chinaMonth(now);

  return {
    at: now,
    village: { name: src.villageName, households: facts.households, population: facts.population },
    cameras: { total: cameras.length, online: cameras.filter((c) => c.online).length, offline: cameras.filter((c) => !c.online && c.state !== 'disabled').length, list: cameras },
    events: {
      latest: src.events.recent(LIST_MAX).map((e) => ({ id: e.id, cameraId: e.cameraId, zone: e.cameraId !== null ? (zoneOf.get(e.cameraId) ?? null) : null, type: e.type, at: e.atMs })),
      motionByZone: [...byZone].map(([zone, count]) => ({ zone, count })).sort((a, b) => b.count - a.count || a.zone.localeCompare(b.zone)),
    },
    activityByHour: hourBuckets(now, activity.map((a) => a.atMs)),
    tickets: { today: tickets.list({ since: chinaDayStart(now) }).length, open: open.length, overdue: due.filter((t) => t.overdue).length, due: due.slice(0, LIST_MAX) },
    help: help.openCounts(),
    announcements: announcements
      .published(10)
      .map(screenAnnouncement)
      .filter((a) => a !== null),
    partyTop: { month, rows: screenRanking(party.ranking({ kind: 'month', month }, { limit: 10 })) },
    storage: disk
      ? { daysLeft: disk.daysAtCurrentBitrate, freeBytes: disk.disk.freeBytes, totalBytes: disk.disk.totalBytes, warnings: disk.warnings.map((w) => w.code) }
      : { daysLeft: null, freeBytes: null, totalBytes: null, warnings: [] },
    cloud: cloud === null ? null : { connected: cloud },
  };
}
