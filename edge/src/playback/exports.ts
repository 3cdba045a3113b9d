import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { CunboxError } from '../errors.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import type { Layout } from '../storage/layout.ts';
import type { HoldStore } from '../storage/holds.ts';
import type { SegmentIndex } from '../storage/segment-index.ts';
import { cutClip } from './clip.ts';
import { sha256File } from './hash.ts';
import type { TimeRange } from './range.ts';

type ExportStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface ExportJob {
  id: number;
  cameraIds: number[];
  fromMs: number;
  toMs: number;
  status: ExportStatus;
  progress: number;
  error: string | null;
  reason: string;
  createdBy: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  attempts: number;
  /** SHA-256 of manifest.json, once done. */
  manifestSha256: string | null;
}

interface ExportRow {
  id: number;
  camera_ids: string;
  from_ms: number;
  to_ms: number;
  status: ExportStatus;
  progress: number;
  error: string | null;
  reason: string;
  created_by: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempts: number;
  manifest: string | null;
}

const toJob = (r: ExportRow): ExportJob => ({
  id: r.id,
  cameraIds: JSON.parse(r.camera_ids) as number[],
  fromMs: r.from_ms,
  toMs: r.to_ms,
  status: r.status,
  progress: r.progress,
  error: r.error,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  attempts: r.attempts,
  manifestSha256: r.manifest ? (JSON.parse(r.manifest) as { sha256: string }).sha256 : null,
});

export interface ExportDeps {
  db: Db;
  layout: Layout;
  clock: Clock;
  spawner: Spawner;
  log: Logger;
  holds: HoldStore;
  index: SegmentIndex;
  cameraName: (id: number) => { name: string; zone: string | null } | undefined;
  ffmpegPath?: string;
  /** Unfinished jobs one person may have at once (exports are heavy on disk). */
  maxActivePerUser?: number;
}

/**
 * The evidence export queue: one job at a time, progress in the database,
 * cancel and retry, and jobs that survive a restart. Queuing a job puts an
 * evidence hold on each camera's range first, so retention cannot delete the
 * source while the job waits or after it is done.
 */
export class ExportQueue {
  readonly #deps: ExportDeps;
  #current: { id: number; abort: AbortController; done: Promise<void> } | undefined;
  #stopped = true;

  constructor(deps: ExportDeps) {
    this.#deps = deps;
  }

  /**
   * `recoverRunning`: the edge owns the queue, so a job left 'running' by a
   * crash starts over. A CLI process running one export passes false.
   */
  start(opts: { recoverRunning?: boolean } = {}): void {
    this.#stopped = false;
    if (opts.recoverRunning ?? true) this.#deps.db.prepare("UPDATE exports SET status = 'queued', progress = 0 WHERE status = 'running'").run();
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const cur = this.#current;
    if (cur) {
      cur.abort.abort();
      await cur.done;
    }
  }

  enqueue(input: { cameraIds: number[]; range: TimeRange; reason: string; createdBy: string | null }): ExportJob {
    const { db, clock, holds, index } = this.#deps;
    const reason = input.reason.trim();
    if (!reason) throw new CunboxError('INVALID_INPUT', 'an export needs a reason (e.g. the ticket or request it is for)');
    if (input.cameraIds.length === 0) throw new CunboxError('INVALID_INPUT', 'choose at least one camera');
    const cameraIds = [...new Set(input.cameraIds)];
    for (const id of cameraIds) {
      if (!this.#deps.cameraName(id)) throw new CunboxError('NOT_FOUND', `no camera with id ${id}`);
      if (index.forCamera(id, input.range.fromMs, input.range.toMs).length === 0) {
        throw new CunboxError('NO_FOOTAGE', `camera ${id} has no footage between ${new Date(input.range.fromMs).toISOString()} and ${new Date(input.range.toMs).toISOString()}`);
      }
    }
    const max = this.#deps.maxActivePerUser ?? 3;
    const active = (db.prepare("SELECT COUNT(*) AS n FROM exports WHERE created_by IS ? AND status IN ('queued', 'running')").get(input.createdBy) as { n: number }).n;
    if (active >= max) throw new CunboxError('RATE_LIMITED', `at most ${max} exports may wait or run per person; wait for one to finish`);
    const id = db.transaction(() => {
      const info = db
        .prepare("INSERT INTO exports (camera_ids, from_ms, to_ms, status, reason, created_by, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)")
        .run(JSON.stringify(cameraIds), input.range.fromMs, input.range.toMs, reason, input.createdBy, clock.now());
      const jobId = Number(info.lastInsertRowid);
      for (const cameraId of cameraIds) holds.add({ cameraId, startMs: input.range.fromMs, endMs: input.range.toMs, reason: `export #${jobId}: ${reason}`, createdBy: input.createdBy });
      return jobId;
    })();
    this.#pump();
    return this.get(id)!;
  }

  get(id: number): ExportJob | undefined {
    const r = this.#deps.db.prepare('SELECT * FROM exports WHERE id = ?').get(id) as ExportRow | undefined;
    return r && toJob(r);
  }

  list(): ExportJob[] {
    return (this.#deps.db.prepare('SELECT * FROM exports ORDER BY id DESC LIMIT 200').all() as ExportRow[]).map(toJob);
  }

  cancel(id: number): ExportJob {
    const job = this.#require(id);
    if (job.status === 'queued') this.#set(id, { status: 'cancelled', finished_at: this.#deps.clock.now() });
    else if (job.status === 'running' && this.#current?.id === id) this.#current.abort.abort();
    else throw new CunboxError('INVALID_TRANSITION', `export #${id} is ${job.status}; only queued or running exports can be cancelled`);
    return this.get(id)!;
  }

  retry(id: number): ExportJob {
    const job = this.#require(id);
    if (job.status !== 'failed' && job.status !== 'cancelled') throw new CunboxError('INVALID_TRANSITION', `export #${id} is ${job.status}; only failed or cancelled exports can be retried`);
    this.#set(id, { status: 'queued', progress: 0, error: null, finished_at: null });
    this.#pump();
    return this.get(id)!;
  }

  /** Where a finished export's files are. */
  directory(id: number): string {
    return join(this.#deps.layout.dataDir, 'exports', String(id));
  }

  /** Resolves when no job is queued or running (tests, CLI). */
  async idle(): Promise<void> {
    while (this.#current) await this.#current.done;
  }

  #require(id: number): ExportJob {
    const job = this.get(id);
    if (!job) throw new CunboxError('NOT_FOUND', `no export with id ${id}`);
    return job;
  }

  #set(id: number, fields: Partial<Record<keyof ExportRow, unknown>>): void {
    const keys = Object.keys(fields);
    this.#deps.db.prepare(`UPDATE exports SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => fields[k as keyof ExportRow]), id);
  }

  #pump(): void {
    if (this.#stopped || this.#current) return;
    const { db, clock } = this.#deps;
    // Claim atomically: the edge and a CLI `cunbox export` may share the table.
    const next = db.transaction(() => {
      const row = db.prepare("SELECT id, attempts FROM exports WHERE status = 'queued' ORDER BY id LIMIT 1").get() as { id: number; attempts: number } | undefined;
      if (row) db.prepare("UPDATE exports SET status = 'running', started_at = ?, attempts = ?, progress = 0, error = NULL WHERE id = ?").run(clock.now(), row.attempts + 1, row.id);
      return row;
    }).immediate();
    if (!next) return;
    const abort = new AbortController();
    const done = this.#run(next.id, abort.signal).finally(() => {
      this.#current = undefined;
      this.#pump();
    });
    this.#current = { id: next.id, abort, done };
  }

  async #run(id: number, signal: AbortSignal): Promise<void> {
    const { clock, log, index } = this.#deps;
    const job = this.get(id)!;
    const dir = this.directory(id);
    try {
      await mkdir(dir, { recursive: true });
      const range = { fromMs: job.fromMs, toMs: job.toMs };
      const cameras = [];
      let lastWrite = 0;
      for (const [i, cameraId] of job.cameraIds.entries()) {
        const file = `camera-${cameraId}.mp4`;
        const out = join(dir, file);
        const clip = await cutClip(this.#deps, index.forCamera(cameraId, range.fromMs, range.toMs), range, out, {
          signal,
          onProgress: (f) => {
            // Progress rows at most twice a second.
            const now = clock.now();
            if (now - lastWrite < 500 && f < 1) return;
            lastWrite = now;
            this.#set(id, { progress: Math.min(0.99, (i + f) / job.cameraIds.length) });
          },
        });
        const sources = [];
        for (const r of clip.sources) sources.push({ path: r.path, start: iso(r.start_ms), end: iso(r.end_ms), bytes: r.bytes, sha256: await sha256File(this.#deps.layout.absolute(r.path)) });
        const info = this.#deps.cameraName(cameraId);
        cameras.push({
          camera_id: cameraId,
          name: info?.name ?? null,
          zone: info?.zone ?? null,
          file,
          bytes: (await stat(out)).size,
          sha256: await sha256File(out),
          duration_s: Number(clip.durationSeconds.toFixed(3)),
          covered: clip.covered.map(([a, b]) => [iso(a), iso(b)]),
          sources,
        });
      }
      const manifest = {
        export_id: id,
        reason: job.reason,
        created_by: job.createdBy,
        created_at: iso(job.createdAt),
        finished_at: iso(clock.now()),
        range: { from: iso(job.fromMs), to: iso(job.toMs) },
        precision:
          'Each file starts at the requested time: the key frame before it is included and hidden by an MP4 edit list (players that ignore edit lists show up to one GOP earlier). Gaps in the recording are closed up; "covered" lists what the file holds.',
        cameras,
      };
      const text = `${JSON.stringify(manifest, null, 2)}\n`;
      await writeFile(join(dir, 'manifest.json'), text);
      const { createHash } = await import('node:crypto');
      this.#set(id, { status: 'done', progress: 1, finished_at: clock.now(), manifest: JSON.stringify({ sha256: createHash('sha256').update(text).digest('hex') }) });
      log.info({ exportId: id, cameras: job.cameraIds.length }, 'export done');
    } catch (err) {
      const cancelled = signal.aborted && !this.#stopped;
      const stopping = signal.aborted && this.#stopped;
      if (stopping) {
        // Edge shutting down: leave it queued for the next start.
        this.#set(id, { status: 'queued', progress: 0 });
        return;
      }
      this.#set(id, { status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : (err as Error).message, finished_at: clock.now() });
      if (!cancelled) log.warn({ exportId: id, err }, 'export failed');
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
