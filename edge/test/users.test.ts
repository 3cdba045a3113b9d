import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('users: scrypt hashes, verification, validation', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'u.db'));
  t.teardown(() => db.close());
  const users = new UserStore({ db, clock: systemClock });
  const admin = await users.create({ username: 'admin', password: 'Correct horse 1', role: 'admin', displayName: '管理员' });
  t.match(admin, { id: 1, username: 'admin', role: 'admin', disabled: false });
  t.notOk('password_hash' in admin);
  const row = db.prepare('SELECT password_hash FROM users').get() as { password_hash: string };
  t.match(row.password_hash, /^scrypt\$32768\$8\$1\$/);
  t.notMatch(row.password_hash, /Correct horse 1/);
  t.ok(await users.verify('admin', 'Correct horse 1'));
  t.ok(await users.verify('ADMIN', 'Correct horse 1'), 'user names are case-insensitive');
  t.notOk(await users.verify('admin', 'wrong'));
  t.notOk(await users.verify('nobody', 'Correct horse 1'));
  await t.rejects(users.create({ username: 'admin', password: 'Another one 2', role: 'viewer' }), { code: 'CONFLICT' });
  await t.rejects(users.create({ username: 'x', password: 'short', role: 'viewer' }), { code: 'INVALID_INPUT' });
  await t.rejects(users.create({ username: 'ok_name', password: 'long enough', role: 'root' as never }), { code: 'INVALID_INPUT' });
  await users.setPassword(admin.id, 'New password!');
  t.ok(await users.verify('admin', 'New password!'));
  users.setDisabled(admin.id, true);
  t.notOk(await users.verify('admin', 'New password!'), 'disabled accounts cannot log in');
});

t.test('users: an injected password cost is written into new hashes, and they verify', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'u.db'));
  t.teardown(() => db.close());
  const users = new UserStore({ db, clock: systemClock, passwordCost: { N: 1 << 10, r: 8, p: 1 } });
  const u = await users.create({ username: 'fixture', password: 'Correct horse 1', role: 'viewer' });
  t.match((db.prepare('SELECT password_hash FROM users').get() as { password_hash: string }).password_hash, /^scrypt\$1024\$8\$1\$/);
  t.ok(await users.verify('fixture', 'Correct horse 1'));
  await users.setPassword(u.id, 'New password!');
  t.match((db.prepare('SELECT password_hash FROM users').get() as { password_hash: string }).password_hash, /^scrypt\$1024\$8\$1\$/, 'a new password too');
  t.ok(await users.verify('fixture', 'New password!'));
});
