import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { SyncClient } from '../sync/client.ts';
import type { StorageStatus } from '../storage/status.ts';
import type { OutboxGauge } from './metrics.ts';

/** The sync outbox as the metrics show it: what waits for the cloud's ack, and for how long. */
export function outboxOf(db: Db, sync: SyncClient, clock: Clock): OutboxGauge {
  const s = sync.status();
  const oldest = (db.prepare('SELECT min(at_ms) AS at FROM events WHERE id > ?').get(s.eventsAcked) as { at: number | null }).at;
  return { ops: s.opsPending, events: s.eventsPending, oldestEventAgeMs: oldest === null ? 0 : Math.max(0, clock.now() - oldest), connected: s.connected };
}

export interface LivenessParts {
  db: () => Db | undefined;
  /** Throws when the recorder supervisor cannot answer. */
  recorders: () => unknown;
  storage: () => StorageStatus | undefined;
}

/**
 * What /healthz asks: the database answers a query, the recorder supervisor
 * answers, and the disk is not full. "Full" is less than half of retention's
 * reserve free: retention keeps the whole reserve free, so falling that far
 * below it means it cannot keep up (held footage, another program's files).
 */
export async function liveness(parts: LivenessParts): Promise<string[]> {
  const failing: string[] = [];
  try {
    const db = parts.db();
    if (!db) throw new Error('no database open');
    db.prepare('SELECT 1').get();
  } catch {
    failing.push('database');
  }
  try {
    parts.recorders();
  } catch {
    failing.push('recorders');
  }
  const s = parts.storage();
  if (s && s.disk.freeBytes < s.reservedBytes / 2) failing.push('disk');
  return failing;
}
