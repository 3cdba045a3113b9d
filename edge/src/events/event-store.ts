import { EPISODE_TYPES } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';

export interface StoredEvent {
  id: number;
  cameraId: number | null;
  type: string;
  atMs: number;
  detail: Record<string, unknown>;
  /** Only for start rows (`motion.start`, `tamper.start`) read by `page`: the summary that ended it; null while it goes on. */
  endedBy?: number | null;
}

const START_TYPES = Object.keys(EPISODE_TYPES);
const SUMMARY_TYPES = Object.values(EPISODE_TYPES);
const quoted = (list: readonly string[]) => list.map((x) => `'${x}'`).join(',');

/** True for a start row of an episode (still going on or not). */
export const isEpisodeStart = (type: string): boolean => START_TYPES.includes(type);

/**
 * SQL: the id of the summary row that ended start row `alias` (null while it
 * goes on). A summary is dated at its start and is of the same camera, so the
 * (camera_id, at_ms) index finds it without a scan.
 */
function endedBySql(alias: string): string {
  return `(SELECT s.id FROM events s WHERE s.camera_id = ${alias}.camera_id AND s.at_ms = ${alias}.at_ms AND s.type IN (${quoted(SUMMARY_TYPES)}) AND json_extract(s.detail, '$.startEventId') = ${alias}.id LIMIT 1)`;
}

/** SQL: row `alias` is not a start row whose episode has ended (its summary stands for it). */
export function notEndedStartSql(alias: string): string {
  return `NOT (${alias}.type IN (${quoted(START_TYPES)}) AND ${endedBySql(alias)} IS NOT NULL)`;
}

export interface EventQuery {
  fromMs: number;
  toMs: number;
  cameraIds?: readonly number[];
  types?: readonly string[];
  zones?: readonly string[];
  before?: { atMs: number; id: number };
  /** Leave out start rows whose episode ended: one row per episode, the summary once there is one. */
  hideEndedStarts?: boolean;
  limit: number;
}

/** Parses a page cursor (`atMs.id`); undefined when it is not one. */
export function parseEventCursor(text: string): { atMs: number; id: number } | undefined {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(text);
  return m ? { atMs: Number(m[1]), id: Number(m[2]) } : undefined;
}

/**
 * Camera and system events, stored in SQLite. This table is also the sync
 * outbox for events (edge/src/sync/client.ts): rows past the cloud's
 * acknowledged id are sent, so an event is queued in its own insert's transaction.
 */
export class EventStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #onRecorded: ((type: string) => void) | undefined;
  /** `onRecorded`: told each stored event's type (the metrics count them). */
  constructor(deps: { db: Db; clock: Clock; onRecorded?: (type: string) => void }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#onRecorded = deps.onRecorded;
  }

  /** `atMs`: when it happened, if not now (an ONVIF alarm's end is only known after its merge gap; a video motion event is stored when it ends, dated at its start). */
  record(cameraId: number | null, type: string, detail: Record<string, unknown> = {}, atMs?: number): number {
    const info = this.#db
      .prepare('INSERT INTO events (camera_id, type, at_ms, detail) VALUES (?, ?, ?, ?)')
      .run(cameraId, type, atMs ?? this.#clock.now(), JSON.stringify(detail));
    this.#onRecorded?.(type);
    return Number(info.lastInsertRowid);
  }

  list(filter: { cameraId?: number; type?: string; sinceMs?: number } = {}): StoredEvent[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.cameraId !== undefined) (where.push('camera_id = ?'), params.push(filter.cameraId));
    if (filter.type !== undefined) (where.push('type = ?'), params.push(filter.type));
    if (filter.sinceMs !== undefined) (where.push('at_ms >= ?'), params.push(filter.sinceMs));
    const rows = this.#db
      .prepare(`SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`)
      .all(...params) as Array<{ id: number; camera_id: number | null; type: string; at_ms: number; detail: string | null }>;
    return rows.map((r) => ({ id: r.id, cameraId: r.camera_id, type: r.type, atMs: r.at_ms, detail: r.detail ? JSON.parse(r.detail) : {} }));
  }

  get(id: number): StoredEvent | undefined {
    const r = this.#db.prepare('SELECT id, camera_id AS cameraId, type, at_ms AS atMs, detail FROM events WHERE id = ?').get(id) as (Omit<StoredEvent, 'detail'> & { detail: string | null }) | undefined;
    return r && { ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {} };
  }

  /**
   * Newest first, `limit` at a time. `before` is the cursor of the last event
   * of the previous page (`atMs.id`): keyset paging, stable while events arrive.
   * `zones` matches the zone of motion events (start rows and summaries).
   * Start rows come with `endedBy`.
   */
  page(q: EventQuery): { events: StoredEvent[]; next: string | null } {
    const where: string[] = ['at_ms >= ?', 'at_ms < ?'];
    const params: unknown[] = [q.fromMs, q.toMs];
    const list = (col: string, values: readonly unknown[]) => {
      where.push(`${col} IN (${values.map(() => '?').join(',') || 'NULL'})`);
      params.push(...values);
    };
    if (q.cameraIds) list('camera_id', q.cameraIds);
    if (q.types) list('type', q.types);
    if (q.zones) list("coalesce(json_extract(detail, '$.zone'), '')", q.zones);
    if (q.hideEndedStarts) where.push(notEndedStartSql('e'));
    if (q.before) {
      where.push('(at_ms < ? OR (at_ms = ? AND id < ?))');
      params.push(q.before.atMs, q.before.atMs, q.before.id);
    }
    const rows = this.#db
      .prepare(
        `SELECT id, camera_id AS cameraId, type, at_ms AS atMs, detail, CASE WHEN type IN (${quoted(START_TYPES)}) THEN ${endedBySql('e')} END AS endedBy FROM events e WHERE ${where.join(' AND ')} ORDER BY at_ms DESC, id DESC LIMIT ?`,
      )
      .all(...params, q.limit + 1) as Array<Omit<StoredEvent, 'detail' | 'endedBy'> & { detail: string | null; endedBy: number | null }>;
    const events = rows.slice(0, q.limit).map(({ endedBy, ...r }): StoredEvent => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {}, ...(isEpisodeStart(r.type) ? { endedBy } : {}) }));
    const last = events.at(-1);
    return { events, next: rows.length > q.limit && last ? `${last.atMs}.${last.id}` : null };
  }

  /** The newest `limit` events, newest first (the big screen's list; details left out). */
  recent(limit: number): Array<Omit<StoredEvent, 'detail'>> {
    return this.#db.prepare('SELECT id, camera_id AS cameraId, type, at_ms AS atMs FROM events ORDER BY id DESC LIMIT ?').all(limit) as Array<Omit<StoredEvent, 'detail'>>;
  }

  /** Camera and time of every event of these types since `sinceMs` (by the type/time index). */
  occurrences(types: readonly string[], sinceMs: number): Array<{ cameraId: number | null; atMs: number }> {
    if (types.length === 0) return [];
    return this.#db
      .prepare(`SELECT camera_id AS cameraId, at_ms AS atMs FROM events WHERE type IN (${types.map(() => '?').join(',')}) AND at_ms >= ?`)
      .all(...types, sinceMs) as Array<{ cameraId: number | null; atMs: number }>;
  }

  /** true/false from the camera's last online/offline event; undefined if it never had one. */
  lastOnline(cameraId: number): boolean | undefined {
    const row = this.#db
      .prepare("SELECT type FROM events WHERE camera_id = ? AND type IN ('camera.online','camera.offline') ORDER BY id DESC LIMIT 1")
      .get(cameraId) as { type: string } | undefined;
    return row ? row.type === 'camera.online' : undefined;
  }

  /** The type of the newest event among `types` (system events: cameraId null); undefined if none. */
  lastOf(types: readonly string[], cameraId: number | null = null): string | undefined {
    const row = this.#db
      .prepare(`SELECT type FROM events WHERE camera_id IS ? AND type IN (${types.map(() => '?').join(',')}) ORDER BY id DESC LIMIT 1`)
      .get(cameraId, ...types) as { type: string } | undefined;
    return row?.type;
  }
}
