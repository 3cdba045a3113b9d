import t from 'tap';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { UserStore } from '../src/auth/users.ts';
import { silentLogger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('config: the http section is optional, with defaults', async (t) => {
  t.equal(parseConfig('data_dir: /d\n').http, null, 'absent: no HTTP API');
  const security = { sessionIdleMs: 30 * 60_000, sessionLifetimeMs: 12 * 3600_000, loginMaxFailures: 5, lockoutMs: 15 * 60_000 };
  t.same(parseConfig('data_dir: /d\nhttp: {}\n').http, { host: '127.0.0.1', port: 8080, security });
  t.same(parseConfig('data_dir: /d\nhttp:\n  host: 0.0.0.0\n  port: 80\n').http, { host: '0.0.0.0', port: 80, security });
  t.throws(() => parseConfig('data_dir: /d\nhttp:\n  port: 70000\n  hots: x\n', 'c.yaml'), { code: 'CONFIG_INVALID', details: [/c\.yaml:4:\d+ http\.hots: unknown key/, /c\.yaml:3:\d+ http\.port: must be <= 65535/] });
});

t.test('the edge serves the API on 127.0.0.1 when configured, and stops it', async (t) => {
  const dir = tmpDir(t);
  const config = parseConfig(`data_dir: ${dir}\nhttp:\n  host: 127.0.0.1\n  port: 0\n  absolute_lifetime_hours: 8\n  login_max_failures: 2\n`);
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  const { host, port } = edge.http!.address;
  t.equal(host, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const me = await fetch(`${base}/api/auth/me`);
  t.equal(me.status, 401);
  t.match(await me.json(), { error: { code: 'UNAUTHENTICATED' } });
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'admin', password: 'A long password 1', role: 'admin' });
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'A long password 1' }) });
  t.equal(login.status, 200);
  t.match(login.headers.get('set-cookie'), /Max-Age=28800/, 'the session lifetime from the config');
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${base}/api/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ category: 'garbage', description: '测试', place: '村委会' }) });
  t.equal(created.status, 201);
  t.equal((await fetch(`${base}/docs/json`)).status, 200);
  const wrong = () => fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'Wrong-guess-1' }) });
  t.same([(await wrong()).status, (await wrong()).status, (await wrong()).status], [401, 401, 429], 'the lockout threshold from the config');
  await edge.stop();
  await t.rejects(fetch(`${base}/api/auth/me`), 'stopped: nothing listens');
});

t.test('without the http section the edge starts no server', async (t) => {
  const edge = new Edge({ config: parseConfig(`data_dir: ${tmpDir(t)}\n`), log: silentLogger() });
  await edge.start();
  t.teardown(() => edge.stop());
  t.equal(edge.http, undefined);
});
