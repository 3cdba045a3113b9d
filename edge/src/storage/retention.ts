import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Layout } from './layout.ts';
import type { DiskSpace, DiskUsage } from './disk.ts';
import { fsyncDir, unlinkIfExists } from './durable.ts';
import { deleteSegmentRows } from './segment-index.ts';
import { othersBytes, ownBytes } from './own-files.ts';
import { foreignThreshold, gib, requiredDays } from './capacity.ts';

export interface RetentionSettings {
  /** Days kept for cameras without their own setting. */
  defaultDays: number;
  /** Legal floor (some regions require 30 days for public cameras): no camera keeps less; null: none. */
  minDays: number | null;
  /** Keep at least this much free on the recordings filesystem… */
  minFreeBytes: number;
  /** …and at least this share of it (0–1); the larger of the two wins. */
  minFreeRatio: number;
  /** Optional cap on the bytes of all recordings together. */
  maxBytes: number | null;
  intervalMs: number;
  /**
   * How often free space is looked at between passes (one statfs). Another
   * program filling the disk must not stall recording until the next pass.
   */
  watchMs: number;
  /** Rows moved to garbage per transaction; files unlinked per event-loop turn. */
  batchSize: number;
}

export const defaultRetentionSettings: RetentionSettings = {
  defaultDays: 7,
  minDays: null,
  minFreeBytes: 2 * 1024 ** 3,
  minFreeRatio: 0.05,
  maxBytes: null,
  intervalMs: 60_000,
  watchMs: 2_000,
  batchSize: 200,
};

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  byAge: number;
  bySpace: number;
}

/** Free space the watermark keeps: the larger of min_free_bytes and min_free_percent of the disk. */
export function reservedBytes(settings: Pick<RetentionSettings, 'minFreeBytes' | 'minFreeRatio'>, diskTotalBytes: number): number {
  return Math.max(settings.minFreeBytes, settings.minFreeRatio * diskTotalBytes);
}

interface Candidate {
  id: number;
  camera_id: number;
  path: string;
  bytes: number;
}

const BLAME_LOG_EVERY_MS = 10 * 60_000;

/** Segments overlapping an active evidence hold are never candidates. */
const NOT_HELD = `NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.camera_id = s.camera_id
                  AND h.start_ms < s.end_ms AND h.end_ms > s.start_ms)`;

/**
 * The ring buffer. Two rules, both never touching held footage nor the segment
 * being written (which has no row until it is closed):
 *  - age: a camera's segments older than its retention are deleted;
 *  - space: while free space is under the watermark (or recordings exceed
 *    maxBytes), the oldest footage across all cameras is deleted first.
 *
 * Deletion is crash-safe: rows move to `garbage` in one transaction, then files
 * are unlinked, directories fsynced and garbage rows dropped. A crash in
 * between leaves garbage rows, which sweep() (run at start-up) finishes.
 */
export interface RetentionDeps {
  db: Db;
  layout: Layout;
  clock: Clock;
  log: Logger;
  settings: RetentionSettings;
  diskUsage: DiskUsage;
  /** Test hook: called after rows moved to garbage, before any unlink. */
  afterCollect?: () => void;
  /** Called after every pass that deleted footage (the storage monitor re-judges the disk). */
  afterPass?: (result: RetentionResult) => void;
}

export class Retention {
  readonly #deps: RetentionDeps;
  #timer: unknown;
  #watchTimer: unknown;
  /** A watch-triggered pass found nothing it may delete: wait for the regular pass. */
  #watchQuiet = false;
  #lastBlameLogMs = -Infinity;
  #running: Promise<RetentionResult> | undefined;

  constructor(deps: RetentionDeps) {
    this.#deps = deps;
  }

  start(): void {
    const { clock, settings } = this.#deps;
    this.#timer = clock.setInterval(() => {
      this.#watchQuiet = false;
      void this.#runLogged();
    }, settings.intervalMs);
    this.#watchTimer = clock.setInterval(() => void this.#watch(), settings.watchMs);
  }

  async stop(): Promise<void> {
    this.#deps.clock.clearInterval(this.#timer);
    this.#deps.clock.clearInterval(this.#watchTimer);
    this.#watchTimer = undefined;
    await this.#running?.catch(() => {});
  }

  /** One pass of both rules. Concurrent calls share the pass in progress. */
  runOnce(): Promise<RetentionResult> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #runLogged(): Promise<RetentionResult | undefined> {
    return this.runOnce().catch((err) => {
      this.#deps.log.error({ err }, 'retention failed');
      return undefined;
    });
  }

  /** Between passes: one statfs; a pass at once when free space fell under the watermark. */
  async #watch(): Promise<void> {
    if (this.#running || this.#watchQuiet) return;
    const { layout, settings, diskUsage } = this.#deps;
    let disk: DiskSpace;
    try {
      disk = await diskUsage(layout.recordings);
    } catch {
      return; // the next pass reports it
    }
    // stop() may have come while statfs ran.
    if (this.#watchTimer === undefined || disk.freeBytes >= reservedBytes(settings, disk.totalBytes)) return;
    const result = await this.#runLogged();
    // Everything left is held (or deletion failed): retrying every few seconds would only repeat the error.
    if (!result || result.bySpace === 0) this.#watchQuiet = true;
  }

  async #pass(): Promise<RetentionResult> {
    const result: RetentionResult = { deletedSegments: 0, deletedBytes: 0, byAge: 0, bySpace: 0 };
    await this.sweep();
    const byAge = await this.#applyAge();
    result.byAge = byAge.count;
    result.deletedBytes += byAge.bytes;
    const bySpace = await this.#applySpace();
    result.bySpace = bySpace.count;
    result.deletedBytes += bySpace.bytes;
    result.deletedSegments = result.byAge + result.bySpace;
    if (result.deletedSegments > 0) {
      this.#deps.log.info(result, 'retention deleted footage');
      this.#deps.afterPass?.(result);
    }
    return result;
  }

  async #applyAge(): Promise<{ count: number; bytes: number }> {
    const { db, clock, settings } = this.#deps;
    const cameras = db.prepare('SELECT t.camera_id AS id, c.retention_days AS days FROM segment_totals t LEFT JOIN cameras c ON c.id = t.camera_id WHERE t.segments > 0').all() as Array<{ id: number; days: number | null }>;
    const select = db.prepare(`SELECT id, camera_id, path, bytes FROM segments s WHERE camera_id = ? AND end_ms <= ? AND ${NOT_HELD} ORDER BY start_ms LIMIT ?`);
    let count = 0;
    let bytes = 0;
    for (const cam of cameras) {
      const cutoff = clock.now() - requiredDays(cam.days, settings) * 86_400_000;
      for (;;) {
        const batch = select.all(cam.id, cutoff, settings.batchSize) as Candidate[];
        if (batch.length === 0) break;
        bytes += await this.#delete(batch, 'age');
        count += batch.length;
        if (batch.length < settings.batchSize) break;
      }
    }
    return { count, bytes };
  }

  /** Bytes that must go now to satisfy the free-space watermark and the quota. */
  async bytesOverLimit(): Promise<number> {
    return (await this.#overLimit()).need;
  }

  async #overLimit(): Promise<{ need: number; disk: DiskSpace }> {
    const { db, layout, settings, diskUsage } = this.#deps;
    mkdirSync(layout.recordings, { recursive: true });
    const disk = await diskUsage(layout.recordings);
    let need = reservedBytes(settings, disk.totalBytes) - disk.freeBytes;
    if (settings.maxBytes !== null) {
      const total = (db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM segment_totals').get() as { b: number }).b;
      need = Math.max(need, total - settings.maxBytes);
    }
    return { need: Math.max(0, need), disk };
  }

  async #applySpace(): Promise<{ count: number; bytes: number }> {
    const { db, settings, log } = this.#deps;
    const over = await this.#overLimit();
    let need = over.need;
    if (need <= 0) return { count: 0, bytes: 0 };
    // Say so loudly when the footage goes to make room for someone else's files (not for the quota).
    const short = over.disk.freeBytes < reservedBytes(settings, over.disk.totalBytes);
    const blame = short ? await this.#foreignBlame(over.disk, need) : null;
    const select = db.prepare(`SELECT id, camera_id, path, bytes FROM segments s WHERE ${NOT_HELD} ORDER BY start_ms LIMIT ?`);
    let count = 0;
    let bytes = 0;
    while (need > 0) {
      const rows = select.all(settings.batchSize) as Candidate[];
      if (rows.length === 0) {
        log.error({ needBytes: need }, 'disk over its watermark and nothing left that may be deleted (all held)');
        break;
      }
      // Take only as many of the oldest as the shortfall needs.
      const batch: Candidate[] = [];
      for (const r of rows) {
        if (need <= 0) break;
        batch.push(r);
        need -= r.bytes;
      }
      bytes += await this.#delete(batch, 'space');
      count += batch.length;
    }
    if (blame && count > 0) {
      // In a full ring buffer this happens every pass: warn once in a while, not every minute.
      const now = this.#deps.clock.now();
      const loud = now - this.#lastBlameLogMs >= BLAME_LOG_EVERY_MS;
      if (loud) this.#lastBlameLogMs = now;
      log[loud ? 'warn' : 'info']({ ...blame, deletedSegments: count, deletedBytes: bytes }, `deleting ${count} footage segments (${gib(bytes)} GiB) because other programs use ${gib(blame.foreignBytes)} GiB of the disk`);
    }
    return { count, bytes };
  }

  async #foreignBlame(disk: DiskSpace, needBytes: number) {
    const { db, layout } = this.#deps;
    const own = await ownBytes(db, layout);
    const foreignBytes = othersBytes(disk, own);
    return foreignBytes > foreignThreshold(disk.totalBytes) ? { foreignBytes, cunboxBytes: own.footageBytes + own.otherBytes, freeBytes: disk.freeBytes, needBytes } : null;
  }

  async #delete(batch: Candidate[], reason: string): Promise<number> {
    const { db, clock } = this.#deps;
    deleteSegmentRows(db, batch.map((c) => c.id), clock.now(), { reason });
    this.#deps.afterCollect?.();
    await this.sweep();
    return batch.reduce((sum, c) => sum + c.bytes, 0);
  }

  /** Finishes every pending deletion: unlink, fsync the directories, drop the rows. */
  async sweep(): Promise<number> {
    const { db, layout, settings } = this.#deps;
    const select = db.prepare('SELECT path FROM garbage LIMIT ?');
    const drop = db.prepare('DELETE FROM garbage WHERE path = ?');
    let done = 0;
    for (;;) {
      const rows = select.all(settings.batchSize) as Array<{ path: string }>;
      if (rows.length === 0) return done;
      const dirs = new Set<string>();
      for (const r of rows) {
        const abs = layout.absolute(r.path);
        await unlinkIfExists(abs);
        dirs.add(dirname(abs));
      }
      for (const d of dirs) await fsyncDir(d).catch(() => {});
      db.transaction(() => {
        for (const r of rows) drop.run(r.path);
      })();
      done += rows.length;
      // Let recorders and the API run between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
