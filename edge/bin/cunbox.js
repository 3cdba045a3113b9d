#!/usr/bin/env node
// `cunbox`: runs the built bundle (edge/dist/cunbox.mjs, from `npm run build`)
// when it is at least as new as the sources: plain JavaScript starts in a
// fraction of the time tsx needs to compile the sources. Without a bundle, or
// with sources edited since the build (development), it runs the sources
// through tsx, so what runs is never older than what was checked out.
// CUNBOX_RUN_SOURCES=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const edgeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(edgeDir, 'dist', 'cunbox.mjs');

/** Newest modification time among the TypeScript sources the bundle is built from. */
function newestSource() {
  let newest = 0;
  for (const dir of [join(edgeDir, 'src'), join(edgeDir, '..', 'shared', 'src')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir, { recursive: true })) {
      if (!String(name).endsWith('.ts')) continue;
      newest = Math.max(newest, statSync(join(dir, String(name))).mtimeMs);
    }
  }
  return newest;
}

if (process.env.CUNBOX_RUN_SOURCES !== '1' && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource()) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { endQuietlyOnClosedPipe } = await import('../src/cli/closed-pipe.ts');
  endQuietlyOnClosedPipe();
  const { run } = await import('../src/cli/main.ts');
  const { finishProcess } = await import('../src/cli/interrupt.ts');
  finishProcess(await run(process.argv.slice(2)));
}
