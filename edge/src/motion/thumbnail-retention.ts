import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../storage/layout.ts';

const DAY_MS = 86_400_000;
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Deletes event thumbnails (whole UTC-day folders) older than their camera's
 * retention: a thumbnail outlives its footage by at most a day, and a busy
 * camera's few hundred a day never pile up. The event rows stay (the cloud has
 * them); their thumbnail route then answers 404. Returns the folders removed.
 */
export function pruneThumbnails(layout: Layout, nowMs: number, retentionDays: (cameraId: number) => number): number {
  const root = join(layout.dataDir, 'thumbnails');
  let removed = 0;
  for (const cam of list(root)) {
    const cameraId = Number(cam);
    if (!Number.isInteger(cameraId) || cameraId <= 0) continue;
    // A day folder goes once its last moment is older than the retention.
    const cutoff = new Date(nowMs - retentionDays(cameraId) * DAY_MS - DAY_MS).toISOString().slice(0, 10);
    for (const day of list(join(root, cam))) {
      if (!DAY_DIR.test(day) || day >= cutoff) continue;
      rmSync(join(root, cam, day), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
