/**
 * The two scripts that let one checkout run on Node 20 and Node 24: scripts/node-runtime
 * (Node 24 from the npm registry, pinned by version and integrity) and
 * scripts/native-modules (the native modules' builds per Node ABI, swapped in place).
 * npm is replaced by a stub on PATH where a test must not reach the registry.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { tmpDir } from '@cunbox/test-support/tmp';

const repo = dirname(import.meta.dirname);
const runtimeScript = join(repo, 'scripts', 'node-runtime');
const pinned = /^version=(\S+)$/m.exec(readFileSync(runtimeScript, 'utf8'))?.[1] ?? '';

function executable(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A folder that looks like a complete Node `version` install (bin/node answers --version). */
function fakeNodeHome(dir: string, version: string): void {
  executable(join(dir, 'bin', 'node'), `#!/bin/sh\necho v${version}\n`);
  mkdirSync(join(dir, 'include', 'node'), { recursive: true });
  writeFileSync(join(dir, 'include', 'node', 'node.h'), '/* headers */\n');
}

/** PATH with a stub `npm` first: it records its arguments in `calls` and runs `body`. */
function stubNpm(dir: string, calls: string, body: string): string {
  executable(join(dir, 'stub-bin', 'npm'), `#!/bin/sh\necho "$*" >> '${calls}'\n${body}\n`);
  return [join(dir, 'stub-bin'), process.env.PATH].join(delimiter);
}

t.test('node-runtime leaves a folder that already holds the pinned Node alone', (t) => {
  t.match(pinned, /^24\.\d+\.\d+$/, 'the script pins an exact Node 24 version');
  const dir = tmpDir(t, 'cunbox-node-runtime-');
  const home = join(dir, 'node24');
  fakeNodeHome(home, pinned);
  const calls = join(dir, 'npm-calls');
  const run = spawnSync(runtimeScript, [home], { encoding: 'utf8', env: { ...process.env, PATH: stubNpm(dir, calls, 'exit 1') } });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, `${home}\n`, 'prints the folder, and only that, on stdout');
  t.notOk(existsSync(calls), 'npm was not asked for anything');
  t.end();
});

t.test('node-runtime refuses a package whose integrity is not the pinned one and keeps the old folder', (t) => {
  const dir = tmpDir(t, 'cunbox-node-runtime-');
  const home = join(dir, 'node24');
  fakeNodeHome(home, '24.0.0');
  // A tarball shaped like the registry's, with a working-looking bin/node, but the wrong hash.
  const pkg = join(dir, 'pkg');
  fakeNodeHome(join(pkg, 'package'), pinned);
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const tarball = `node-linux-${arch}-${pinned}.tgz`;
  spawnSync('tar', ['-czf', join(dir, tarball), '-C', pkg, 'package']);
  const calls = join(dir, 'npm-calls');
  const body = `cp '${join(dir, tarball)}' . && echo '[{"filename":"${tarball}","integrity":"sha512-forged"}]'`;
  const run = spawnSync(runtimeScript, [home], { encoding: 'utf8', env: { ...process.env, PATH: stubNpm(dir, calls, body) } });
  t.equal(run.status, 1);
  t.match(run.stderr, /integrity sha512-forged, expected sha512-/);
  t.match(readFileSync(calls, 'utf8'), new RegExp(`^pack .*node-linux-${arch}@${pinned.replaceAll('.', '\\.')}`, 'm'));
  t.equal(spawnSync(join(home, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout, 'v24.0.0\n', 'the old folder is untouched');
  t.end();
});

// Needs Node 24 (scripts/node-runtime) and both builds of better-sqlite3, as .ci/run leaves
// them before its Node 24 run; skipped elsewhere rather than compiling for minutes here.
const node24 = join(repo, '.cache', 'node24', 'bin', 'node');
const nativeCache = join(repo, 'node_modules', '.cache', 'cunbox-native');
const bsqlVersion = (JSON.parse(readFileSync(join(repo, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
// The Node that ran `npm ci`: the first `node` on PATH once the Node 24 folder is left out.
const basePath = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.startsWith(join(repo, '.cache'))).join(delimiter);
const systemNode = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { ...process.env, PATH: basePath } }).stdout.trim();
const abi = (node: string): string => spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
const builds = existsSync(node24) && systemNode ? [abi(systemNode), abi(node24)].map((a) => join(nativeCache, `abi${a}`, `better-sqlite3@${bsqlVersion}`)) : [];
const haveBuilds = builds.length === 2 && builds.every((b) => existsSync(join(b, 'better_sqlite3.node')));

t.test('native-modules swaps better-sqlite3 between the Node 20 and Node 24 builds', { skip: haveBuilds ? false : 'no Node 24 or no cached builds for both Nodes' }, (t) => {
  const [build20, build24] = builds as [string, string];
  // A checkout of its own: the script, and a node_modules holding better-sqlite3 built for Node 20.
  const root = tmpDir(t, 'cunbox-native-');
  cpSync(join(repo, 'scripts', 'native-modules'), join(root, 'scripts', 'native-modules'));
  const pkg = join(root, 'node_modules', 'better-sqlite3');
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  cpSync(join(repo, 'node_modules', 'better-sqlite3', 'package.json'), join(pkg, 'package.json'));
  cpSync(join(build20, 'better_sqlite3.node'), join(pkg, 'build', 'Release', 'better_sqlite3.node'));
  // Node 24's build is already in the cache, so nothing is compiled.
  const cache24 = join(root, 'node_modules', '.cache', 'cunbox-native', `abi${abi(node24)}`, `better-sqlite3@${bsqlVersion}`);
  cpSync(build24, cache24, { recursive: true });

  const addon = join(pkg, 'build', 'Release', 'better_sqlite3.node');
  const loads = (node: string): boolean => spawnSync(node, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', addon]).status === 0;
  const use = (node: string) => spawnSync(join(root, 'scripts', 'native-modules'), ['use', node], { encoding: 'utf8', env: { ...process.env, PATH: basePath } });
  t.ok(loads(systemNode) && !loads(node24), 'starts with the Node 20 build');

  const to24 = use(node24);
  t.equal(to24.status, 0, to24.stderr);
  t.ok(loads(node24), 'Node 24 loads it after `use` Node 24');
  t.notMatch(to24.stderr, /building/, 'taken from the cache');
  t.ok(existsSync(join(root, 'node_modules', '.cache', 'cunbox-native', `abi${abi(systemNode)}`, `better-sqlite3@${bsqlVersion}`, 'better_sqlite3.node')), 'the Node 20 build is kept');

  const back = use(systemNode);
  t.equal(back.status, 0, back.stderr);
  t.ok(loads(systemNode), 'Node 20 loads it again');
  t.notMatch(back.stderr, /building/, 'switching back compiles nothing');
  t.end();
});

t.test('native-modules explains how it is called', (t) => {
  const run = spawnSync(join(repo, 'scripts', 'native-modules'), ['use'], { encoding: 'utf8' });
  t.equal(run.status, 2);
  t.match(run.stderr, /usage: scripts\/native-modules use NODE/);
  t.end();
});
