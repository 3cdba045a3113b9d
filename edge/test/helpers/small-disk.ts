/**
 * A real filesystem of a fixed size: a tmpfs mounted on a fresh directory, so
 * a test can fill a disk for real. Needs root (CAP_SYS_ADMIN);
 * `smallDiskProblem()` says why it cannot run here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';

function mount(dir: string, bytes: number): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `mount: ${r.error.message}`;
  return r.status === 0 ? null : `mount -t tmpfs failed: ${r.stderr.trim()}`;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir], { timeout: 10_000 });
  rmSync(dir, { recursive: true, force: true });
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
export function smallDiskProblem(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-disk-probe-'));
  const problem = mount(dir, 1 << 20);
  if (problem) rmSync(dir, { recursive: true, force: true });
  else unmount(dir);
  return problem;
}

/** Mounts a tmpfs of `bytes` (a multiple of 4096) and returns its directory; unmounted at teardown. */
export function smallDisk(t: Test, bytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-disk-'));
  const problem = mount(dir, bytes);
  if (problem) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(problem);
  }
  t.teardown(() => unmount(dir));
  return dir;
}
