/**
 * `cunbox` (edge/bin/cunbox.js, what setup links onto PATH) runs the built
 * bundle when there is one at least as new as the sources, and the sources
 * through tsx otherwise. Each case runs in a scratch copy of the layout inside
 * the repository (so node_modules resolve), never touching the real edge/dist.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildEntry } from './build.ts';

const root = join(import.meta.dirname, '..');
const run = promisify(execFile);

function scratch(t: Test): string {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, '.cache', 'bin-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'edge/bin'), { recursive: true });
  mkdirSync(join(dir, 'edge/src/cli'), { recursive: true });
  mkdirSync(join(dir, 'edge/dist'), { recursive: true });
  copyFileSync(join(root, 'edge/bin/cunbox.js'), join(dir, 'edge/bin/cunbox.js'));
  return dir;
}

t.test('runs the real bundle when it is there (no sources needed)', async (t) => {
  const dir = scratch(t);
  await buildEntry(join(root, 'edge/src/cli/entry.ts'), join(dir, 'edge/dist/cunbox.mjs'));
  // edge/src is empty here: had the launcher fallen back to tsx, it could not have started.
  const { stdout } = await run(process.execPath, [join(dir, 'edge/bin/cunbox.js'), '--help'], { env: { ...process.env, CUNBOX_RUN_SOURCES: '' } });
  t.match(stdout, /serve/, 'the bundled CLI answered --help');
});

t.test('falls back to the sources when they are newer than the bundle', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'edge/dist/cunbox.mjs'), "console.log('bundle');\n");
  writeFileSync(join(dir, 'edge/src/cli/closed-pipe.ts'), 'export function endQuietlyOnClosedPipe(): void {}\n');
  writeFileSync(join(dir, 'edge/src/cli/main.ts'), "export async function run(): Promise<number> { console.log('sources'); return 0; }\n");
  const bin = join(dir, 'edge/bin/cunbox.js');
  const env = { ...process.env, CUNBOX_RUN_SOURCES: '' };
  const old = new Date(Date.now() - 3_600_000);
  for (const f of ['closed-pipe.ts', 'main.ts']) utimesSync(join(dir, 'edge/src/cli', f), old, old);
  t.equal((await run(process.execPath, [bin], { env })).stdout.trim(), 'bundle', 'bundle newer than every source: the bundle runs');
  utimesSync(join(dir, 'edge/src/cli/main.ts'), new Date(), new Date());
  t.equal((await run(process.execPath, [bin], { env })).stdout.trim(), 'sources', 'a source edited after the build: the sources run');
  utimesSync(join(dir, 'edge/src/cli/main.ts'), old, old);
  t.equal((await run(process.execPath, [bin], { env: { ...env, CUNBOX_RUN_SOURCES: '1' } })).stdout.trim(), 'sources', 'CUNBOX_RUN_SOURCES=1 forces the sources');
});
