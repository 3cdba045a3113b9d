/**
 * scripts/install and scripts/uninstall, run for real (as root) into a
 * temporary root: a second install changes nothing, an upgrade switches
 * `current` and keeps the previous release, a release that does not run is
 * never switched to, uninstall keeps config and data unless --purge. Nothing
 * outside the temporary root changes. The releases are built from this
 * checkout's sources with the production bundler.
 */
import t, { type Test } from 'tap';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { buildEntry, cloudExternal } from './build.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { openDatabase } from '../edge/src/db/database.ts';
import { UserStore } from '../edge/src/auth/users.ts';
import { systemClock } from '../edge/src/clock.ts';

const repo = join(import.meta.dirname, '..');
const INSTALL = join(repo, 'scripts/install');
const UNINSTALL = join(repo, 'scripts/uninstall');
const INSTALL_CLOUD = join(repo, 'scripts/install-cloud');
const PASSWORD = 'Village-Box-2026';

const asRoot = process.getuid?.() === 0;
const hasUseradd = spawnSync('useradd', ['--help']).status === 0;
const skip = !asRoot ? 'installing needs root (useradd, chown)' : !hasUseradd ? 'no useradd (passwd package)' : false;

function sh(cmd: string, args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 180_000, env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } }, (err, out, errOut) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** A built checkout as scripts/setup leaves it: the bundle, the launcher, the unit, the lock file and node_modules. */
async function source(t: Test, dir: string): Promise<string> {
  mkdirSync(join(dir, 'edge'), { recursive: true });
  await buildEntry(join(repo, 'edge/src/cli/entry.ts'), join(dir, 'edge/dist/cunbox.mjs'));
  for (const f of ['edge/bin', 'edge/package.json', 'package.json', 'package-lock.json', 'systemd', 'README.md', 'firmware-notes', 'scripts/install.d']) {
    cpSync(join(repo, f), join(dir, f), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  t.ok(existsSync(join(dir, 'edge/dist/cunbox.mjs')), 'built');
  return dir;
}

/** A built checkout for the cloud: its bundle, a stand-in phone app (vite's build is scripts/build.ts'), the units, node_modules. */
async function cloudSource(t: Test, dir: string): Promise<string> {
  await buildEntry(join(repo, 'cloud/src/cli/entry.ts'), join(dir, 'cloud/dist/cunbox-cloud.mjs'), cloudExternal);
  mkdirSync(join(dir, 'cloud/dist/m'), { recursive: true });
  writeFileSync(join(dir, 'cloud/dist/m/index.html'), '<!doctype html><title>cunbox phone</title>');
  for (const f of ['cloud/package.json', 'package.json', 'package-lock.json', 'systemd', 'README.md', 'scripts/install.d']) {
    cpSync(join(repo, f), join(dir, f), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  t.ok(existsSync(join(dir, 'cloud/dist/cunbox-cloud.mjs')), 'cloud built');
  return dir;
}

/** A copy of `from` whose bundle differs (a new build), or does not run at all. */
function variant(from: string, dir: string, kind: 'new build' | 'broken'): string {
  cpSync(from, dir, { recursive: true, verbatimSymlinks: true });
  const bundle = join(dir, 'edge/dist/cunbox.mjs');
  if (kind === 'broken') writeFileSync(bundle, "throw new Error('a build that does not start');\n");
  else appendFileSync(bundle, `// ${dir}\n`);
  return dir;
}

/** An empty system: just root in the account files, as useradd needs them. */
function emptyRoot(dir: string): string {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  return dir;
}

/** Every path under `dir` with its type, mode, owner, link target and content hash. */
function listing(dir: string): string[] {
  const rows: string[] = [];
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = '';
    if (st.isSymbolicLink()) what = `-> ${readlinkSync(p)}`;
    else if (st.isFile()) what = createHash('sha256').update(readFileSync(p)).digest('hex');
    rows.push(`${rel} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(rel, n));
  };
  walk('.');
  return rows;
}

/** What install would touch on this machine if it escaped its root. */
function hostState(): string {
  const rows: string[] = [];
  for (const f of ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow']) {
    rows.push(`${f} ${existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : 'absent'}`);
  }
  for (const d of ['/opt', '/usr/local/bin', '/etc/systemd/system', '/etc', '/var/lib']) {
    rows.push(`${d}: ${existsSync(d) ? readdirSync(d).sort().join(' ') : 'absent'}`);
  }
  return rows.join('\n');
}

function idsOf(root: string): { uid: number; gid: number; line: string } {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('cunbox:')) ?? '';
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), line };
}

function modeOwner(p: string): string {
  const st = lstatSync(p);
  return `${(st.mode & 0o777).toString(8)} ${st.uid}:${st.gid}`;
}

async function adminSignsIn(dataDir: string): Promise<boolean> {
  const db = openDatabase(join(dataDir, 'cunbox.db'));
  try {
    return (await new UserStore({ db, clock: systemClock }).verify('admin', PASSWORD)) !== null;
  } finally {
    db.close();
  }
}

const installArgs = (root: string, from: string) => ['--root', root, '--from', from, '--node', process.execPath, '--no-start', '--admin-user', 'admin', '--admin-password-file', '-', '--listen', '0.0.0.0:8080'];

t.test('install twice into an empty root: user, modes, release, unit, init once; the second run changes nothing', { skip }, async (t) => {
  const dir = tmpDir(t, 'cunbox-install-');
  const src = await source(t, join(dir, 'src'));
  const root = emptyRoot(join(dir, 'root'));
  const host = hostState();

  const first = await sh(INSTALL, installArgs(root, src), `${PASSWORD}\n`);
  t.equal(first.code, 0, 'first install', { out: first.out, err: first.err });
  t.match(first.out, /created +user cunbox/);
  t.match(first.out, /created {2}admin user {2}admin/);
  t.notMatch(first.out + first.err, new RegExp(PASSWORD), 'the password is never printed');

  const { uid, gid, line } = idsOf(root);
  t.match(line, /^cunbox:x:\d+:\d+:[^:]*:\/var\/lib\/cunbox:\/usr\/sbin\/nologin$/, 'a system user without a login');
  t.ok(uid > 0 && uid < 1000, `a system uid (${uid})`);
  t.equal(modeOwner(join(root, 'etc/cunbox')), `750 0:${gid}`, '/etc/cunbox 0750 root:cunbox');
  t.equal(modeOwner(join(root, 'etc/cunbox/config.yaml')), `640 0:${gid}`, 'the config 0640 root:cunbox');
  t.equal(modeOwner(join(root, 'var/lib/cunbox')), `750 ${uid}:${gid}`, '/var/lib/cunbox 0750 cunbox:cunbox');
  t.equal(modeOwner(join(root, 'var/lib/cunbox/cunbox.db')), `600 ${uid}:${gid}`, 'the database is the service user\'s only');
  t.equal(modeOwner(join(root, 'var/lib/cunbox/recordings')), `750 ${uid}:${gid}`);
  t.ok(await adminSignsIn(join(root, 'var/lib/cunbox')), 'the admin signs in with the password from standard input');

  const current = readlinkSync(join(root, 'opt/cunbox/current'));
  t.match(current, /^releases\/0\.1\.0-[0-9a-f]{12}$/, 'current points at the release');
  t.same(readdirSync(join(root, 'opt/cunbox/releases')), [current.slice('releases/'.length)]);
  t.equal(modeOwner(join(root, 'opt/cunbox', current)), '755 0:0', 'the release is root\'s: the service cannot change its own code');
  t.notOk(existsSync(join(root, 'opt/cunbox', current, 'node_modules/typescript')), 'no development tools in the release');
  t.ok(existsSync(join(root, 'opt/cunbox', current, 'node_modules/better-sqlite3')), 'the native modules are');
  t.equal(readlinkSync(join(root, 'usr/local/bin/cunbox')), '/opt/cunbox/current/edge/bin/cunbox.js', 'cunbox on PATH');

  const unit = join(root, 'etc/systemd/system/cunbox-edge.service');
  t.equal(readFileSync(unit, 'utf8'), readFileSync(join(repo, 'systemd/cunbox-edge.service'), 'utf8'), 'the unit, as in the repository');
  t.equal(modeOwner(unit), '644 0:0');
  const exec = /^ExecStart=(\S+) (\S+) serve --config (\S+)$/m.exec(readFileSync(unit, 'utf8'));
  t.ok(exec, 'ExecStart runs serve');
  t.ok(existsSync(join(root, exec![2]!)), `ExecStart's script ${exec![2]} is in the installed tree`);
  t.ok(existsSync(join(root, exec![3]!)), `and so is its config ${exec![3]}`);
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  t.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'systemd-analyze verify: nothing to say about the installed unit');

  // The installed release runs on its own: the CLI reads the installed config and database.
  const users = await sh(process.execPath, [join(root, 'opt/cunbox/current/edge/bin/cunbox.js'), 'users', 'list', '--config', join(root, 'etc/cunbox/config.yaml')]);
  t.equal(users.code, 0, 'the installed cunbox runs', { err: users.err });
  t.match(users.out, /admin/);

  const before = listing(root);
  const second = await sh(INSTALL, installArgs(root, src), `${PASSWORD}\n`);
  t.equal(second.code, 0, 'second install', { err: second.err });
  t.notMatch(second.out, /created|copied|switched|wrote|linked|fixed/, 'every step found its work done');
  t.match(second.out, /kept {2}admin user {2}admin/, 'cunbox init kept the admin');
  t.same(listing(root), before, 'no path, mode, owner, link or content changed');

  // A restore run as root leaves root's files: the next install hands them to the service, footage aside.
  const data = join(root, 'var/lib/cunbox');
  mkdirSync(join(data, 'keys'));
  writeFileSync(join(data, 'keys/restored.key'), 'k', { mode: 0o600 });
  mkdirSync(join(data, 'recordings/cam-1'));
  writeFileSync(join(data, 'recordings/cam-1/segment.mp4'), 'footage');
  const third = await sh(INSTALL, installArgs(root, src), '');
  t.equal(third.code, 0, 'install after a restore', { err: third.err });
  t.equal(modeOwner(join(data, 'keys/restored.key')), `600 ${uid}:${gid}`, 'restored keys go to the service user');
  t.equal(modeOwner(join(data, 'keys')), `755 ${uid}:${gid}`);
  t.equal(lstatSync(join(data, 'recordings/cam-1/segment.mp4')).uid, 0, 'footage is not walked (hundreds of thousands of files)');
  t.equal(hostState(), host, 'nothing outside the temporary root changed');
});

t.test('upgrade: current switches, the previous release stays; a release that does not run is never switched to; uninstall keeps config and data', { skip }, async (t) => {
  const dir = tmpDir(t, 'cunbox-upgrade-');
  const a = await source(t, join(dir, 'a'));
  const b = variant(a, join(dir, 'b'), 'new build');
  const broken = variant(a, join(dir, 'broken'), 'broken');
  const c = variant(a, join(dir, 'c'), 'new build');
  const root = emptyRoot(join(dir, 'root'));
  const host = hostState();
  const state = (p: string) => listing(join(root, p));

  t.equal((await sh(INSTALL, installArgs(root, a), `${PASSWORD}\n`)).code, 0, 'release a');
  const relA = readlinkSync(join(root, 'opt/cunbox/current'));
  const etc = state('etc/cunbox');
  const data = state('var/lib/cunbox');

  const up = await sh(INSTALL, installArgs(root, b), '');
  t.equal(up.code, 0, 'upgrade to b', { err: up.err });
  const relB = readlinkSync(join(root, 'opt/cunbox/current'));
  t.not(relB, relA, 'a new build is a new release');
  t.equal(readlinkSync(join(root, 'opt/cunbox/previous')), relA, 'the previous release is kept, for going back');
  t.same(readdirSync(join(root, 'opt/cunbox/releases')).sort(), [relA, relB].map((r) => r.slice(9)).sort());
  t.match(up.out, /kept {2}admin user {2}admin/, 'no second admin asked for');
  t.same(state('etc/cunbox'), etc, 'config untouched by the upgrade');
  t.same(state('var/lib/cunbox'), data, 'data untouched by the upgrade');

  const bad = await sh(INSTALL, installArgs(root, broken), '');
  t.not(bad.code, 0, 'a broken build is refused');
  t.match(bad.err, /does not run with Node .*current is unchanged/);
  t.equal(readlinkSync(join(root, 'opt/cunbox/current')), relB, 'current still points at b');
  t.equal(readdirSync(join(root, 'opt/cunbox/releases')).length, 2, 'the broken release is not left behind');

  t.equal((await sh(INSTALL, installArgs(root, c), '')).code, 0, 'upgrade to c');
  t.equal(readlinkSync(join(root, 'opt/cunbox/previous')), relB);
  t.notOk(existsSync(join(root, 'opt/cunbox', relA)), 'releases older than the previous one are removed');

  const un = await sh(UNINSTALL, ['--root', root]);
  t.equal(un.code, 0, 'uninstall', { err: un.err });
  t.match(un.out, /kept +\/etc\/cunbox, \/var\/lib\/cunbox/);
  for (const gone of ['opt/cunbox', 'etc/systemd/system/cunbox-edge.service', 'usr/local/bin/cunbox']) t.notOk(existsSync(join(root, gone)), `${gone} removed`);
  t.same(state('etc/cunbox'), etc, 'config kept');
  t.same(state('var/lib/cunbox'), data, 'database and recordings kept');
  t.ok(idsOf(root).line, 'the user kept (it owns the data)');
  t.equal((await sh(UNINSTALL, ['--root', root])).code, 0, 'uninstall again: nothing to do, no error');

  const reinstall = await sh(INSTALL, installArgs(root, c), '');
  t.equal(reinstall.code, 0, 'installing again after uninstall picks up the kept box');
  t.match(reinstall.out, /kept {2}admin user {2}admin/);

  const purge = await sh(UNINSTALL, ['--root', root, '--purge']);
  t.equal(purge.code, 0, 'purge', { err: purge.err });
  for (const gone of ['etc/cunbox', 'var/lib/cunbox', 'opt/cunbox']) t.notOk(existsSync(join(root, gone)), `${gone} purged`);
  t.equal(idsOf(root).line, '', 'the user purged');
  t.equal(hostState(), host, 'nothing outside the temporary root changed');
});

t.test('the checks before anything is written: Node missing, too old, unable to load the build; a password in argv', async (t) => {
  const dir = tmpDir(t, 'cunbox-install-check-');
  const root = join(dir, 'root');
  mkdirSync(root);
  const fake = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return join(dir, name);
  };
  const check = (node: string) => sh(INSTALL, ['--check', '--root', root, '--node', node]);

  const none = await check(join(dir, 'no-node'));
  t.not(none.code, 0);
  t.match(none.err, /no Node at .*no-node: cunbox needs Node 20 or newer/);

  // Debian 12's own nodejs package.
  const old = await check(fake('node18', 'echo 18.19.0'));
  t.not(old.code, 0);
  t.match(old.err, /Node 18\.19\.0 at .* is too old: cunbox needs Node 20 or newer/);

  // A newer Node than the build's: better-sqlite3 was compiled for another ABI.
  const other = await check(fake('node24', 'case "$1" in -p) echo 24.11.0;; *) echo "was compiled against a different Node.js version using NODE_MODULE_VERSION 115" >&2; exit 1;; esac'));
  t.not(other.code, 0);
  t.match(other.err, /Node 24\.11\.0 .* cannot load this build's better-sqlite3/);

  const argv = await sh(INSTALL, ['--check', '--admin-password', 'in-the-process-list']);
  t.equal(argv.code, 1);
  t.match(argv.err, /use --admin-password-file/);
  t.same(readdirSync(root), [], 'the checks wrote nothing');
});

t.test('install-cloud twice into an empty root: user, release with the phone app, config, unit; the second run changes nothing; the installed cloud serves', { skip }, async (t) => {
  const dir = tmpDir(t, 'cunbox-install-cloud-');
  const src = await cloudSource(t, join(dir, 'src'));
  const root = emptyRoot(join(dir, 'root'));
  const host = hostState();
  const args = ['--root', root, '--from', src, '--node', process.execPath, '--no-start'];

  const first = await sh(INSTALL_CLOUD, args);
  t.equal(first.code, 0, 'first install', { out: first.out, err: first.err });
  t.match(first.out, /created +user cunbox-cloud/);
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('cunbox-cloud:')) ?? '';
  t.match(line, /^cunbox-cloud:x:\d+:\d+:[^:]*:\/var\/lib\/cunbox-cloud:\/usr\/sbin\/nologin$/, 'a system user without a login');
  const [, , uid, gid] = line.split(':');
  t.equal(modeOwner(join(root, 'etc/cunbox-cloud')), `750 0:${gid}`, '/etc/cunbox-cloud 0750 root:cunbox-cloud');
  t.equal(modeOwner(join(root, 'etc/cunbox-cloud/config.yaml')), `640 0:${gid}`);
  t.equal(modeOwner(join(root, 'etc/cunbox-cloud/operator-token')), `640 0:${gid}`, 'the operator token readable by the service only');
  t.equal(modeOwner(join(root, 'var/lib/cunbox-cloud')), `750 ${uid}:${gid}`);
  const config = readFileSync(join(root, 'etc/cunbox-cloud/config.yaml'), 'utf8');
  t.match(config, /host: 127\.0\.0\.1\n  port: 8090/, 'HTTP on loopback by default (a TLS proxy in front)');
  t.notMatch(config, /url:/, 'the embedded MQTT broker');

  const unit = join(root, 'etc/systemd/system/cunbox-cloud.service');
  t.equal(readFileSync(unit, 'utf8'), readFileSync(join(repo, 'systemd/cunbox-cloud.service'), 'utf8'), 'the unit, as in the repository');
  const exec = /^ExecStart=(\S+) (\S+) serve --config (\S+)$/m.exec(readFileSync(unit, 'utf8'));
  t.ok(exec, 'ExecStart runs serve');
  t.ok(existsSync(join(root, exec![2]!)), `ExecStart's script ${exec![2]} is in the installed tree`);
  t.ok(existsSync(join(root, exec![3]!)), `and so is its config ${exec![3]}`);
  t.ok(existsSync(join(root, 'opt/cunbox/cloud/dist/m/index.html')), 'the phone app is installed beside the bundle');
  t.notOk(existsSync(join(root, 'opt/cunbox/cloud-releases', readdirSync(join(root, 'opt/cunbox/cloud-releases'))[0]!, 'node_modules/typescript')), 'no development tools in the release');
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  t.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'systemd-analyze verify: nothing to say about the installed unit');

  const bundle = join(root, exec![2]!);
  const help = await sh(process.execPath, [bundle, '--help']);
  t.equal(help.code, 0, 'the installed bundle runs with plain node', { err: help.err });
  t.match(help.out, /cunbox-cloud/);

  const before = listing(root);
  const second = await sh(INSTALL_CLOUD, args);
  t.equal(second.code, 0, 'second install', { err: second.err });
  t.notMatch(second.out, /created|copied|switched|wrote|linked|fixed/, 'every step found its work done');
  t.same(listing(root), before, 'no path, mode, owner, link or content changed');

  // The installed cloud serves from the installed tree: its config (on free ports here), its phone app.
  const conf = join(dir, 'serve.yaml');
  writeFileSync(conf, config.replace('port: 8090', 'port: 0').replace('port: 1883', 'port: 0').replace('operator_token_file: operator-token', `operator_token_file: ${join(root, 'etc/cunbox-cloud/operator-token')}`));
  const serve = spawn(process.execPath, [bundle, 'serve', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  const exited = new Promise<number | null>((r) => serve.once('exit', r));
  t.teardown(() => void serve.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: serve.stdout }).on('line', (l) => {
      const m = /"msg":"cloud started"/.test(l) ? /"http":(\d+)/.exec(l) : null;
      if (m) resolve(Number(m[1]));
    });
    void exited.then((c) => reject(new Error(`serve exited ${c} before it started`)));
  });
  t.match(await (await fetch(`http://127.0.0.1:${port}/m/`)).text(), /cunbox phone/, 'the installed phone app is served at /m/');
  serve.kill('SIGTERM');
  t.equal(await exited, 0, 'serve stops cleanly');

  // The edge's uninstall on the same machine leaves the cloud alone.
  t.equal((await sh(UNINSTALL, ['--root', root])).code, 0, 'the edge\'s uninstall');
  t.ok(existsSync(join(root, exec![2]!)), 'the cloud\'s release stays');
  t.equal(hostState(), host, 'nothing outside the temporary root changed');
});
