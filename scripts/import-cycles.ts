/**
 * Import cycles among the TypeScript sources, found with madge. Type-only
 * imports count: a cycle of types still ties two modules to each other. The
 * workspace's own package names resolve to its sources (as tsx and tsc do
 * through node_modules), so a cycle through `@cunbox/shared` is seen too.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface MadgeResult {
  circular(): string[][];
  warnings(): { skipped: string[] };
}
type Madge = (paths: string[], config: object) => Promise<MadgeResult>;
const madge = createRequire(import.meta.url)('madge') as Madge;

export const ROOT = join(import.meta.dirname, '..');

/** The source folders whose modules may not import each other in a circle. */
export const SOURCE_DIRS = ['shared/src', 'edge/src', 'cloud/src'];

/** Each cycle as the files it passes through (relative to `baseDir`), and the imports madge could not resolve. */
export async function importCycles(dirs: string[], baseDir = ROOT): Promise<{ cycles: string[][]; unresolved: string[] }> {
  const res = await madge(
    dirs.map((d) => join(baseDir, d)),
    {
      baseDir,
      fileExtensions: ['ts'],
      detectiveOptions: { ts: { skipTypeImports: false, skipAsyncImports: false }, tsx: { skipTypeImports: false } },
      tsConfig: {
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          allowImportingTsExtensions: true,
          baseUrl: ROOT,
          paths: { '@cunbox/shared': ['shared/src/index.ts'], '@cunbox/shared/cli': ['shared/src/cli/index.ts'], '@cunbox/shared/photo': ['shared/src/media/photo.ts'] },
        },
      },
    },
  );
  return { cycles: res.circular(), unresolved: res.warnings().skipped };
}
