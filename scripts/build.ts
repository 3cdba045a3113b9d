// Production build: bundles the edge CLI (and the benchmark's edge runner) and
// the cloud's CLI into plain ESM JavaScript with esbuild, so the appliance and
// the cloud run without a TypeScript loader. Tests and development run the
// sources through tsx instead.
//
//   npx tsx scripts/build.ts            → edge/dist/cunbox.mjs, edge/dist/web/ (the browser app),
//                                          cloud/dist/cunbox-cloud.mjs (what cunbox-cloud.service runs),
//                                          cloud/dist/m/ (the phone app the cloud serves at /m/)
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildPhone, buildWeb, initialSize } from './build-web.ts';

const root = join(import.meta.dirname, '..');
const dependencies = (workspace: string) => Object.keys((JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
// Third-party JavaScript is bundled too: resolving and reading hundreds of small
// files under node_modules was most of the start-up time (`cunbox --help` ~0.9 s of
// CPU → ~0.2 s; `serve` to "edge started" ~1.7 s → ~1.1 s). Kept outside, loaded from
// node_modules at run time: native addons, and packages that read files next to their
// own code (pdfkit's fonts, swagger-ui's static pages).
export const edgeExternal = ['better-sqlite3', 'sharp', 'pdfkit', '@fastify/swagger-ui'];
// Optional native bindings a bundled package require()s only when asked for (pg's
// `pg-native`, which the cloud never asks for): not dependencies, and not bundled.
const optionalBindings = ['pg-native'];
// The cloud's: the same native addon and static pages, and pg's optional binding.
export const cloudExternal = ['better-sqlite3', '@fastify/swagger-ui', 'pg-native'];
// Every dependency must be resolvable at run time or be bundled: a typo here would only show on the box.
for (const [workspace, external] of [['edge', edgeExternal], ['cloud', cloudExternal]] as const) {
  const deps = dependencies(workspace);
  for (const e of external) if (!e.includes('*') && !deps.includes(e) && !optionalBindings.includes(e)) throw new Error(`build: ${e} is not a ${workspace} dependency`);
}

/**
 * Bundles `entry` into `outfile`. Modules the code imports with `await import()`
 * (what only `serve` needs: the edge, fastify, MQTT, sharp…) land in chunks next
 * to it and load only when that code runs, so `cunbox --help` stays light.
 */
export async function buildEntry(entry: string, outfile: string, external: readonly string[] = edgeExternal): Promise<void> {
  await build({
    entryPoints: { [basename(outfile, '.mjs')]: entry },
    outdir: dirname(outfile),
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    external: [...external],
    // Our workspaces are TypeScript sources, bundled from this checkout: node_modules/@cunbox/shared
    // is the workspace link to shared/, and its entry points (`@cunbox/shared`, `/cli`, `/photo`)
    // resolve through its package.json exports.
    // Bundled CJS dependencies may call require(); give ESM output one.
    banner: { js: "import { createRequire as __cunboxRequire } from 'node:module'; const require = __cunboxRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = join(root, 'edge/dist');
  // A fresh directory: chunk names carry hashes, old ones would pile up.
  rmSync(out, { recursive: true, force: true });
  await buildEntry(join(root, 'edge/src/cli/entry.ts'), join(out, 'cunbox.mjs'));
  console.log('built edge/dist/cunbox.mjs');
  // Inside edge/dist: the install copies edge/dist, and its release hash covers the app too.
  buildWeb(join(out, 'web'));
  const size = initialSize(join(out, 'web'));
  console.log(`built edge/dist/web (first load: ${size.jsKbGz} KB JS, ${size.cssKbGz} KB CSS gzipped)`);
  const cloudOut = join(root, 'cloud/dist');
  // Fresh as well; the phone app is built into it afterwards.
  rmSync(cloudOut, { recursive: true, force: true });
  await buildEntry(join(root, 'cloud/src/cli/entry.ts'), join(cloudOut, 'cunbox-cloud.mjs'), cloudExternal);
  console.log('built cloud/dist/cunbox-cloud.mjs');
  // The phone app ships with the cloud, which serves it from cloud/dist/m (cloud/src/phone-web.ts).
  const phoneOut = join(cloudOut, 'm');
  buildPhone(phoneOut);
  const phone = initialSize(phoneOut, '/m/');
  console.log(`built cloud/dist/m (first load: ${phone.jsKbGz} KB JS, ${phone.cssKbGz} KB CSS gzipped)`);
}
