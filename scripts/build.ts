// Production build: bundles the edge CLI (and the benchmark's edge runner) into
// plain ESM JavaScript with esbuild, so the appliance runs without a TypeScript
// loader. Tests and development run the sources through tsx instead.
//
//   npx tsx scripts/build.ts            → edge/dist/cunbox.mjs
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const edgePkg = JSON.parse(readFileSync(join(root, 'edge/package.json'), 'utf8')) as { dependencies: Record<string, string> };
// Third-party packages stay in node_modules (native addons, lazy requires);
// our own workspaces (@cunbox/shared) are bundled.
const external = Object.keys(edgePkg.dependencies).filter((d) => !d.startsWith('@cunbox/'));

export async function buildEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    external,
    // Our workspaces are TypeScript sources: bundle them from this checkout.
    alias: { '@cunbox/shared': join(root, 'shared/src/index.ts') },
    // Bundled CJS dependencies may call require(); give ESM output one.
    banner: { js: "import { createRequire as __cunboxRequire } from 'node:module'; const require = __cunboxRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildEntry(join(root, 'edge/src/cli/entry.ts'), join(root, 'edge/dist/cunbox.mjs'));
  console.log('built edge/dist/cunbox.mjs');
}
