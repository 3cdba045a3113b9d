// `cunbox init`: by flags, again (nothing overwritten), interactively on a
// terminal, and refusing bad or missing answers before anything is written.
import t from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../src/cli/main.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { openDatabase } from '../src/db/database.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';

async function verify(dataDir: string, user: string, password: string) {
  const db = openDatabase(join(dataDir, 'cunbox.db'));
  try {
    return await new UserStore({ db, clock: systemClock }).verify(user, password);
  } finally {
    db.close();
  }
}

/** Runs the CLI on a pretend terminal (zh_CN), typing each answer after its question appears, as a person does. */
async function onTerminal(args: string[], answers: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d;
    if (/: $/.test(String(d)) && answers.length > 0) setImmediate(() => stdin.write(`${answers.shift()}\n`));
  });
  stderr.on('data', (d) => (err += d));
  const code = await run(args, { stdout, stderr, env: { LANG: 'zh_CN.UTF-8' }, stdin });
  return { code, out, err };
}

t.test('by flags: config, data directory, database, admin; a second run keeps everything', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'etc/cunbox/config.yaml');
  const data = join(dir, 'var/lib/cunbox');
  const r = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'first-secret-1']);
  t.equal(r.code, 0, 'exit 0', { err: r.err });
  t.match(r.out, /created {2}config {2}.*config\.yaml/);
  t.match(r.out, /created {2}data directory/);
  t.match(r.out, /created {2}admin user {2}admin/);
  t.match(r.out, /next: cunbox doctor --config .*; cunbox cameras discover/);
  t.notMatch(r.out + r.err, /first-secret-1/, 'the password is not printed');
  t.equal(loadConfigFile(cfg).dataDir, data, 'the config loads and names the data directory');
  t.ok(existsSync(join(data, 'recordings')));
  t.match(await verify(data, 'admin', 'first-secret-1'), { username: 'admin', role: 'admin' });

  const before = readFileSync(cfg, 'utf8');
  const again = await cli(['init', '--config', cfg, '--admin-user', 'other', '--admin-password', 'second-secret-2'], { LANG: 'zh_CN.UTF-8' });
  t.equal(again.code, 0, 'safe to run again', { err: again.err });
  t.match(again.out, /保留 {2}配置文件/);
  t.match(again.out, /保留 {2}管理员 {2}admin/);
  t.equal(readFileSync(cfg, 'utf8'), before, 'config untouched');
  t.ok(await verify(data, 'admin', 'first-secret-1'), 'the admin password is unchanged');
  t.notOk(await verify(data, 'other', 'second-secret-2'), 'no second admin made');

  const clash = await cli(['init', '--config', cfg, '--data-dir', join(dir, 'elsewhere')]);
  t.equal(clash.code, 65);
  t.match(clash.err, /already names the data directory/);
  t.notOk(existsSync(join(dir, 'elsewhere')));
});

t.test('missing or bad answers without a terminal: exit 64, nothing written', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  const missing = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin']);
  t.equal(missing.code, 64);
  t.match(missing.err, /the first admin user is missing: pass --admin-password PASSWORD/);
  const short = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'short']);
  t.equal(short.code, 64);
  t.match(short.err, /at least 8 characters/);
  const weak = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'Admin@123']);
  t.equal(weak.code, 64, 'the password policy applies to the first admin too');
  t.match(weak.err, /must not contain the user name.*too common/);
  const name = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'a b', '--admin-password', 'long-enough-1']);
  t.equal(name.code, 64);
  t.notOk(existsSync(cfg), 'no config');
  t.notOk(existsSync(data), 'no data directory');
});

t.test('on a terminal: asks, hides the password, asks again when it is too short or mistyped', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  // First the API address: Enter takes the one offered.
  const { code, out, err } = await onTerminal(['init', '--config', cfg, '--data-dir', data], ['', 'village-admin', 'short', 'village-admin-1', 'typed-once-1', 'typed-twice-2', 'the-real-one-3', 'the-real-one-3']);
  t.equal(code, 0, 'exit 0', { out, err });
  t.match(out, /管理员用户名: /);
  t.match(out, /管理员密码（至少 8 个字符）: /);
  t.match(err, /太短：至少 8 个字符/);
  t.match(err, /密码：不得包含用户名/, 'the policy is asked again for, in the user\'s language');
  t.match(err, /两次输入的密码不一致，请重输/);
  t.match(out, /管理员用户名: village-admin/, 'the user name is echoed as typed');
  t.notMatch(out, /the-real-one-3|typed-once-1|short/, 'passwords are not echoed');
  t.ok(await verify(data, 'village-admin', 'the-real-one-3'));

  // Input that ends before the answers are complete: a clear error, nothing made.
  const dir2 = tmpDir(t);
  const stdin2 = Object.assign(new PassThrough(), { isTTY: true });
  const stderr2 = new PassThrough();
  let err2 = '';
  stderr2.on('data', (d) => (err2 += d));
  const ended = run(['init', '--config', join(dir2, 'c.yaml'), '--data-dir', join(dir2, 'd')], { stdout: new PassThrough(), stderr: stderr2, env: {}, stdin: stdin2 });
  stdin2.end('\nsomeone\n');
  t.equal(await ended, 64);
  t.match(err2, /input ended before the admin user was complete/);
  t.notOk(existsSync(join(dir2, 'c.yaml')));
});

const mode = (p: string) => statSync(p).mode & 0o777;
/** Where the API listens: what init writes (the security settings under http: keep their defaults). */
const pick = (http: { host: string; port: number } | null | undefined) => (http ? { host: http.host, port: http.port } : http);

t.test('the API address: --listen writes the http: section; files get their modes whatever the umask', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'etc/config.yaml');
  const data = join(dir, 'data');
  const oldMask = process.umask(0o002); // a lax umask: init must not depend on it
  t.teardown(() => void process.umask(oldMask));
  const r = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'first-secret-1', '--listen', '0.0.0.0:18080']);
  t.equal(r.code, 0, { err: r.err });
  t.match(r.out, /created {2}HTTP API {2}0\.0\.0\.0:18080/);
  t.same(pick(loadConfigFile(cfg).http), { host: '0.0.0.0', port: 18080 }, 'the API is on, on every interface');
  t.equal(mode(cfg), 0o640, 'config 0640');
  t.equal(mode(data), 0o750, 'data directory 0750');
  t.equal(mode(join(data, 'recordings')), 0o750, 'recordings 0750');
  t.equal(mode(join(data, 'cunbox.db')), 0o600, 'database (password hashes) 0600');

  const before = readFileSync(cfg, 'utf8');
  const again = await cli(['init', '--config', cfg, '--listen', '0.0.0.0:18080']);
  t.equal(again.code, 0, 'the same address again: nothing to do', { err: again.err });
  t.match(again.out, /kept {2}HTTP API {2}0\.0\.0\.0:18080/);
  t.equal(readFileSync(cfg, 'utf8'), before);
  const other = await cli(['init', '--config', cfg, '--listen', '127.0.0.1:9000'], { LANG: 'zh_CN.UTF-8' });
  t.equal(other.code, 65, 'another address: edit the file');
  t.match(other.err, /已设置接口地址 0\.0\.0\.0:18080/);
  t.equal(readFileSync(cfg, 'utf8'), before, 'config untouched');
});

t.test('the API address: all interfaces unless told; host and port flags; bad input writes nothing', async (t) => {
  const dir = tmpDir(t);
  const plain = await cli(['init', '--config', join(dir, 'a.yaml'), '--data-dir', join(dir, 'a'), '--admin-user', 'admin', '--admin-password', 'first-secret-1']);
  t.equal(plain.code, 0, { err: plain.err });
  t.same(pick(loadConfigFile(join(dir, 'a.yaml')).http), { host: '0.0.0.0', port: 8080 }, 'default: 0.0.0.0:8080, reachable from the office PC');
  const parts = await cli(['init', '--config', join(dir, 'b.yaml'), '--data-dir', join(dir, 'b'), '--admin-user', 'admin', '--admin-password', 'first-secret-1', '--http-host', '127.0.0.1', '--http-port', '9090']);
  t.equal(parts.code, 0, { err: parts.err });
  t.same(pick(loadConfigFile(join(dir, 'b.yaml')).http), { host: '127.0.0.1', port: 9090 });
  t.match(parts.out, /hint: the API listens on 127\.0\.0\.1 only/, 'loopback only when the technician says so, with a warning');
  for (const bad of ['example', '0.0.0.0:0', '0.0.0.0:70000', '[zz]:80', 'a b:80']) {
    const r = await cli(['init', '--config', join(dir, 'c.yaml'), '--data-dir', join(dir, 'c'), '--admin-user', 'admin', '--admin-password', 'first-secret-1', '--listen', bad]);
    t.equal(r.code, 64, `refused: ${bad}`);
    t.match(r.err, /write HOST:PORT/);
  }
  const user = await cli(['init', '--config', join(dir, 'c.yaml'), '--data-dir', join(dir, 'c'), '--admin-user', 'admin', '--admin-password', 'first-secret-1', '--user', 'no-such-user-cunbox']);
  t.equal(user.code, 64);
  t.match(user.err, /no system user no-such-user-cunbox/);
  t.notOk(existsSync(join(dir, 'c.yaml')), 'no config');
  t.notOk(existsSync(join(dir, 'c')), 'no data directory');
});

t.test('a config from before: kept as it is, the http: section added when asked', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  writeFileSync(cfg, `# hand-written\ndata_dir: ${JSON.stringify(data)}\n`, { mode: 0o640 });
  const kept = await cli(['init', '--config', cfg, '--admin-user', 'admin', '--admin-password', 'first-secret-1']);
  t.equal(kept.code, 0, { err: kept.err });
  t.match(kept.out, /off {2}HTTP API {2}the config has no http: section; cunbox init --listen 0\.0\.0\.0:8080 adds it/);
  t.equal(loadConfigFile(cfg).http, null, 'not changed without being asked');
  const added = await cli(['init', '--config', cfg, '--listen', '0.0.0.0:8088']);
  t.equal(added.code, 0, { err: added.err });
  t.match(added.out, /updated {2}config/);
  t.same(pick(loadConfigFile(cfg).http), { host: '0.0.0.0', port: 8088 });
  t.match(readFileSync(cfg, 'utf8'), /^# hand-written\n/, 'the rest as written');
  t.equal(mode(cfg), 0o640, 'mode kept');
});

t.test('on a terminal: asks for the API address, re-asks a bad one', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const { code, out, err } = await onTerminal(['init', '--config', cfg, '--data-dir', join(dir, 'data'), '--admin-user', 'admin', '--admin-password', 'first-secret-1'], ['somewhere', '192.0.2.2:8081']);
  t.equal(code, 0, { out, err });
  t.match(out, /接口监听地址（直接回车：0\.0\.0\.0:8080；只有本机有反向代理时才用 127\.0\.0\.1）: /);
  t.match(err, /监听地址“somewhere”：请写成 主机:端口/);
  t.same(pick(loadConfigFile(cfg).http), { host: '192.0.2.2', port: 8081 });
});

t.test('run as root with --user: the service user owns what init made; the config stays root-owned, group-readable', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':');
  const [uid, gid] = [Number(nobody[2]), Number(nobody[3])];
  const r = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'first-secret-1', '--user', 'nobody']);
  t.equal(r.code, 0, { err: r.err });
  t.match(r.out, /owned by the nobody user/);
  for (const p of [data, join(data, 'recordings'), join(data, 'cunbox.db')]) t.match(statSync(p), { uid, gid }, `${p}: the service user's`);
  t.match(statSync(cfg), { uid: 0, gid }, 'config: root, the service group');
  t.equal(mode(cfg), 0o640);
});

t.test('--admin-password-file: the password from a file or standard input, never from the command line', async (t) => {
  const dir = tmpDir(t);
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'file secret 1\n', { mode: 0o600 });
  const fromFile = await cli(['init', '--config', join(dir, 'a/config.yaml'), '--data-dir', join(dir, 'a/data'), '--admin-user', 'admin', '--admin-password-file', pwFile]);
  t.equal(fromFile.code, 0, 'exit 0', { err: fromFile.err });
  t.match(await verify(join(dir, 'a/data'), 'admin', 'file secret 1'), { username: 'admin' }, 'the first line, spaces kept, line ending dropped');

  const fromStdin = await cli(['init', '--config', join(dir, 'b/config.yaml'), '--data-dir', join(dir, 'b/data'), '--admin-user', 'admin', '--admin-password-file', '-'], {}, 'stdin-secret-2\r\nignored\n');
  t.equal(fromStdin.code, 0, 'exit 0', { err: fromStdin.err });
  t.match(await verify(join(dir, 'b/data'), 'admin', 'stdin-secret-2'), { username: 'admin' });
  t.notMatch(fromFile.out + fromFile.err + fromStdin.out + fromStdin.err, /secret/, 'the password is not printed');

  const missing = await cli(['init', '--config', join(dir, 'c/config.yaml'), '--data-dir', join(dir, 'c/data'), '--admin-user', 'admin', '--admin-password-file', join(dir, 'nope')]);
  t.equal(missing.code, 64);
  t.match(missing.err, /cannot read the admin password from .*nope: ENOENT/);
  t.notOk(existsSync(join(dir, 'c')), 'nothing written');
});
