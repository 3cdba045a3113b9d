import type { Db } from '../db/database.ts';
import type { DiskSpace } from './disk.ts';
import type { RetentionSettings } from './retention.ts';

export interface CameraStorage {
  cameraId: number;
  name: string | null;
  segments: number;
  bytes: number;
  oldestMs: number | null;
  newestMs: number | null;
  /** Average over the last hour of footage, bits per second. */
  bitrateBps: number | null;
}

export interface StorageStatus {
  cameras: CameraStorage[];
  totalBytes: number;
  disk: DiskSpace;
  /** Free space the watermark keeps untouched. */
  reservedBytes: number;
  /** Days of footage the disk holds at current bitrates (recordings + usable free space). */
  daysAtCurrentBitrate: number | null;
}

const WINDOW_MS = 3_600_000;

export function storageStatus(deps: { db: Db }, disk: DiskSpace, settings: RetentionSettings): StorageStatus {
  const rows = deps.db
    .prepare(
      `SELECT s.camera_id AS cameraId, c.name AS name, COUNT(*) AS segments, SUM(s.bytes) AS bytes,
              MIN(s.start_ms) AS oldestMs, MAX(s.end_ms) AS newestMs
         FROM segments s LEFT JOIN cameras c ON c.id = s.camera_id GROUP BY s.camera_id ORDER BY s.camera_id`,
    )
    .all() as Array<Omit<CameraStorage, 'bitrateBps'>>;
  const recent = deps.db.prepare(
    'SELECT SUM(bytes) AS bytes, SUM(end_ms - start_ms) AS ms FROM segments WHERE camera_id = ? AND end_ms > ?',
  );
  const cameras = rows.map((r) => {
    const since = (r.newestMs ?? 0) - WINDOW_MS;
    const w = recent.get(r.cameraId, since) as { bytes: number | null; ms: number | null };
    const bitrateBps = w.bytes && w.ms ? Math.round((w.bytes * 8 * 1000) / w.ms) : null;
    return { ...r, bitrateBps };
  });
  const totalBytes = cameras.reduce((s, c) => s + c.bytes, 0);
  const reservedBytes = Math.max(settings.minFreeBytes, settings.minFreeRatio * disk.totalBytes);
  let usable = totalBytes + Math.max(0, disk.freeBytes - reservedBytes);
  if (settings.maxBytes !== null) usable = Math.min(usable, settings.maxBytes);
  const bytesPerDay = cameras.reduce((s, c) => s + ((c.bitrateBps ?? 0) / 8) * 86_400, 0);
  return {
    cameras,
    totalBytes,
    disk,
    reservedBytes,
    daysAtCurrentBitrate: bytesPerDay > 0 ? usable / bytesPerDay : null,
  };
}
