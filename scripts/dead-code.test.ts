/**
 * No dead code in shared/src, edge/src or cloud/src (knip with knip.jsonc), and the check itself
 * seen to catch an unused export, an unused type and an unused file in a small tree of its own.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deadCode, SOURCE_DIRS } from './dead-code.ts';

t.test('nothing in shared/src, edge/src or cloud/src is exported, or a file, that nothing imports', async (t) => {
  const found = await deadCode(SOURCE_DIRS);
  t.same(found, [], 'unused (delete it, or drop `export` when only its own module uses it; knip.jsonc lists the few known exceptions)');
});

t.test('the check reports an unused export, an unused type and an unused file, and not what a test imports', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', private: true, type: 'module', exports: { '.': './src/index.ts' } }));
  writeFileSync(join(dir, 'knip.json'), JSON.stringify({ entry: ['test/**/*.ts'], project: ['src/**/*.ts', 'test/**/*.ts'] }));
  writeFileSync(join(dir, 'src', 'index.ts'), "import { used } from './rules.ts';\nexport const answer = used();\n");
  writeFileSync(join(dir, 'src', 'rules.ts'), 'export function used(): number {\n  return 42;\n}\nexport function forgotten(): number {\n  return 1;\n}\nexport function testedOnly(): number {\n  return 2;\n}\nexport interface Unread {\n  a: number;\n}\n');
  writeFileSync(join(dir, 'src', 'orphan.ts'), 'export const lonely = 1;\n');
  writeFileSync(join(dir, 'test', 'rules.test.ts'), "import { testedOnly } from '../src/rules.ts';\nconsole.log(testedOnly());\n");
  const found = await deadCode(['src'], dir);
  t.same(found, ['exports src/rules.ts forgotten', 'files src/orphan.ts', 'types src/rules.ts Unread']);
});
