import type { Db } from '../db/database.ts';
import type { DiskSpace } from './disk.ts';
import { reservedBytes, type RetentionSettings } from './retention.ts';
import { othersBytes, type OwnBytes } from './own-files.ts';
import { bytesPerDay, requiredDays, spaceHorizon, storageWarnings, type StorageWarning } from './capacity.ts';

interface CameraStorage {
  cameraId: number;
  name: string | null;
  segments: number;
  bytes: number;
  oldestMs: number | null;
  newestMs: number | null;
  /** Average over the last hour of footage, bits per second. */
  bitrateBps: number | null;
  /** Days this camera must keep: its retention, never under retention.min_days. */
  requiredDays: number;
  /** Days the disk keeps of this camera at current bitrates (null: no bitrate measured). */
  holdsDays: number | null;
}

export interface StorageStatus {
  cameras: CameraStorage[];
  /** Footage in the index. */
  totalBytes: number;
  disk: DiskSpace;
  /** Free space the watermark keeps untouched. */
  reservedBytes: number;
  /** Everything cunbox wrote on the disk: footage, database, exports, photos. */
  cunboxBytes: number;
  /** Used on the filesystem by anything else. */
  foreignBytes: number;
  /** All cameras together at their measured bitrates. */
  bytesPerDay: number;
  /** Days of footage the disk holds at current bitrates (recordings + usable free space). */
  daysAtCurrentBitrate: number | null;
  /** Where the space rule cuts every camera's footage; null: every retention fits. */
  horizonDays: number | null;
  warnings: StorageWarning[];
}

const WINDOW_MS = 3_600_000;

/** `own`: what cunbox's files take (ownBytes); the rest of the used space is someone else's. */
export function storageStatus(deps: { db: Db }, disk: DiskSpace, settings: RetentionSettings, own: OwnBytes): StorageStatus {
  // Totals from the trigger-kept table and index range reads: this runs every half minute on
  // an index of millions of rows, so nothing here may scan all segments.
  const rows = deps.db
    .prepare(
      `SELECT t.camera_id AS cameraId, c.name AS name, t.segments AS segments, t.bytes AS bytes, c.retention_days AS days
         FROM segment_totals t LEFT JOIN cameras c ON c.id = t.camera_id WHERE t.segments > 0 ORDER BY t.camera_id`,
    )
    .all() as Array<{ cameraId: number; name: string | null; segments: number; bytes: number; days: number | null }>;
  const oldest = deps.db.prepare('SELECT MIN(start_ms) AS ms FROM segments WHERE camera_id = ?');
  // Segments of one camera do not overlap: the last to start is the last to end.
  const newest = deps.db.prepare('SELECT end_ms AS ms FROM segments WHERE camera_id = ? ORDER BY start_ms DESC LIMIT 1');
  const recent = deps.db.prepare('SELECT SUM(bytes) AS bytes, SUM(end_ms - start_ms) AS ms FROM segments WHERE camera_id = ? AND start_ms >= ?');
  const measured = rows.map(({ days, ...r }) => {
    const oldestMs = (oldest.get(r.cameraId) as { ms: number | null }).ms;
    const newestMs = (newest.get(r.cameraId) as { ms: number } | undefined)?.ms ?? null;
    const w = recent.get(r.cameraId, (newestMs ?? 0) - WINDOW_MS) as { bytes: number | null; ms: number | null };
    const bitrateBps = w.bytes && w.ms ? Math.round((w.bytes * 8 * 1000) / w.ms) : null;
    return { ...r, oldestMs, newestMs, bitrateBps, requiredDays: requiredDays(days, settings) };
  });
  const totalBytes = measured.reduce((s, c) => s + c.bytes, 0);
  const reserved = reservedBytes(settings, disk.totalBytes);
  let usable = totalBytes + Math.max(0, disk.freeBytes - reserved);
  if (settings.maxBytes !== null) usable = Math.min(usable, settings.maxBytes);
  const perDay = measured.reduce((s, c) => s + bytesPerDay(c.bitrateBps), 0);
  const horizonDays = spaceHorizon(measured.map((c) => ({ bytesPerDay: bytesPerDay(c.bitrateBps), requiredDays: c.requiredDays })), usable);
  const cameras = measured.map((c) => ({ ...c, holdsDays: c.bitrateBps === null ? null : Math.min(c.requiredDays, horizonDays ?? Infinity) }));
  const cunboxBytes = own.footageBytes + own.otherBytes;
  const foreignBytes = othersBytes(disk, own);
  return {
    cameras,
    totalBytes,
    disk,
    reservedBytes: reserved,
    cunboxBytes,
    foreignBytes,
    bytesPerDay: Math.round(perDay),
    daysAtCurrentBitrate: perDay > 0 ? usable / perDay : null,
    horizonDays,
    warnings: storageWarnings({ cameras, horizonDays, totalBytes: disk.totalBytes, freeBytes: disk.freeBytes, reservedBytes: reserved, cunboxBytes, foreignBytes }),
  };
}
