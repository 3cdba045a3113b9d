import { MOTION_EVENT_TYPE, TAMPER_EVENT_TYPE } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import { isEpisodeStart, notEndedStartSql } from '../events/event-store.ts';
import { spansBetween } from '../storage/spans.ts';
import type { TimeRange } from './range.ts';

export interface CameraTimeline {
  cameraId: number;
  /** Recorded intervals [startMs, endMs], clipped to the range. */
  recorded: Array<[number, number]>;
  /** The complement of `recorded` within the range (up to now). */
  gaps: Array<[number, number]>;
  /**
   * Stored events in the range, as markers. A motion or tamper episode is one
   * marker: its summary (`motion`, `tamper`: with end and zone, null: whole
   * picture) once it ended; while it goes on, its start row (`motion.start`,
   * `tamper.start`) with `open: true` and `endMs: null`.
   */
  events: TimelineMarker[];
}

interface TimelineMarker {
  id: number;
  type: string;
  atMs: number;
  endMs?: number | null;
  zone?: string | null;
  open?: true;
}

const SUMMARIES: readonly string[] = [MOTION_EVENT_TYPE, TAMPER_EVENT_TYPE];

function marker(e: { id: number; type: string; at_ms: number; end_ms: number | null; zone: string | null }): TimelineMarker {
  const base = { id: e.id, type: e.type, atMs: e.at_ms };
  if (SUMMARIES.includes(e.type)) return { ...base, endMs: e.end_ms ?? e.at_ms, zone: e.zone };
  if (isEpisodeStart(e.type)) return { ...base, endMs: null, zone: e.zone, open: true };
  return base;
}

/**
 * Recorded intervals, gaps and event markers per camera. Reads the spans table
 * (a few rows per gap), never the segment rows, so 64 cameras × 7 days is cheap.
 */
export function timeline(db: Db, range: TimeRange, cameraIds: readonly number[], nowMs: number): CameraTimeline[] {
  const end = Math.min(range.toMs, nowMs);
  const spans = spansBetween(db, range.fromMs, range.toMs, cameraIds);
  const events = db
    .prepare(`SELECT id, camera_id, type, at_ms, json_extract(detail, '$.endMs') AS end_ms, json_extract(detail, '$.zone') AS zone FROM events e WHERE at_ms >= ? AND at_ms < ? AND camera_id IN (${cameraIds.map(() => '?').join(',') || 'NULL'}) AND ${notEndedStartSql('e')} ORDER BY at_ms`)
    .all(range.fromMs, range.toMs, ...cameraIds) as Array<{ id: number; camera_id: number; type: string; at_ms: number; end_ms: number | null; zone: string | null }>;
  return cameraIds.map((cameraId) => {
    const recorded = spans
      .filter((s) => s.cameraId === cameraId)
      .map((s): [number, number] => [Math.max(s.startMs, range.fromMs), Math.min(s.endMs, range.toMs)]);
    const gaps: Array<[number, number]> = [];
    let cursor = range.fromMs;
    for (const [s, e] of recorded) {
      if (s > cursor) gaps.push([cursor, s]);
      cursor = Math.max(cursor, e);
    }
    if (end > cursor) gaps.push([cursor, end]);
    return {
      cameraId,
      recorded,
      gaps,
      events: events
        .filter((e) => e.camera_id === cameraId)
        .map(marker),
    };
  });
}
