import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  totalBytes: number;
  /** Space available to unprivileged writers (ffmpeg runs as the service user). */
  freeBytes: number;
}

export type DiskUsage = (path: string) => Promise<DiskSpace>;

export const statfsDiskUsage: DiskUsage = async (path) => {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
};
