import { MOTION_EVENT_TYPE, MOTION_START_EVENT_TYPE } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import { notEndedStartSql } from '../events/event-store.ts';
import { localHourStart } from '../local-time.ts';

/** Every time zone's offset is a whole number of quarter hours: a quarter lies in one local hour. */
const QUARTER_MS = 15 * 60_000;

export interface HourlyActivity {
  cameraId: number;
  /** null: the whole picture (a camera without zones, and the camera's own ONVIF alarms). */
  zone: string | null;
  source: 'video' | 'onvif';
  /** When the local hour began (epoch ms). */
  hourStartMs: number;
  /** Motion episodes that started in that hour (ended or still going on). */
  count: number;
}

/**
 * Motion episodes per camera, zone, source and hour of the box's zone, from
 * the events table. An episode counts once, by its start: its summary once it
 * ended, its start row while it goes on; `motion` rows from before the start
 * rows existed count too (they lack `source`: they were all video).
 *
 * SQLite groups by quarter hour through the (camera_id, type, at_ms) index; the
 * quarters are folded into local hours here, so a zone with a half-hour offset
 * or a DST change is still counted right.
 */
export function hourlyActivity(db: Db, q: { cameraIds: readonly number[]; fromMs: number; toMs: number; timeZone: string }): HourlyActivity[] {
  if (q.cameraIds.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT camera_id AS cameraId, json_extract(detail, '$.zone') AS zone, coalesce(json_extract(detail, '$.source'), 'video') AS source,
              at_ms / ${QUARTER_MS} AS quarter, count(*) AS n
         FROM events e
        WHERE camera_id IN (${q.cameraIds.map(() => '?').join(',')}) AND type IN (?, ?) AND at_ms >= ? AND at_ms < ?
          AND ${notEndedStartSql('e')}
        GROUP BY camera_id, zone, source, quarter`,
    )
    .all(...q.cameraIds, MOTION_EVENT_TYPE, MOTION_START_EVENT_TYPE, q.fromMs, q.toMs) as Array<{ cameraId: number; zone: string | null; source: 'video' | 'onvif'; quarter: number; n: number }>;
  const byKey = new Map<string, HourlyActivity>();
  for (const r of rows) {
    const hourStartMs = localHourStart(r.quarter * QUARTER_MS, q.timeZone);
    const key = JSON.stringify([r.cameraId, r.zone, r.source, hourStartMs]);
    const hit = byKey.get(key);
    if (hit) hit.count += r.n;
    else byKey.set(key, { cameraId: r.cameraId, zone: r.zone, source: r.source, hourStartMs, count: r.n });
  }
  return [...byKey.values()].sort((a, b) => a.cameraId - b.cameraId || a.hourStartMs - b.hourStartMs || String(a.zone).localeCompare(String(b.zone)) || a.source.localeCompare(b.source));
}
