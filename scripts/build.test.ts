/**
 * `cunbox` (edge/bin/cunbox.js, what setup links onto PATH) runs the built
 * bundle when there is one at least as new as the sources, and the sources
 * through tsx otherwise. Each case runs in a scratch copy of the layout inside
 * the repository (so node_modules resolve), never touching the real edge/dist.
 */
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildEntry, cloudExternal } from './build.ts';

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
  // A stand-in for the browser app's build, where npm run build puts it.
  mkdirSync(join(dir, 'edge/dist/web'), { recursive: true });
  writeFileSync(join(dir, 'edge/dist/web/index.html'), '<!doctype html><title>cunbox web</title>');
  // edge/src is empty here: had the launcher fallen back to tsx, it could not have started.
  const { stdout } = await run(process.execPath, [join(dir, 'edge/bin/cunbox.js'), '--help'], { env: { ...process.env, CUNBOX_RUN_SOURCES: '' } });
  t.match(stdout, /serve/, 'the bundled CLI answered --help');

  // The bundled server parts (fastify and its plugins) answer; swagger-ui's static files come from node_modules.
  writeFileSync(join(dir, 'config.yaml'), `data_dir: ${join(dir, 'data')}\nhttp:\n  host: 127.0.0.1\n  port: 0\nretention:\n  min_free_bytes: 0\n  min_free_percent: 0\n`);
  const serve = spawn(process.execPath, [join(dir, 'edge/bin/cunbox.js'), 'serve', '--config', join(dir, 'config.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => serve.once('exit', r));
  t.teardown(() => void serve.kill('SIGKILL'));
  const logged: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: serve.stdout }).on('line', (line) => {
      logged.push(line);
      const m = /"msg":"HTTP API listening"/.test(line) ? /"port":(\d+)/.exec(line) : null;
      if (m) resolve(Number(m[1]));
    });
    void exited.then((c) => reject(new Error(`serve exited ${c} before listening`)));
  });
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'not the password' }) });
  t.equal(login.status, 401, 'the API answers');
  t.match(await login.json(), { error: { code: 'UNAUTHENTICATED' } });
  t.equal((await fetch(`http://127.0.0.1:${port}/docs/static/swagger-ui.css`)).status, 200, 'the API docs are served');
  t.match(await (await fetch(`http://127.0.0.1:${port}/tickets`)).text(), /cunbox web/, 'the browser app beside the bundle is served');
  serve.kill('SIGTERM');
  t.equal(await exited, 0, 'serve stops cleanly', { log: logged.slice(-8) });
});

t.test('the cloud bundle (what cunbox-cloud.service runs) starts with plain node', async (t) => {
  const dir = scratch(t);
  const bundle = join(dir, 'cloud/dist/cunbox-cloud.mjs');
  await buildEntry(join(root, 'cloud/src/cli/entry.ts'), bundle, cloudExternal);
  // No tsx loader: the bundle is plain JavaScript; better-sqlite3 and swagger-ui come from node_modules.
  const { stdout } = await run(process.execPath, [bundle, '--help'], { env: { ...process.env, LANG: 'C.UTF-8' } });
  t.match(stdout, /Usage: cunbox-cloud/);
  t.match(stdout, /serve/, 'the bundled cloud CLI answered --help');
  // serve's imports load too: a config error comes from the loaded cloud code, not a missing module.
  const serve = await run(process.execPath, [bundle, 'serve', '--config', join(dir, 'absent.yaml')]).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  t.not(serve.code, 0);
  t.notMatch(serve.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, 'every module the cloud needs resolves', { stderr: serve.stderr });
});

t.test('falls back to the sources when they are newer than the bundle', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'edge/dist/cunbox.mjs'), "console.log('bundle');\n");
  writeFileSync(join(dir, 'edge/src/cli/closed-pipe.ts'), 'export function endQuietlyOnClosedPipe(): void {}\n');
  writeFileSync(join(dir, 'edge/src/cli/main.ts'), "export async function run(): Promise<number> { console.log('sources'); return 0; }\n");
  writeFileSync(join(dir, 'edge/src/cli/interrupt.ts'), 'export function finishProcess(code: number): void { process.exitCode = code; }\n');
  const bin = join(dir, 'edge/bin/cunbox.js');
  const env = { ...process.env, CUNBOX_RUN_SOURCES: '' };
  const old = new Date(Date.now() - 3_600_000);
  for (const f of ['closed-pipe.ts', 'main.ts', 'interrupt.ts']) utimesSync(join(dir, 'edge/src/cli', f), old, old);
  t.equal((await run(process.execPath, [bin], { env })).stdout.trim(), 'bundle', 'bundle newer than every source: the bundle runs');
  utimesSync(join(dir, 'edge/src/cli/main.ts'), new Date(), new Date());
  t.equal((await run(process.execPath, [bin], { env })).stdout.trim(), 'sources', 'a source edited after the build: the sources run');
  utimesSync(join(dir, 'edge/src/cli/main.ts'), old, old);
  t.equal((await run(process.execPath, [bin], { env: { ...env, CUNBOX_RUN_SOURCES: '1' } })).stdout.trim(), 'sources', 'CUNBOX_RUN_SOURCES=1 forces the sources');
});
