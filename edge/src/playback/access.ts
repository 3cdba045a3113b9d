import type { Db } from '../db/database.ts';
import { cameraScope } from '@cunbox/shared';
import type { Role } from '../auth/users.ts';

/**
 * Camera permissions: a user with rows in `user_cameras` sees only those
 * cameras (a grid worker their grid's, a big screen its zone's); without rows,
 * the role decides (staff roles see all cameras, everyone else none).
 */
export class CameraAccess {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** undefined: every camera. */
  allowed(userId: number, role: Role): Set<number> | undefined {
    const rows = this.#db.prepare('SELECT camera_id FROM user_cameras WHERE user_id = ?').all(userId) as Array<{ camera_id: number }>;
    // The rule is shared: the cloud applies it to the restrictions synced from here.
    return cameraScope(role, rows.map((r) => r.camera_id));
  }

  may(userId: number, role: Role, cameraId: number): boolean {
    const set = this.allowed(userId, role);
    return set === undefined || set.has(cameraId);
  }

  restrict(userId: number, cameraIds: readonly number[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM user_cameras WHERE user_id = ?').run(userId);
      const ins = this.#db.prepare('INSERT INTO user_cameras (user_id, camera_id) VALUES (?, ?)');
      for (const c of cameraIds) ins.run(userId, c);
    })();
  }
}
