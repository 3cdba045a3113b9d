/**
 * The copy/paste check (`npm run dup`) on a small tree of its own, with the real jscpd: a clone
 * between two folders is counted under that pair, more clones than the limit file allows fail
 * the check (exit 1 as CI sees it), fewer pass and ask for the limit to come down.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '@cunbox/test-support/tmp';
import { countClones, readLimit, reportDir, verdict } from './dup.ts';

const SCRIPT = join(import.meta.dirname, 'dup.ts');

/** A rule written twice, once in each folder: one clone of 12 lines. */
const RULE = `
export function dueAt(createdAt: number, slaMinutes: number, paused: Array<{ from: number; to: number }>): number {
  let due = createdAt + slaMinutes * 60_000;
  for (const p of paused) {
    if (p.to <= createdAt) continue;
    const from = Math.max(p.from, createdAt);
    due += p.to - from;
  }
  if (due < createdAt) throw new Error('a pause cannot end before it starts');
  return due;
}
`;

/** A tree with one clone (edge ↔ cloud), jscpd's config (`config` replaces keys) and a limit file of `maxClones`. */
function tree(maxClones: unknown, config: Record<string, unknown> = {}): string {
  const dir = tmpDir(t, 'cunbox-dup-');
  for (const [folder, body] of [['edge', `${RULE}export const EDGE = 1;\n`], ['cloud', `${RULE}export const CLOUD = 2;\n`], ['shared', 'export const ONLY_HERE = 3;\n']] as const) {
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, 'rule.ts'), body);
  }
  writeFileSync(join(dir, '.jscpd.json'), JSON.stringify({ path: ['edge', 'cloud', 'shared'], format: ['typescript'], minLines: 6, minTokens: 30, reporters: ['console', 'json'], output: '.cache/jscpd', ...config }));
  mkdirSync(join(dir, 'scripts'));
  writeFileSync(join(dir, 'scripts/dup-limit.json'), JSON.stringify({ maxClones }));
  return dir;
}

const LIMIT = 'scripts/dup-limit.json';

t.test('a clone between two folders is counted under that pair', async (t) => {
  const r = countClones('.jscpd.json', tree(1), true);
  t.same(r, { clones: 1, byPair: [['cloud↔edge', 1]] });
  t.same(verdict(r, 1, LIMIT), { ok: true, lines: ['dup: 1 clone (at most 1): cloud↔edge 1'] });
});

t.test('more clones than the limit fail the check, and say what to do', async (t) => {
  const v = verdict(countClones('.jscpd.json', tree(0), true), 0, LIMIT);
  t.equal(v.ok, false);
  t.match(v.lines[1], /1 more than scripts\/dup-limit\.json allows: use the code that exists/);
});

t.test('fewer clones than the limit pass, and ask for the limit to come down', async (t) => {
  const v = verdict(countClones('.jscpd.json', tree(4), true), 4, LIMIT);
  t.equal(v.ok, true);
  t.match(v.lines[1], /set maxClones in scripts\/dup-limit\.json to 1/);
});

t.test('a limit that is not a count, or a config without the JSON report, is refused with the reason', async (t) => {
  for (const bad of [undefined, -1, 2.5, '35']) t.throws(() => readLimit(join(tree(bad), LIMIT)), /maxClones must be a whole number/, `maxClones ${JSON.stringify(bad)}`);
  const noJson = tree(3, { reporters: ['console'] });
  t.throws(() => reportDir(join(noJson, '.jscpd.json')), /reporters must include "json"/);
  t.throws(() => countClones('.jscpd.json', noJson, true), /reporters must include "json"/);
  t.throws(() => readLimit(join(noJson, 'missing.json')), /cannot read/);
});

t.test('`npm run dup` as CI runs it: exit 1 over the limit, 2 on a broken limit file', async (t) => {
  const run = (dir: string) => spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), SCRIPT], { cwd: dir, encoding: 'utf8' });
  const over = run(tree(0));
  t.equal(over.status, 1, over.stderr);
  t.match(over.stdout, /Clone found/, "jscpd's own list of the clones is in the log");
  t.match(over.stdout, /dup: 1 clone \(at most 0\): cloud↔edge 1/);
  const broken = run(tree('many'));
  t.equal(broken.status, 2);
  t.match(broken.stderr, /dup: .*maxClones must be a whole number/);
});

t.test("the repository's own config and limit are ones the check accepts", async (t) => {
  const root = join(import.meta.dirname, '..');
  t.equal(reportDir(join(root, '.jscpd.json')), '.cache/jscpd');
  t.ok(readLimit(join(root, LIMIT)) >= 0);
});
