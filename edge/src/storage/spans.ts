import type { Db } from '../db/database.ts';

/**
 * Recorded spans: per camera, the merged intervals covered by segments, kept
 * in step with the segments table inside the same transactions. A 7-day
 * timeline of 64 cameras then reads a few rows per gap instead of ~645,000
 * segment rows.
 *
 * Two segments belong to one span when the later starts no more than
 * SPAN_TOLERANCE_MS after the earlier ends (a quick reconnect is not a gap).
 */
export const SPAN_TOLERANCE_MS = 1500;

interface SpanRow {
  id: number;
  start_ms: number;
  end_ms: number;
}

/** Adds [start, end) of a camera to its spans, merging every span it touches. */
export function addToSpans(db: Db, cameraId: number, startMs: number, endMs: number): void {
  const touching = db
    .prepare('SELECT id, start_ms, end_ms FROM spans WHERE camera_id = ? AND start_ms <= ? AND end_ms >= ? ORDER BY start_ms')
    .all(cameraId, endMs + SPAN_TOLERANCE_MS, startMs - SPAN_TOLERANCE_MS) as SpanRow[];
  if (touching.length === 0) {
    db.prepare('INSERT INTO spans (camera_id, start_ms, end_ms) VALUES (?, ?, ?)').run(cameraId, startMs, endMs);
    return;
  }
  const first = touching[0]!;
  const start = Math.min(startMs, first.start_ms);
  const end = Math.max(endMs, ...touching.map((s) => s.end_ms));
  db.prepare('UPDATE spans SET start_ms = ?, end_ms = ? WHERE id = ?').run(start, end, first.id);
  const drop = db.prepare('DELETE FROM spans WHERE id = ?');
  for (const s of touching.slice(1)) drop.run(s.id);
}

/**
 * Call after a segment row [start, end) was deleted: shrinks or splits the span
 * that held it, using the neighbouring segments still in the index.
 */
export function removeFromSpans(db: Db, cameraId: number, startMs: number, endMs: number): void {
  const span = db
    .prepare('SELECT id, start_ms, end_ms FROM spans WHERE camera_id = ? AND start_ms <= ? AND end_ms >= ? LIMIT 1')
    .get(cameraId, startMs, endMs) as SpanRow | undefined;
  if (!span) return;
  const prev = db
    .prepare('SELECT start_ms, end_ms FROM segments WHERE camera_id = ? AND start_ms < ? AND start_ms >= ? ORDER BY start_ms DESC LIMIT 1')
    .get(cameraId, startMs, span.start_ms) as { start_ms: number; end_ms: number } | undefined;
  const next = db
    .prepare('SELECT start_ms, end_ms FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms <= ? ORDER BY start_ms LIMIT 1')
    .get(cameraId, startMs, span.end_ms) as { start_ms: number; end_ms: number } | undefined;
  db.prepare('DELETE FROM spans WHERE id = ?').run(span.id);
  const insert = db.prepare('INSERT INTO spans (camera_id, start_ms, end_ms) VALUES (?, ?, ?)');
  const maxEnd = db.prepare('SELECT MAX(end_ms) AS e FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms <= ?');
  // Earlier segments may reach past the deleted one's start (overlap after a restart).
  const leftEnd = prev ? (maxEnd.get(cameraId, span.start_ms, startMs - 1) as { e: number }).e : undefined;
  const rightEnd = next ? (maxEnd.get(cameraId, next.start_ms, span.end_ms) as { e: number }).e : undefined;
  if (leftEnd !== undefined && next && rightEnd !== undefined && next.start_ms - leftEnd <= SPAN_TOLERANCE_MS) {
    insert.run(cameraId, span.start_ms, Math.max(leftEnd, rightEnd)); // the hole is too small to be a gap
    return;
  }
  if (leftEnd !== undefined) insert.run(cameraId, span.start_ms, leftEnd);
  if (next && rightEnd !== undefined) insert.run(cameraId, next.start_ms, rightEnd);
}

export interface Span {
  cameraId: number;
  startMs: number;
  endMs: number;
}

export function spansBetween(db: Db, fromMs: number, toMs: number, cameraIds?: readonly number[]): Span[] {
  const filter = cameraIds ? `AND camera_id IN (${cameraIds.map(() => '?').join(',')})` : '';
  const rows = db
    .prepare(`SELECT camera_id, start_ms, end_ms FROM spans WHERE end_ms > ? AND start_ms < ? ${filter} ORDER BY camera_id, start_ms`)
    .all(fromMs, toMs, ...(cameraIds ?? [])) as Array<{ camera_id: number; start_ms: number; end_ms: number }>;
  return rows.map((r) => ({ cameraId: r.camera_id, startMs: r.start_ms, endMs: r.end_ms }));
}
