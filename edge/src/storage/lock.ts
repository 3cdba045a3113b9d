import { openSync, writeSync, closeSync, readFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CunboxError } from '../errors.ts';

/** The pid of a live edge holding the data directory, if any. */
export function lockHolder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but another user's; ESRCH: gone (a crash left the file).
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * One edge per data directory: two recorders writing the same incoming/
 * directories would corrupt each other's segments. A lock left by a crashed
 * edge (its pid no longer alive) is taken over.
 */
export function acquireLock(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const holder = lockHolder(file);
  if (holder !== undefined && holder !== process.pid) {
    throw new CunboxError('EDGE_RUNNING', `another edge (pid ${holder}) is using this data directory`);
  }
  const fd = openSync(file, 'w');
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  return () => {
    if (lockHolder(file) === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  };
}
