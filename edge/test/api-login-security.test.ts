import t from 'tap';
import { apiHarness, password } from './helpers/api.ts';

const MIN = 60_000;

t.test('every spelling of a name counts against the one account: no extra tries from spaces, full-width forms or case', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['lisi', 'villager']] });
  for (const spelling of [' lisi', 'lisi\t', '\u3000lisi', 'ＬＩＳＩ', 'LiSi']) {
    t.match(await h.anon.post('/api/auth/login', { username: spelling, password: 'Wrong-guess-1' }), { status: 401 }, JSON.stringify(spelling));
  }
  const locked = await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') });
  t.match(locked, { status: 429, body: { error: { code: 'RATE_LIMITED' } } }, 'five failures in any spelling lock the account');
  t.ok(Number(locked.headers['retry-after']) > 0, 'says when to try again');
  t.equal((await h.anon.post('/api/auth/login', { username: '\u3000ＬＩＳＩ ', password: password('lisi') })).status, 429, 'locked under every spelling');
  t.equal((await h.anon.post('/api/auth/login', { username: 'viewer', password: password('viewer') })).status, 200, 'other accounts are not locked');
  const lisi = h.users.getByUsername('lisi')!.id;
  t.equal((await h.as.admin.put(`/api/users/${lisi}/password`, { password: 'Reset-by-admin-7' })).status, 200);
  t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: 'Reset-by-admin-7' })).status, 200, "an admin's reset lifts the lockout");
});

t.test('lockout is in the database: a restart does not reset it; each lockout lasts longer; the right password afterwards clears it', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['lisi', 'villager']], options: { loginLimits: { perAccount: 3, windowMs: 60 * MIN, lockMs: 15 * MIN } } });
  for (let i = 0; i < 3; i++) t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: `Wrong-guess-${i}` })).status, 401);
  await h.restart();
  t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') })).status, 429, 'still locked after the restart');
  await h.advance(15 * MIN + 1000);
  for (let i = 0; i < 3; i++) t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: `Wrong-again-${i}` })).status, 401);
  await h.advance(16 * MIN);
  t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') })).status, 429, 'the second lockout lasts twice as long');
  await h.advance(15 * MIN);
  t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') })).status, 200);
  for (let i = 0; i < 2; i++) t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: `Wrong-later-${i}` })).status, 401);
  t.equal((await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') })).status, 200, 'a success cleared the count');
  const admin = await h.login('admin');
  const audit = (await admin.get('/api/audit?action=auth.login_locked')).body.entries as Array<{ detail: { username: string } }>;
  t.ok(audit.length >= 2 && audit.every((e) => e.detail.username === 'lisi'), 'refusals while locked are audited');
});

t.test('names without an account lock like real ones; one address trying many names is locked as a whole', async (t) => {
  const h = await apiHarness(t, { options: { loginLimits: { perAccount: 3, perAddress: 10, windowMs: 60 * MIN } } });
  for (let i = 0; i < 3; i++) t.equal((await h.anon.post('/api/auth/login', { username: ' Ghost', password: 'Wrong-guess-1' })).status, 401);
  t.equal((await h.anon.post('/api/auth/login', { username: 'ghost', password: 'Wrong-guess-1' })).status, 429, 'an unknown name locks as a known one would: nothing to learn');
  for (let i = 0; i < 7; i++) t.equal((await h.anon.post('/api/auth/login', { username: `name${i}`, password: 'Wrong-guess-1' })).status, 401);
  t.equal((await h.anon.post('/api/auth/login', { username: 'cadre', password: password('cadre') })).status, 429, 'ten failures from one address lock the address');
});

t.test('password policy: length, kinds of character, not the name, not a common one; on create, reset and change', async (t) => {
  const h = await apiHarness(t);
  const bad: Array<[string, RegExp]> = [
    ['Sh0rt!', /at least 8 characters/],
    ['alllowercase', /at least 3 of/],
    ['lowercase123', /at least 3 of/],
    ['Wangwu-2024', /user name/],
    ['P@ssw0rd', /too common/],
    ['Admin@123', /too common/],
  ];
  for (const [pw, why] of bad) {
    t.match(await h.as.admin.post('/api/users', { username: 'wangwu', password: pw, role: 'viewer' }), { status: 400, body: { error: { code: 'INVALID_INPUT', message: why } } }, pw);
  }
  const created = await h.as.admin.post('/api/users', { username: 'wangwu', password: '村口-Bridge-7', role: 'viewer' });
  t.equal(created.status, 201, 'three kinds: CJK counts as other characters');
  t.match(await h.as.admin.put(`/api/users/${created.body.user.id}/password`, { password: 'password123' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.match(await h.as.viewer.post('/api/auth/password', { currentPassword: password('viewer'), newPassword: 'viewer-Viewer-1' }), { status: 400, body: { error: { message: /user name/ } } });
  t.equal((await h.as.viewer.get('/api/auth/me')).status, 200, 'a refused change ends nothing');
});

t.test('sessions end after the idle timeout and after the absolute lifetime', async (t) => {
  const h = await apiHarness(t, { options: { credentialLimits: { sessionIdleMs: 30 * MIN, sessionLifetimeMs: 12 * 60 * MIN } } });
  const idle = await h.login('cadre');
  await h.advance(29 * MIN);
  t.equal((await idle.get('/api/auth/me')).status, 200, 'used within the idle timeout');
  await h.advance(29 * MIN);
  t.equal((await idle.get('/api/auth/me')).status, 200, 'the timeout counts from the last use');
  await h.advance(31 * MIN);
  t.match(await idle.get('/api/auth/me'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } }, 'idle for 31 minutes: ended');

  const busy = await h.login('viewer');
  const login = await h.anon.post('/api/auth/login', { username: 'technician', password: password('technician') });
  t.equal(login.body.expiresAt, h.clock.now() + 12 * 60 * MIN, 'the reply says when the session ends');
  t.match(String(login.headers['set-cookie']), /Max-Age=43200/);
  for (let used = 0; used < 12 * 60 - 20; used += 20) {
    await h.advance(20 * MIN);
    if ((await busy.get('/api/auth/me')).status !== 200) return t.fail(`ended early, after ${used + 20} minutes`);
  }
  await h.advance(25 * MIN);
  t.equal((await busy.get('/api/auth/me')).status, 401, 'used every 20 minutes, still ended after 12 hours');
});

t.test('API tokens expire, say when they were last used, and end with the password or the account', async (t) => {
  const h = await apiHarness(t);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

  const dflt = await h.as.cadre.post('/api/tokens', { name: '默认' });
  t.equal(dflt.body.expiresAt, h.clock.now() + 90 * 24 * 60 * MIN, 'default: 90 days');
  t.match(await h.as.cadre.post('/api/tokens', { name: 'too long', expiresInDays: 366 }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'at most 365 days');
  const short = await h.as.cadre.post('/api/tokens', { name: '一天', expiresInDays: 1 });
  t.equal((await me(short.body.token)).status, 200);
  t.match((await h.as.cadre.get('/api/tokens')).body.tokens, [{ id: dflt.body.id, lastUsedAt: null }, { id: short.body.id, lastUsedAt: h.clock.now(), expiresAt: short.body.expiresAt }]);
  await h.advance(24 * 60 * MIN);
  t.equal((await me(short.body.token)).status, 401, 'expired');
  t.equal((await me(dflt.body.token)).status, 200);

  // Fresh sessions for the second part (each is ended below in a different way).
  const [villager, gridWorker, technician, admin] = await Promise.all(['villager', 'grid_worker', 'technician', 'admin'].map((u) => h.login(u)));
  // My own password change.
  const mine = (await villager!.post('/api/tokens', { name: 'script' })).body.token as string;
  t.equal((await villager!.post('/api/auth/password', { currentPassword: password('villager'), newPassword: 'Brand-new-pass-9' })).status, 200);
  t.equal((await me(mine)).status, 401, 'my password changed: my tokens are revoked');
  // An admin's reset.
  const gw = (await gridWorker!.post('/api/tokens', { name: 'script' })).body.token as string;
  const gwId = h.users.getByUsername('grid_worker')!.id;
  t.equal((await admin!.put(`/api/users/${gwId}/password`, { password: 'Reset-by-admin-9' })).status, 200);
  t.equal((await me(gw)).status, 401, 'reset by an admin: revoked');
  // Disabling.
  const tech = (await technician!.post('/api/tokens', { name: 'script' })).body.token as string;
  const techId = h.users.getByUsername('technician')!.id;
  t.equal((await admin!.patch(`/api/users/${techId}`, { disabled: true })).status, 200);
  t.equal((await admin!.patch(`/api/users/${techId}`, { disabled: false })).status, 200);
  t.equal((await me(tech)).status, 401, 'disabled (and enabled again): revoked');
  t.equal((await technician!.get('/api/auth/me')).status, 401, 'and the sessions ended');
});

t.test('an admin lists and ends any user\'s sessions and tokens; audited; never the secrets', async (t) => {
  const h = await apiHarness(t);
  const cadreId = h.users.getByUsername('cadre')!.id;
  const second = await h.login('cadre');
  const token = (await h.as.cadre.post('/api/tokens', { name: '巡查' })).body;
  for (const role of ['cadre', 'grid_worker', 'viewer'] as const) t.equal((await h.as[role].get(`/api/users/${cadreId}/sessions`)).status, 403, `${role} may not`);
  const listed = await h.as.admin.get(`/api/users/${cadreId}/sessions`);
  t.equal(listed.status, 200);
  t.equal(listed.body.sessions.length, 2);
  t.match(listed.body.tokens, [{ id: token.id, name: '巡查', revokedAt: null }]);
  t.notMatch(JSON.stringify(listed.body), new RegExp(`${token.token.slice(4, 20)}|token_?hash`, 'i'));
  t.match(await h.as.admin.get('/api/users/9999/sessions'), { status: 404 });

  const one = listed.body.sessions[1].id as number;
  t.equal((await h.as.admin.delete(`/api/users/${cadreId}/sessions/${one}`)).status, 200);
  t.equal((await second.get('/api/auth/me')).status, 401, 'that session ended');
  t.equal((await h.as.cadre.get('/api/auth/me')).status, 200, 'the other one not');
  t.same((await h.as.admin.delete(`/api/users/${cadreId}/sessions`)).body, { sessions: 1, tokens: 1 });
  t.equal((await h.as.cadre.get('/api/auth/me')).status, 401);
  t.equal((await h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token.token}` } })).status, 401);

  const t2 = (await h.as.viewer.post('/api/tokens', { name: 'x' })).body;
  const viewerId = h.users.getByUsername('viewer')!.id;
  t.equal((await h.as.admin.delete(`/api/users/${viewerId}/tokens/${t2.id}`)).status, 200);
  t.equal((await h.as.admin.delete(`/api/users/${cadreId}/tokens/${t2.id}`)).status, 404, 'a token of someone else');
  const audit = (await h.as.admin.get('/api/audit')).body.entries as Array<{ action: string; target: string }>;
  t.same(
    audit.filter((e) => ['user.session_ended', 'user.sessions_ended', 'token.revoke'].includes(e.action)).map((e) => [e.action, e.target]),
    [
      ['token.revoke', `token:${t2.id}`],
      ['user.sessions_ended', `user:${cadreId}`],
      ['user.session_ended', `user:${cadreId}`],
    ],
  );
});
