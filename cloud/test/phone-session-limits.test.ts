/** 等保 2.0 for the phone sign-in: a lockout survives a restart of the cloud; an unused session ends. */
import t from 'tap';
import { testCloudStore } from '@cunbox/test-support/cloud-store';
import { join } from 'node:path';
import { pino } from 'pino';
import { governanceModels, hashPassword, type SyncUser, type UsersMessage } from '@cunbox/shared';
import { Cloud } from '../src/index.ts';
import { SqliteCloudStore } from '../src/store.ts';
import { PHONE_SESSION_IDLE_MS } from '../src/accounts.ts';
import { LoginLimiter } from '../src/phone/rate-limit.ts';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('a locked phone account stays locked when the cloud restarts', async (t) => {
  const dir = tmpDir(t);
  const config = { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded' as const, host: '127.0.0.1', port: 0, publicUrl: null } };
  const start = async () => {
    const cloud = new Cloud({ config, log: pino({ level: 'silent' }) });
    await cloud.start();
    return cloud;
  };
  let cloud = await start();
  t.teardown(() => cloud.stop());
  const village = await (await fetch(`http://127.0.0.1:${cloud.httpPort}/api/villages`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: '东村' }) })).json() as { id: number };
  const login = async () =>
    (await fetch(`http://127.0.0.1:${cloud.httpPort}/api/v1/villages/${village.id}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'zhangsan', password: 'Guess-number-1' }) })).status;
  const tries: number[] = [];
  for (let i = 0; i < 6; i++) tries.push(await login());
  t.same(tries, [401, 401, 401, 401, 401, 429], 'five wrong passwords lock the account');
  await cloud.stop();
  cloud = await start();
  t.equal(await login(), 429, 'still locked after the restart: the count is in the database');
});

t.test('a phone session unused for PHONE_SESSION_IDLE_MS ends; one in use lasts until its lifetime', async (t) => {
  let now = 1_000_000;
  const store = SqliteCloudStore.open({ file: ':memory:', models: governanceModels, now: () => now });
  t.teardown(() => store.close());
  const v = store.createVillage('x');
  const user: SyncUser = { username: 'a', displayName: null, role: 'villager', passwordHash: await hashPassword('Some-password-1'), disabled: false, cameras: null };
  const snapshot: UsersMessage = { v: 1, version: '1'.padStart(64, '0'), at: 1, users: [user] };
  store.accounts.putUsers(v.id, 'e', snapshot);
  const lifetime = 3 * PHONE_SESSION_IDLE_MS;
  const used = store.accounts.createSession(v.id, 'a', lifetime);
  const idle = store.accounts.createSession(v.id, 'a', lifetime);
  for (let step = 0; step < 3; step++) {
    now += PHONE_SESSION_IDLE_MS - 1000;
    t.ok(store.accounts.session(used.token), 'in use: still valid');
  }
  t.equal(store.accounts.session(idle.token), undefined, 'unused for longer than the idle limit: ended');
  // Used 3 s ago, but its lifetime ran out a moment ago.
  now += 3001;
  t.equal(store.accounts.session(used.token), undefined, 'past its lifetime, used or not');
});

t.test('the limiter counts through the log it is given', async (t) => {
  const added: string[] = [];
  const log = { add: (key: string) => void added.push(key), since: () => [1, 2, 3], clear: () => {} };
  const l = new LoginLimiter({ now: () => 10, limits: { perAccount: 3, perAddress: 10, windowMs: 100 }, log });
  await l.fail('v:a', 'ip1');
  t.same(added, ['a:v:a', 'ip:ip1']);
  t.ok(await l.wait('v:a', 'ip1') > 0, 'three failures in the log lock the account');
});
