import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/** A fresh directory removed when the test ends (kept with CUNBOX_KEEP_TMP=1). */
export function tmpDir(t: Test, prefix = 'cunbox-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => {
    if (!process.env.CUNBOX_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
