import { closeSync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { ClosedSegment } from '../recorder/types.ts';
import type { Layout } from './layout.ts';
import { durableMove, unlinkIfExists } from './durable.ts';
import { addToSpans, removeFromSpans } from './spans.ts';

export interface SegmentRow {
  id: number;
  camera_id: number;
  start_ms: number;
  end_ms: number;
  bytes: number;
  path: string;
  run_id: number | null;
  seq: number | null;
  recovered: number;
  indexed_at: number;
}

export interface NewSegment {
  cameraId: number;
  startMs: number;
  endMs: number;
  bytes: number;
  path: string;
  runId: number | null;
  seq: number | null;
  recovered: boolean;
}

/**
 * How long a closed segment's row waits for others to share its commit. Each
 * commit writes every page it touches to the WAL (segments, its three indexes,
 * sqlite_sequence, spans): ~30 KB for one row, 1.5 % on top of the video at
 * 64 cameras with 10-s segments. Rows committed together share the pages that
 * every insert touches; the wait stays far inside the index latency goal (2 s).
 */
const DEFAULT_GROUP_COMMIT_MS = 1000;

interface QueuedRow {
  row: NewSegment;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The segment index: one row per closed segment file, plus the recorder runs
 * that date them. Rows are written only after the file is durably in place.
 */
export class SegmentIndex {
  readonly #db: Db;
  readonly #layout: Layout;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onIndexed: ((row: NewSegment, latencyMs: number) => void) | undefined;
  readonly #groupCommitMs: number;
  #queue: QueuedRow[] = [];
  /** Runs whose ffmpeg has exited: a segment of theirs moved late is measured after the move. */
  readonly #endedRuns = new Set<number>();
  #flushTimer: unknown;
  /** Paths handed out by uniquePath whose rows are not committed yet. */
  readonly #reserved = new Set<string>();

  constructor(deps: { db: Db; layout: Layout; clock: Clock; log: Logger; onIndexed?: (row: NewSegment, latencyMs: number) => void; groupCommitMs?: number }) {
    this.#db = deps.db;
    this.#layout = deps.layout;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#onIndexed = deps.onIndexed;
    this.#groupCommitMs = deps.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS;
  }

  beginRun(cameraId: number, startedAt: number): number {
    const info = this.#db.prepare('INSERT INTO recorder_runs (camera_id, started_at) VALUES (?, ?)').run(cameraId, startedAt);
    return Number(info.lastInsertRowid);
  }

  setRunPid(runId: number, pid: number): void {
    this.#db.prepare('UPDATE recorder_runs SET pid = ? WHERE id = ?').run(pid, runId);
  }

  setRunAnchor(runId: number, anchorMs: number): void {
    this.#db.prepare('UPDATE recorder_runs SET anchor_ms = ? WHERE id = ?').run(anchorMs, runId);
  }

  endRun(runId: number, endedAt: number): void {
    this.#db.prepare('UPDATE recorder_runs SET ended_at = ? WHERE id = ?').run(endedAt, runId);
    // The run's ffmpeg is gone: its last segment has all it will ever get.
    this.#endedRuns.add(runId);
    this.#remeasure(runId, Number.MAX_SAFE_INTEGER);
  }

  /**
   * With one MPEG-TS muxer per run, ffmpeg writes the tail of a segment (the packets
   * it still buffered) just after announcing it. Segments of `runId` before `beforeSeq`
   * are complete: their rows (queued or committed) take the files' sizes now, fsynced.
   */
  #remeasure(runId: number, beforeSeq: number): void {
    for (const q of this.#queue) if (q.row.runId === runId && (q.row.seq ?? 0) < beforeSeq) q.row.bytes = this.#finalSize(q.row.path, q.row.bytes);
    const rows = this.#db.prepare('SELECT id, path, bytes FROM segments WHERE run_id = ? AND seq < ? ORDER BY seq DESC LIMIT 2').all(runId, beforeSeq) as Array<{ id: number; path: string; bytes: number }>;
    for (const r of rows) {
      const bytes = this.#finalSize(r.path, r.bytes);
      if (bytes !== r.bytes) this.#db.prepare('UPDATE segments SET bytes = ? WHERE id = ?').run(bytes, r.id);
    }
  }

  /** The file's size now, fsynced (the tail must survive a power cut too). */
  #finalSize(rel: string, known: number): number {
    try {
      const fd = openSync(this.#layout.absolute(rel), 'r');
      try {
        fsyncSync(fd);
        return fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch {
      return known; // gone already (retention): nothing to correct
    }
  }

  runAnchor(runId: number): number | undefined {
    const row = this.#db.prepare('SELECT anchor_ms FROM recorder_runs WHERE id = ?').get(runId) as { anchor_ms: number | null } | undefined;
    return row?.anchor_ms ?? undefined;
  }

  /** Moves a segment ffmpeg has closed into place and indexes it. */
  async indexClosed(seg: ClosedSegment): Promise<void> {
    let bytes: number;
    try {
      bytes = (await stat(seg.file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#log.warn({ file: seg.file }, 'announced segment is missing');
        return;
      }
      throw err;
    }
    if (bytes === 0 || seg.endMs <= seg.startMs) {
      // ffmpeg opens the next file before it knows whether data will follow.
      await unlinkIfExists(seg.file);
      return;
    }
    const rel = this.uniquePath(seg.cameraId, seg.startMs);
    this.#reserved.add(rel);
    try {
      await durableMove(seg.file, this.#layout.absolute(rel));
      if (this.#endedRuns.has(seg.runId)) bytes = this.#finalSize(rel, bytes);
      // This segment's announcement means the one before it is finished.
      if (seg.seq !== null) this.#remeasure(seg.runId, seg.seq);
      const row: NewSegment = {
        cameraId: seg.cameraId,
        startMs: seg.startMs,
        endMs: seg.endMs,
        bytes,
        path: rel,
        runId: seg.runId,
        seq: seg.seq,
        recovered: false,
      };
      await this.#insertSoon(row);
      this.#onIndexed?.(row, this.#clock.now() - seg.endMs);
    } finally {
      this.#reserved.delete(rel);
    }
  }

  /** Queues a row for the next group commit; settles once it is committed (or failed). */
  #insertSoon(row: NewSegment): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#flushTimer ??= this.#clock.setTimeout(() => this.#flush(), this.#groupCommitMs);
    });
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    try {
      this.#db.transaction(() => {
        for (const q of batch) this.#insertRow(q.row);
      })();
      for (const q of batch) q.resolve();
    } catch {
      // One bad row must not keep the others out: commit them one by one.
      for (const q of batch) {
        try {
          this.insert(q.row);
          q.resolve();
        } catch (err) {
          q.reject(err);
        }
      }
    }
  }

  /** Inserts one row now, in its own transaction (reconciliation, tests). */
  insert(row: NewSegment): number {
    return this.#db.transaction(() => this.#insertRow(row))();
  }

  #insertRow(row: NewSegment): number {
    const info = this.#db
      .prepare(
        `INSERT INTO segments (camera_id, start_ms, end_ms, bytes, path, run_id, seq, recovered, indexed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.cameraId, row.startMs, row.endMs, row.bytes, row.path, row.runId, row.seq, row.recovered ? 1 : 0, this.#clock.now());
    addToSpans(this.#db, row.cameraId, row.startMs, row.endMs);
    return Number(info.lastInsertRowid);
  }

  /**
   * Deletes rows (and keeps spans in step) in one transaction. With `garbage`,
   * their files are queued for deletion in the same transaction.
   */
  deleteRows(ids: readonly number[], garbage?: { reason: string }): void {
    deleteSegmentRows(this.#db, ids, this.#clock.now(), garbage);
  }

  /**
   * The destination path for a segment; two segments of one camera starting in
   * the same millisecond (a restart) must not overwrite each other.
   */
  uniquePath(cameraId: number, startMs: number): string {
    let ms = startMs;
    const taken = this.#db.prepare('SELECT 1 FROM segments WHERE path = ? UNION ALL SELECT 1 FROM garbage WHERE path = ?');
    for (;;) {
      const rel = this.#layout.segmentPath(cameraId, ms);
      if (!this.#reserved.has(rel) && !taken.get(rel, rel)) return rel;
      ms++;
    }
  }

  forCamera(cameraId: number, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): SegmentRow[] {
    return this.#db
      .prepare('SELECT * FROM segments WHERE camera_id = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms')
      .all(cameraId, fromMs, toMs) as SegmentRow[];
  }

  all(): SegmentRow[] {
    return this.#db.prepare('SELECT * FROM segments ORDER BY camera_id, start_ms').all() as SegmentRow[];
  }
}

/** See SegmentIndex.deleteRows; a function so that retention can use it without an index instance. */
export function deleteSegmentRows(db: Db, ids: readonly number[], now: number, garbage?: { reason: string }): void {
  const get = db.prepare('SELECT id, camera_id, start_ms, end_ms, path, bytes FROM segments WHERE id = ?');
  const mark = db.prepare('INSERT OR IGNORE INTO garbage (path, camera_id, bytes, reason, created_at) VALUES (?, ?, ?, ?, ?)');
  const drop = db.prepare('DELETE FROM segments WHERE id = ?');
  db.transaction(() => {
    for (const id of ids) {
      const r = get.get(id) as Pick<SegmentRow, 'id' | 'camera_id' | 'start_ms' | 'end_ms' | 'path' | 'bytes'> | undefined;
      if (!r) continue;
      if (garbage) mark.run(r.path, r.camera_id, r.bytes, garbage.reason, now);
      drop.run(id);
      removeFromSpans(db, r.camera_id, r.start_ms, r.end_ms);
    }
  })();
}
