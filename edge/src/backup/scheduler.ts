import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { EdgeConfig } from '../config/load.ts';
import type { EventStore } from '../events/event-store.ts';
import type { Logger } from '../log.ts';
import { pruneBackups, takeBackup, type BackupResult } from './backup.ts';

export interface BackupSettings {
  dir: string;
  keep: number;
  /** Local time, "HH:MM". */
  dailyAt: string;
}

/** The next moment at or after `nowMs` (exclusive) when the local clock reads `hhmm`. */
export function nextDailyAt(nowMs: number, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const d = new Date(nowMs);
  d.setHours(h, m, 0, 0);
  // setDate, not +24 h: across a daylight-saving change the local time stays the configured one.
  while (d.getTime() <= nowMs) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/**
 * Takes the daily backup inside the edge and keeps the newest `keep`. A
 * failure (full or missing backup disk) is logged and recorded as a
 * `backup_failed` event, which syncs to the cloud like other events; it never
 * stops the edge, and the next day is tried again.
 */
export class BackupScheduler {
  readonly #deps: { config: EdgeConfig; settings: BackupSettings; db: Db; clock: Clock; log: Logger; events: EventStore };
  #timer: unknown;
  #running: Promise<BackupResult | null> | undefined;
  #stopped = true;

  constructor(deps: { config: EdgeConfig; settings: BackupSettings; db: Db; clock: Clock; log: Logger; events: EventStore }) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Takes a backup now and prunes old ones; null when it failed (already logged and recorded). */
  runNow(): Promise<BackupResult | null> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<BackupResult | null> {
    const { config, settings, db, clock, log, events } = this.#deps;
    try {
      const r = await takeBackup({ config, toDir: settings.dir, clock, db });
      const removed = pruneBackups(settings.dir, settings.keep);
      log.info({ dir: r.dir, files: r.manifest.files.length, removed: removed.length }, 'backup taken');
      return r;
    } catch (err) {
      const message = (err as Error).message;
      log.error({ dir: settings.dir, err: message }, 'backup failed');
      try {
        events.record(null, 'backup_failed', { dir: settings.dir, message });
      } catch {
        // The database itself may be what failed; the log line above stands.
      }
      return null;
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { clock, settings } = this.#deps;
    const now = clock.now();
    this.#timer = clock.setTimeout(() => {
      void this.runNow().then(() => this.#schedule());
    }, nextDailyAt(now, settings.dailyAt) - now);
  }
}
