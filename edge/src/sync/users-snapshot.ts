/**
 * The edge's accounts as users sync sends them to the cloud: the
 * phone API logs in with the same users and roles. A whole snapshot each
 * time; its version is a hash of the rows, so "did anything change?" is one
 * read and one hash, cheap enough for every poll tick.
 */
import { createHash } from 'node:crypto';
import { KIOSK_ROLE, MAX_SYNC_USERS, type SyncUser } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { UserRow } from '../auth/users.ts';

export interface UsersSnapshot {
  version: string;
  users: SyncUser[];
}

const hasTable = (db: Db, name: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

export function readUsersSnapshot(db: Db): UsersSnapshot {
  // A database made with only some migrations (tests, tools) may lack these tables: no users, no restrictions.
  const rows = hasTable(db, 'users')
    ? // Office screens (kiosk) sign in with a token on the LAN, never on a phone: the cloud does not get them.
      (db.prepare('SELECT id, username, display_name, role, password_hash, disabled FROM users WHERE role != ? ORDER BY id LIMIT ?').all(KIOSK_ROLE, MAX_SYNC_USERS) as Array<Omit<UserRow, 'created_at' | 'updated_at'>>)
    : [];
  const cameras = new Map<number, number[]>();
  if (hasTable(db, 'user_cameras')) {
    for (const r of db.prepare('SELECT user_id, camera_id FROM user_cameras ORDER BY user_id, camera_id').all() as Array<{ user_id: number; camera_id: number }>) {
      const list = cameras.get(r.user_id) ?? [];
      list.push(r.camera_id);
      cameras.set(r.user_id, list);
    }
  }
  const users: SyncUser[] = rows.map((r) => ({
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    passwordHash: r.password_hash,
    disabled: r.disabled === 1,
    cameras: cameras.get(r.id) ?? null,
  }));
  return { version: createHash('sha256').update(JSON.stringify(users)).digest('hex'), users };
}
