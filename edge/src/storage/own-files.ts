import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/database.ts';
import type { Layout } from './layout.ts';
import { usedBytes, type DiskSpace } from './disk.ts';

export interface OwnBytes {
  /** Closed segments, from the index (rows and pending deletions). */
  footageBytes: number;
  /** Everything else cunbox writes: the database, segments being written, exports, photos, event thumbnails. */
  otherBytes: number;
}

/**
 * What cunbox's own files take on the data disk. Footage comes from the index
 * (no walk over millions of segments); the rest is walked, and is small. Only
 * places cunbox writes count: a stray file dropped into the data directory is
 * someone else's.
 */
export async function ownBytes(db: Db, layout: Layout): Promise<OwnBytes> {
  const footageBytes = (
    db.prepare('SELECT (SELECT COALESCE(SUM(bytes), 0) FROM segment_totals) + (SELECT COALESCE(SUM(bytes), 0) FROM garbage) AS b').get() as { b: number }
  ).b;
  let otherBytes = 0;
  for (const f of [layout.database, `${layout.database}-wal`, `${layout.database}-shm`, layout.lockFile]) otherBytes += await allocated(f);
  for (const cam of await entries(layout.recordings)) {
    if (cam.isDirectory()) otherBytes += await treeBytes(join(layout.recordings, cam.name, 'incoming'));
  }
  for (const dir of ['exports', 'governance', 'thumbnails']) otherBytes += await treeBytes(join(layout.dataDir, dir));
  return { footageBytes, otherBytes };
}

/** Allocated bytes (what statfs counts as used), 0 for a missing file. */
async function allocated(file: string): Promise<number> {
  try {
    return (await lstat(file)).blocks * 512;
  } catch {
    return 0;
  }
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

async function treeBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const e of await entries(dir)) {
    const p = join(dir, e.name);
    sum += e.isDirectory() ? await treeBytes(p) : await allocated(p);
  }
  return sum;
}

/** Used on the filesystem by anything but cunbox. */
export function othersBytes(disk: DiskSpace, own: OwnBytes): number {
  return Math.max(0, usedBytes(disk) - own.footageBytes - own.otherBytes);
}
