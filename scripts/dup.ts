/**
 * `npm run dup`, which `npm test` (and so CI) runs before the tests: jscpd, the copy/paste
 * detector, over the folders .jscpd.json names, then the number of clones it found against the
 * most scripts/dup-limit.json allows (its own file: jscpd warns on keys it does not know). More
 * clones than that fails: a change copied code instead of reusing it. A count, not jscpd's
 * fingerprint baseline: editing the lines of an old clone must not read as a new one. The limit
 * only goes down: when work removes clones (rules moved into shared/), the check says so, and the
 * limit is lowered to the new count in the same change.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

export interface DupResult {
  clones: number;
  /** Clones per pair of top folders, e.g. `cloud↔edge` (a clone inside one folder: `edge↔edge`), most first. */
  byPair: Array<[string, number]>;
}

interface JscpdReport {
  duplicates: Array<{ firstFile: { name: string }; secondFile: { name: string } }>;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Where jscpd writes its JSON report, from its config (which must ask for that report). */
export function reportDir(configFile: string): string {
  const c = readJson(configFile);
  if (typeof c.output !== 'string' || c.output === '') throw new Error(`${configFile}: output must name the folder of jscpd's reports`);
  if (!Array.isArray(c.reporters) || !c.reporters.includes('json')) throw new Error(`${configFile}: reporters must include "json" (the check counts from that report)`);
  return c.output;
}

/** The most clones the check lets through: `maxClones` of the limit file. */
export function readLimit(limitFile: string): number {
  const { maxClones } = readJson(limitFile);
  if (!Number.isInteger(maxClones) || (maxClones as number) < 0) throw new Error(`${limitFile}: maxClones must be a whole number ≥ 0 (the most clones the check lets through)`);
  return maxClones as number;
}

/**
 * Runs jscpd with `configFile` in `cwd` and counts what it found. `quiet` drops jscpd's console
 * report (the list of clones, which CI shows).
 */
export function countClones(configFile: string, cwd = process.cwd(), quiet = false): DupResult {
  const report = join(resolve(cwd, reportDir(resolve(cwd, configFile))), 'jscpd-report.json');
  rmSync(report, { force: true }); // never count an old run's report
  const bin = createRequire(import.meta.url).resolve('jscpd/run-jscpd.js');
  const run = spawnSync(process.execPath, [bin, '--config', configFile, '--absolute', '--no-colors'], { cwd, stdio: ['ignore', quiet ? 'ignore' : 'inherit', quiet ? 'pipe' : 'inherit'], encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`jscpd failed (${run.status === null ? `signal ${run.signal}` : `exit ${run.status}`})${run.stderr ? `: ${run.stderr.trim()}` : ''}`);
  const { duplicates } = JSON.parse(readFileSync(report, 'utf8')) as JscpdReport;
  const top = (file: string) => relative(cwd, file).split(/[\\/]/)[0]!;
  const pairs = new Map<string, number>();
  for (const d of duplicates) {
    const key = [top(d.firstFile.name), top(d.secondFile.name)].sort().join('↔');
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  return { clones: duplicates.length, byPair: [...pairs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])) };
}

/** The verdict's lines and whether the check passes. */
export function verdict(r: DupResult, maxClones: number, limitFile: string): { ok: boolean; lines: string[] } {
  const pairs = r.byPair.map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [`dup: ${r.clones} clone${r.clones === 1 ? '' : 's'} (at most ${maxClones})${pairs ? `: ${pairs}` : ''}`];
  if (r.clones > maxClones) {
    lines.push(`dup: ${r.clones - maxClones} more than ${limitFile} allows: use the code that exists (shared/ for what the edge and the cloud both do) instead of a copy; the clones are listed above`);
    return { ok: false, lines };
  }
  if (r.clones < maxClones) lines.push(`dup: fewer clones than the limit: set maxClones in ${limitFile} to ${r.clones}, so that they stay gone`);
  return { ok: true, lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [configFile = '.jscpd.json', limitFile = 'scripts/dup-limit.json'] = process.argv.slice(2);
  try {
    const maxClones = readLimit(limitFile); // a broken limit file fails before jscpd runs
    const { ok, lines } = verdict(countClones(configFile), maxClones, limitFile);
    for (const l of lines) console.log(l);
    process.exitCode = ok ? 0 : 1;
  } catch (err) {
    console.error(`dup: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
