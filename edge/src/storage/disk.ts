import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  totalBytes: number;
  /** Space available to unprivileged writers (ffmpeg runs as the service user). */
  freeBytes: number;
  /**
   * Bytes held by files on the filesystem. Not total − free: ext4 keeps blocks
   * for root that are neither free to us nor anyone's files. Absent: total − free.
   */
  usedBytes?: number;
}

export type DiskUsage = (path: string) => Promise<DiskSpace>;

export const statfsDiskUsage: DiskUsage = async (path) => {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
};

export function usedBytes(disk: DiskSpace): number {
  return disk.usedBytes ?? disk.totalBytes - disk.freeBytes;
}
