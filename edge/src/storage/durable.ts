import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Durability helpers. A segment row is only inserted after its file and the
 * directory entry naming it are on disk, so after a power cut every row points
 * at a file; the reverse (a file without a row) is mended by reconciliation.
 */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some filesystems (e.g. some FUSE mounts) refuse fsync on directories.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await fh.close();
  }
}

/** fsync `src`, move it to `dest` (creating its directory), fsync both directories. */
export async function durableMove(src: string, dest: string): Promise<void> {
  await fsyncFile(src);
  await mkdir(dirname(dest), { recursive: true });
  await rename(src, dest);
  await fsyncDir(dirname(dest));
  if (dirname(src) !== dirname(dest)) await fsyncDir(dirname(src));
}

/** unlink that treats "already gone" as success. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
