import type { Db } from '../db/database.ts';

/** Which cameras are checkpoints (路口卡口). No I/O in the constructor. */
export class CheckpointStore {
  readonly #db: Db;
  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  ids(): number[] {
    return (this.#db.prepare('SELECT camera_id AS id FROM checkpoint_cameras ORDER BY camera_id').all() as Array<{ id: number }>).map((r) => r.id);
  }

  has(cameraId: number): boolean {
    return this.#db.prepare('SELECT 1 FROM checkpoint_cameras WHERE camera_id = ?').get(cameraId) !== undefined;
  }

  set(cameraId: number, checkpoint: boolean): void {
    if (checkpoint) this.#db.prepare('INSERT OR IGNORE INTO checkpoint_cameras (camera_id) VALUES (?)').run(cameraId);
    else this.#db.prepare('DELETE FROM checkpoint_cameras WHERE camera_id = ?').run(cameraId);
  }
}
