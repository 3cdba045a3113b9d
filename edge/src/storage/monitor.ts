import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { EventStore } from '../events/event-store.ts';
import type { Layout } from './layout.ts';
import type { DiskUsage } from './disk.ts';
import type { RetentionSettings } from './retention.ts';
import { ownBytes } from './own-files.ts';
import { storageStatus, type StorageStatus } from './status.ts';
import type { StorageWarning } from './capacity.ts';

/** Each alarm's event, and the one that says it is over. */
const STORAGE_ALARMS = {
  'storage.retention_short': 'storage.retention_short_cleared',
  'storage.foreign_usage': 'storage.foreign_usage_cleared',
} as const satisfies Record<StorageWarning['code'], string>;

type AlarmCode = keyof typeof STORAGE_ALARMS;

export interface StorageMonitorDeps {
  db: Db;
  layout: Layout;
  clock: Clock;
  log: Logger;
  settings: RetentionSettings;
  diskUsage: DiskUsage;
  events: EventStore;
  /** How often the disk is judged without being asked; retention asks after each deleting pass. */
  intervalMs?: number;
}

/**
 * Judges the data disk (capacity against each camera's required days, space
 * taken by other programs) and turns the verdicts into events: one when an
 * alarm starts, one when it ends, never one per check. The alarm state lives in
 * the events table, so a restart does not repeat an alarm already raised.
 */
export class StorageMonitor {
  readonly #deps: StorageMonitorDeps;
  #timer: unknown;
  #checking: Promise<StorageStatus> | undefined;
  #latest: StorageStatus | undefined;

  constructor(deps: StorageMonitorDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer = this.#deps.clock.setInterval(() => void this.checkLogged(), this.#deps.intervalMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.#deps.clock.clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking?.catch(() => {});
  }

  /** The last verdict (undefined before the first check). */
  get latest(): StorageStatus | undefined {
    return this.#latest;
  }

  /** Never throws: a failed check is logged and the previous verdict stands. */
  async checkLogged(): Promise<StorageStatus | undefined> {
    return this.check().catch((err) => {
      this.#deps.log.error({ err }, 'storage check failed');
      return undefined;
    });
  }

  /** Concurrent calls share the check in progress. */
  check(): Promise<StorageStatus> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<StorageStatus> {
    const { db, layout, settings, diskUsage } = this.#deps;
    const disk = await diskUsage(layout.recordings);
    const status = storageStatus({ db }, disk, settings, await ownBytes(db, layout));
    this.#latest = status;
    for (const code of Object.keys(STORAGE_ALARMS) as AlarmCode[]) this.#transition(code, status.warnings.find((w) => w.code === code));
    return status;
  }

  #transition(code: AlarmCode, warning: StorageWarning | undefined): void {
    const { events, log } = this.#deps;
    const cleared = STORAGE_ALARMS[code];
    const active = events.lastOf([code, cleared]) === code;
    if (warning && !active) {
      const { code: _, ...detail } = warning;
      events.record(null, code, detail);
      log.warn({ event: code, ...detail }, warning.message);
    } else if (!warning && active) {
      events.record(null, cleared, {});
      log.info({ event: cleared }, `${code} is over`);
    }
  }
}
