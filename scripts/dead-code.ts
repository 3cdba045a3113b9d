/**
 * Dead code, found with knip (config: knip.jsonc at the root): files nothing
 * imports, and exports and types nothing imports, in the source folders. A
 * test importing an export counts as a use; `npm run dead-code` prints the list.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '..');

/** The folders the check holds to "nothing unused". */
export const SOURCE_DIRS = ['shared/src', 'edge/src', 'cloud/src'];

const ISSUE_TYPES = ['files', 'exports', 'types', 'nsExports', 'nsTypes'] as const;

interface KnipIssue {
  file: string;
  [type: string]: unknown;
}

/** One line per finding, `kind path name`, for the folders in `dirs` (relative to `cwd`). */
export async function deadCode(dirs: readonly string[], cwd = ROOT): Promise<string[]> {
  const knip = join(ROOT, 'node_modules', '.bin', 'knip');
  // knip exits 1 when it finds something; the JSON report is on stdout either way.
  const { stdout } = await promisify(execFile)(knip, ['--no-progress', '--no-config-hints', '--reporter', 'json', '--include', ISSUE_TYPES.join(',')], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    if (err.code === 1 && err.stdout) return { stdout: err.stdout };
    throw new Error(`knip failed: ${err.stderr ?? err}`);
  });
  const report = JSON.parse(stdout) as { issues: KnipIssue[] };
  const found: string[] = [];
  for (const issue of report.issues) {
    if (!dirs.some((d) => issue.file.startsWith(`${d}/`))) continue;
    for (const type of ISSUE_TYPES) {
      for (const item of (issue[type] as Array<{ name: string }> | undefined) ?? []) found.push(`${type} ${issue.file} ${type === 'files' ? '' : item.name}`.trim());
    }
  }
  return found.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = await deadCode(SOURCE_DIRS);
  for (const line of found) console.log(line);
  process.exitCode = found.length > 0 ? 1 : 0;
}
