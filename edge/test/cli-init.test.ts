// `cunbox init`: by flags, again (nothing overwritten), interactively on a
// terminal, and refusing bad or missing answers before anything is written.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../src/cli/main.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { openDatabase } from '../src/db/database.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { cli } from './helpers/cli.ts';
import { tmpDir } from './helpers/tmp.ts';

async function verify(dataDir: string, user: string, password: string) {
  const db = openDatabase(join(dataDir, 'cunbox.db'));
  try {
    return await new UserStore({ db, clock: systemClock }).verify(user, password);
  } finally {
    db.close();
  }
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
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  // Answers go in as a person types them: each after its question appears.
  const answers = ['village-admin', 'short', 'village-admin-1', 'typed-once-1', 'typed-twice-2', 'the-real-one-3', 'the-real-one-3'];
  stdout.on('data', (d: Buffer) => {
    if (/: $/.test(String(d)) && answers.length > 0) setImmediate(() => stdin.write(`${answers.shift()}\n`));
  });
  const done = run(['init', '--config', cfg, '--data-dir', data], { stdout, stderr, env: { LANG: 'zh_CN.UTF-8' }, stdin });
  t.equal(await done, 0, 'exit 0', { out, err });
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
  const ended = run(['init', '--config', join(dir2, 'c.yaml'), '--data-dir', join(dir2, 'd')], { stdout: new PassThrough(), stderr, env: {}, stdin: stdin2 });
  stdin2.end('someone\n');
  t.equal(await ended, 64);
  t.match(err, /input ended before the admin user was complete/);
  t.notOk(existsSync(join(dir2, 'c.yaml')));
});
