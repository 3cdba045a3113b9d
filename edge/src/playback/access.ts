import type { Db } from '../db/database.ts';
import { cameraScope } from '@cunbox/shared';
import type { Role } from '../auth/users.ts';
import { CunboxError } from '../errors.ts';

/** Most cameras one account may be limited to (a village has far fewer). */
export const MAX_RESTRICTED_CAMERAS = 256;

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

  /** The user's own list, sorted; null when the role decides (no restriction). */
  restriction(userId: number): number[] | null {
    const rows = this.#db.prepare('SELECT camera_id AS id FROM user_cameras WHERE user_id = ? ORDER BY camera_id').all(userId) as Array<{ id: number }>;
    return rows.length > 0 ? rows.map((r) => r.id) : null;
  }

  /**
   * Limits a user to these cameras, or lifts the limit (null). An empty list is
   * refused: stored, it would read as "no restriction" and show every camera.
   * Every camera must exist, so a typo cannot leave a screen blank.
   */
  setRestriction(userId: number, cameraIds: readonly number[] | null, cameraExists: (id: number) => boolean): number[] | null {
    if (cameraIds === null) {
      this.restrict(userId, []);
      return null;
    }
    const ids = [...new Set(cameraIds)].sort((a, b) => a - b);
    if (ids.length === 0) throw new CunboxError('INVALID_INPUT', 'cameras: give at least one camera, or null for every camera the role may see');
    if (ids.length > MAX_RESTRICTED_CAMERAS) throw new CunboxError('INVALID_INPUT', `cameras: at most ${MAX_RESTRICTED_CAMERAS}`);
    const unknown = ids.filter((id) => !Number.isSafeInteger(id) || id < 1 || !cameraExists(id));
    if (unknown.length > 0) throw new CunboxError('INVALID_INPUT', `cameras: no camera ${unknown.join(', ')}`);
    this.restrict(userId, ids);
    return ids;
  }

  restrict(userId: number, cameraIds: readonly number[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM user_cameras WHERE user_id = ?').run(userId);
      const ins = this.#db.prepare('INSERT INTO user_cameras (user_id, camera_id) VALUES (?, ?)');
      for (const c of cameraIds) ins.run(userId, c);
    })();
  }
}
