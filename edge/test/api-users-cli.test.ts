import t from 'tap';
import { openDatabase } from '../src/db/database.ts';
import { UserStore } from '../src/auth/users.ts';
import { Credentials } from '../src/api/auth.ts';
import { systemClock } from '../src/clock.ts';
import { Layout } from '../src/storage/layout.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';

const cunbox = cli;

t.test('cunbox users add | passwd | list', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  const add = await cunbox([...g, 'users', 'add', '--username', 'zhang', '--role', 'cadre', '--display-name', '张书记'], { CUNBOX_PASSWORD: 'First secret pw' });
  t.equal(add.code, 0, add.err);
  t.match(add.out, /user added: #1 zhang \(cadre\)/);
  const viaStdin = await cunbox([...g, 'users', 'add', '--username', 'wang', '--role', 'grid_worker', '--password-stdin', '--json'], {}, 'Stdin secret pw\nignored\n');
  t.equal(viaStdin.code, 0, viaStdin.err);
  t.match(JSON.parse(viaStdin.out), { id: 2, username: 'wang', role: 'grid_worker', disabled: false });

  t.match(await cunbox([...g, 'users', 'add', '--username', 'zhang', '--role', 'viewer'], { CUNBOX_PASSWORD: 'Another pw!' }), { code: 65, err: /already exists/ });
  t.match(await cunbox([...g, 'users', 'add', '--username', 'li', '--role', 'root'], { CUNBOX_PASSWORD: 'Another pw!' }), { code: 64 });
  t.match(await cunbox([...g, 'users', 'add', '--username', 'li', '--role', 'viewer']), { code: 64, err: /a password is needed/ });
  t.match(await cunbox([...g, 'users', 'add', '--username', 'li', '--role', 'viewer', '--password', 'short']), { code: 64, err: /at least 8/ });

  const list = await cunbox([...g, 'users', 'list']);
  t.equal(list.code, 0);
  t.match(list.out, /zhang/);
  t.match(list.out, /张书记/);
  const json = await cunbox([...g, 'users', 'list', '--json']);
  t.same(JSON.parse(json.out).map((u: { username: string; role: string }) => [u.username, u.role]), [['zhang', 'cadre'], ['wang', 'grid_worker']]);

  // A session that the password change must end.
  const db = openDatabase(new Layout(dir).database);
  t.teardown(() => db.close());
  const creds = new Credentials({ db, clock: systemClock });
  const session = creds.createSession(1);
  t.ok(creds.bySession(session.token));
  const passwd = await cunbox([...g, 'users', 'passwd', 'zhang', '--password-stdin'], {}, 'Second secret pw\n');
  t.equal(passwd.code, 0, passwd.err);
  const users = new UserStore({ db, clock: systemClock });
  t.ok(await users.verify('zhang', 'Second secret pw'));
  t.notOk(await users.verify('zhang', 'First secret pw'));
  t.equal(creds.bySession(session.token), undefined, 'sessions ended');
  t.match(await cunbox([...g, 'users', 'passwd', 'nobody'], { CUNBOX_PASSWORD: 'whatever pw' }), { code: 66 });

  const everything = [add, viaStdin, list, json, passwd].map((r) => r.out + r.err).join('\n');
  t.notMatch(everything, /secret pw|scrypt/, 'passwords and hashes are never printed');
  const audit = db.prepare('SELECT action, target FROM audit_log ORDER BY id').all();
  t.same(audit, [
    { action: 'user.create', target: 'user:1' },
    { action: 'user.create', target: 'user:2' },
    { action: 'user.password_set', target: 'user:1' },
  ]);
});

t.test('cunbox users sessions: lists without secrets, --end ends sessions and tokens (audited)', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  t.equal((await cunbox([...g, 'users', 'add', '--username', 'zhang', '--role', 'cadre'], { CUNBOX_PASSWORD: 'First secret pw' })).code, 0);
  const db = openDatabase(new Layout(dir).database);
  t.teardown(() => db.close());
  const creds = new Credentials({ db, clock: systemClock });
  const session = creds.createSession(1);
  const token = creds.createToken(1, '巡查脚本');
  const list = await cunbox([...g, 'users', 'sessions', 'zhang', '--json']);
  t.equal(list.code, 0, list.err);
  t.match(JSON.parse(list.out), { sessions: [{ id: Number }], tokens: [{ id: token.id, name: '巡查脚本' }] });
  t.notMatch(list.out, new RegExp(`${session.token}|${token.token}`), 'no secrets');
  t.match((await cunbox([...g, 'users', 'sessions', 'zhang'], { LANG: 'zh_CN.UTF-8' })).out, /令牌.*巡查脚本/);
  const end = await cunbox([...g, 'users', 'sessions', 'ＺＨＡＮＧ', '--end']);
  t.equal(end.code, 0, end.err);
  t.match(end.out, /ended: 1 sessions, 1 tokens \(zhang\)/);
  t.equal(creds.bySession(session.token), undefined);
  t.equal(creds.byToken(token.token), undefined);
  t.match(db.prepare("SELECT action, target FROM audit_log WHERE action = 'user.sessions_ended'").all(), [{ target: 'user:1' }]);
  t.match(await cunbox([...g, 'users', 'sessions', 'nobody']), { code: 66 });
});
