import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import { CunboxError } from '../errors.ts';
import { TemplatedError } from '../probe/problem.ts';

export interface Hold {
  id: number;
  cameraId: number;
  startMs: number;
  endMs: number;
  reason: string;
  createdBy: string | null;
  createdAt: number;
  releasedAt: number | null;
}

/**
 * Evidence holds: a camera and time range that retention must keep, with the
 * reason (a ticket, an export, a police request). Releasing keeps the row for
 * the audit trail; only active holds protect footage.
 */
export class HoldStore {
  readonly #db: Db;
  readonly #clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  add(input: { cameraId: number; startMs: number; endMs: number; reason: string; createdBy?: string | null }): Hold {
    if (!(input.endMs > input.startMs)) throw new CunboxError('INVALID_INPUT', 'hold: the end must be after the start');
    if (!input.reason.trim()) throw new CunboxError('INVALID_INPUT', 'hold: a reason is required');
    const info = this.#db
      .prepare('INSERT INTO holds (camera_id, start_ms, end_ms, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(input.cameraId, input.startMs, input.endMs, input.reason.trim(), input.createdBy ?? null, this.#clock.now());
    return this.get(Number(info.lastInsertRowid))!;
  }

  release(id: number): Hold {
    const info = this.#db.prepare('UPDATE holds SET released_at = ? WHERE id = ? AND released_at IS NULL').run(this.#clock.now(), id);
    if (info.changes === 0) throw new TemplatedError('NOT_FOUND', 'no active hold with id {id}', { id });
    return this.get(id)!;
  }

  get(id: number): Hold | undefined {
    const r = this.#db.prepare('SELECT * FROM holds WHERE id = ?').get(id) as HoldRow | undefined;
    return r && toHold(r);
  }

  list(opts: { includeReleased?: boolean } = {}): Hold[] {
    const rows = this.#db.prepare(`SELECT * FROM holds ${opts.includeReleased ? '' : 'WHERE released_at IS NULL'} ORDER BY id`).all() as HoldRow[];
    return rows.map(toHold);
  }
}

interface HoldRow {
  id: number;
  camera_id: number;
  start_ms: number;
  end_ms: number;
  reason: string;
  created_by: string | null;
  created_at: number;
  released_at: number | null;
}

function toHold(r: HoldRow): Hold {
  return {
    id: r.id,
    cameraId: r.camera_id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    releasedAt: r.released_at,
  };
}
