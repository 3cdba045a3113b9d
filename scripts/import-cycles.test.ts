import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importCycles, SOURCE_DIRS } from './import-cycles.ts';

t.test('no module of shared/src, edge/src or cloud/src imports itself through others', async (t) => {
  const { cycles, unresolved } = await importCycles(SOURCE_DIRS);
  t.same(unresolved, [], 'every import resolves (the workspace package names included), so no cycle hides behind one');
  t.same(cycles.map((c) => c.join(' > ')), [], 'import cycles (break each by moving what both sides need into a module of its own)');
});

t.test('the check sees a cycle made of .ts specifiers and a type-only import', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'src', 'routes'), { recursive: true });
  writeFileSync(join(dir, 'src', 'app.ts'), "import { helloRoutes } from './routes/hello.ts';\nexport type Api = { get(url: string): void };\nexport const routes = [helloRoutes];\n");
  writeFileSync(join(dir, 'src', 'routes', 'hello.ts'), "import type { Api } from '../app.ts';\nexport function helloRoutes(app: Api): void {\n  app.get('/hello');\n}\n");
  writeFileSync(join(dir, 'src', 'alone.ts'), "import { routes } from './app.ts';\nexport const n = routes.length;\n");
  const { cycles } = await importCycles(['src'], dir);
  t.same(cycles, [['src/app.ts', 'src/routes/hello.ts']]);
});
