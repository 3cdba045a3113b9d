/** The cloud's copy of village accounts and the login limiter, with an injected clock. */
import t from 'tap';
import { governanceModels, hashPassword, type SyncUser, type UsersMessage } from '@cunbox/shared';
import { SqliteCloudStore } from '../src/store.ts';
import { LoginLimiter } from '../src/phone/rate-limit.ts';

let now = 1_000_000;
const clock = () => now;
const user = (username: string, passwordHash: string, disabled = false): SyncUser => ({ username, displayName: null, role: 'villager', passwordHash, disabled, cameras: null });
const snapshot = (at: number, users: SyncUser[]): UsersMessage => ({ v: 1, version: String(at).padStart(64, '0'), at, users });

t.test('snapshots replace the village users; late old ones are ignored for a while', async (t) => {
  const store = SqliteCloudStore.open({ file: ':memory:', models: governanceModels, now: clock });
  t.teardown(() => store.close());
  const v = store.createVillage('x');
  const h1 = await hashPassword('first password');
  const h2 = await hashPassword('second password');
  t.same(store.accounts.putUsers(v.id, 'e', snapshot(100, [user('a', h1), user('b', h1)])), { applied: true, sessionsEnded: 0 });
  const sa = store.accounts.createSession(v.id, 'a', 60_000);
  const sb = store.accounts.createSession(v.id, 'B', 60_000);
  t.equal(store.accounts.session(sa.token)?.user.username, 'a');
  t.equal(store.accounts.session(sb.token)?.user.username, 'b', 'usernames are case-insensitive, as on the edge');

  // a: new password; b: removed. Both lose their sessions.
  t.same(store.accounts.putUsers(v.id, 'e', snapshot(200, [user('a', h2)])), { applied: true, sessionsEnded: 2 });
  t.equal(store.accounts.session(sa.token), undefined);
  t.equal(store.accounts.user(v.id, 'b'), undefined);
  t.equal(store.accounts.passwordHash(v.id, 'a'), h2);

  t.same(store.accounts.putUsers(v.id, 'e', snapshot(200, [user('a', h2)])), { applied: false, sessionsEnded: 0 }, 'the same snapshot again is a no-op');
  t.equal(store.accounts.putUsers(v.id, 'e', snapshot(150, [user('a', h1)])).applied, false, 'an older snapshot arriving late is ignored');
  now += 10 * 60_000;
  t.equal(store.accounts.putUsers(v.id, 'e', snapshot(150, [user('a', h1)])).applied, true, 'but not forever: an edge clock set back still syncs');

  const s = store.accounts.createSession(v.id, 'a', 60_000);
  now += 60_001;
  t.equal(store.accounts.session(s.token), undefined, 'sessions expire');
  t.equal(store.accounts.session('not-a-token'), undefined);
});

t.test('login limiter: per account and per address, sliding window', async (t) => {
  let at = 0;
  const l = new LoginLimiter({ now: () => at, limits: { perAccount: 3, perAddress: 5, windowMs: 1000 } });
  for (let i = 0; i < 3; i++) await l.fail('v:a', 'ip1');
  t.ok(await l.wait('v:a', 'ip1') > 0, 'account locked after 3');
  t.equal(await l.wait('v:b', 'ip2'), 0, 'another account from elsewhere is not');
  await l.fail('v:b', 'ip1');
  await l.fail('v:c', 'ip1');
  t.ok(await l.wait('v:d', 'ip1') > 0, 'the address is locked after 5 failures on any accounts');
  at = 1001;
  t.equal(await l.wait('v:a', 'ip1'), 0, 'the window moved on');
  await l.fail('v:a', 'ip1');
  await l.succeed('v:a');
  t.equal(await l.wait('v:a', 'ip9'), 0, 'a right password clears the account');
});
