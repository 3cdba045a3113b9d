import t from 'tap';
import { apiHarness, password } from './helpers/api.ts';
import { ROLES } from '../src/auth/users.ts';

t.test('login sets an HttpOnly SameSite cookie; me, logout; nothing secret in replies', async (t) => {
  const h = await apiHarness(t);
  const res = await h.anon.post('/api/auth/login', { username: 'admin', password: password('admin') });
  t.equal(res.status, 200);
  const cookie = String(res.headers['set-cookie']);
  t.match(cookie, /^cunbox_session=[A-Za-z0-9_-]{43};/);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.notMatch(JSON.stringify(res.body), /scrypt|password/i);
  const me = await h.as.villager.get('/api/auth/me');
  t.match(me.body, { user: { username: 'villager', role: 'villager' }, via: 'session' });

  const c = await h.login('cadre');
  t.equal((await c.post('/api/auth/logout')).status, 200);
  t.match(await c.get('/api/auth/me'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
  t.match(await h.anon.get('/api/auth/me'), { status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
});

t.test('wrong passwords: 401, audited without the password, then rate limited', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['lisi', 'villager']] });
  for (let i = 0; i < 5; i++) {
    const r = await h.anon.post('/api/auth/login', { username: 'lisi', password: `guess-${i}-secret` });
    t.match(r, { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'wrong user name or password' } } });
  }
  const limited = await h.anon.post('/api/auth/login', { username: 'lisi', password: password('lisi') });
  t.match(limited, { status: 429, body: { error: { code: 'RATE_LIMITED' } } }, 'even the right password is refused once limited');
  t.equal((await h.anon.post('/api/auth/login', { username: 'viewer', password: password('viewer') })).status, 200, 'other accounts are not locked out');
  const audit = await h.as.admin.get('/api/audit?action=auth.login_failed');
  t.equal(audit.body.entries.length, 5);
  t.notMatch(JSON.stringify(audit.body), /guess-|secret/, 'attempted passwords are never stored');
});

t.test('API tokens: shown once, bearer works, revocable, never listed', async (t) => {
  const h = await apiHarness(t);
  const created = await h.as.grid_worker.post('/api/tokens', { name: '巡查手机' });
  t.equal(created.status, 201);
  const token = created.body.token as string;
  t.match(token, /^cbx_[A-Za-z0-9_-]{43}$/);
  const bearer = { authorization: `Bearer ${token}` };
  const me = await h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: bearer });
  t.match(me.body, { user: { username: 'grid_worker' }, via: 'token' });
  const list = await h.as.grid_worker.get('/api/tokens');
  t.match(list.body.tokens, [{ id: created.body.id, name: '巡查手机', revokedAt: null }]);
  t.notMatch(JSON.stringify(list.body), new RegExp(token.slice(4, 20)));
  t.equal((await h.as.villager.delete(`/api/tokens/${created.body.id}`)).status, 404, "someone else's token cannot be revoked");
  t.equal((await h.as.grid_worker.delete(`/api/tokens/${created.body.id}`)).status, 200);
  t.equal((await h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: bearer })).status, 401);
  t.equal((await h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: 'Bearer cbx_forged' } })).status, 401);
});

t.test('user administration is for admins, audited, and ends sessions on changes', async (t) => {
  const h = await apiHarness(t);
  for (const role of ['cadre', 'grid_worker', 'party_secretary', 'party_member', 'villager', 'technician', 'viewer'] as const) {
    t.match(await h.as[role].get('/api/users'), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, `${role} cannot list users`);
    t.equal((await h.as[role].post('/api/users', { username: `x_${role}`, password: 'Long enough pw 1', role: 'admin' })).status, 403, `${role} cannot create users`);
    t.equal((await h.as[role].get('/api/audit')).status, 403, `${role} cannot read the audit log`);
  }
  const created = await h.as.admin.post('/api/users', { username: '王网格', password: 'First password 1', role: 'grid_worker', displayName: '王五' });
  t.match(created, { status: 201, body: { user: { username: '王网格', role: 'grid_worker', displayName: '王五' } } });
  t.notMatch(JSON.stringify(created.body), /First password 1|scrypt/);
  const id = created.body.user.id as number;
  const wang = await h.login('王网格', 'First password 1');
  t.equal((await wang.get('/api/auth/me')).status, 200);
  t.match(await h.as.admin.patch(`/api/users/${id}`, { role: 'cadre' }), { status: 200, body: { user: { role: 'cadre' } } });
  t.equal((await wang.get('/api/auth/me')).status, 401, 'a role change ends the sessions');
  t.equal((await h.as.admin.put(`/api/users/${id}/password`, { password: 'Second password 2' })).status, 200);
  t.equal((await h.anon.post('/api/auth/login', { username: '王网格', password: 'First password 1' })).status, 401);
  const w2 = await h.login('王网格', 'Second password 2');
  t.equal((await h.as.admin.patch(`/api/users/${id}`, { disabled: true })).status, 200);
  t.equal((await w2.get('/api/auth/me')).status, 401, 'disabled: session ended');
  t.match(await h.as.admin.patch(`/api/users/1`, { disabled: true }), { status: 409, body: { error: { code: 'CONFLICT' } } }, 'admins cannot lock themselves out');
  t.match(await h.as.admin.post('/api/users', { username: 'ab', password: 'short', role: 'viewer' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.match(await h.as.admin.post('/api/users', { username: 'ab', password: 'long enough', role: 'root' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  const audit = (await h.as.admin.get('/api/audit')).body.entries as Array<{ action: string; target: string | null; detail: unknown }>;
  t.same(
    audit.filter((e) => e.action.startsWith('user.')).map((e) => [e.action, e.target]),
    [
      ['user.update', `user:${id}`],
      ['user.password_set', `user:${id}`],
      ['user.update', `user:${id}`],
      ['user.create', `user:${id}`],
    ],
  );
  t.notMatch(JSON.stringify(audit), /First password 1|Second password 2/);

  const me = await h.as.villager.post('/api/auth/password', { currentPassword: 'wrong one', newPassword: 'A new password 3' });
  t.equal(me.status, 401);
  t.equal((await h.as.villager.post('/api/auth/password', { currentPassword: password('villager'), newPassword: 'A new password 3' })).status, 200);
  t.equal((await h.as.villager.get('/api/auth/me')).status, 401, 'changing my password ends my sessions');
});

t.test('bad requests get a 4xx with a code from the error table', async (t) => {
  const h = await apiHarness(t);
  const c = h.as.cadre;
  const malformed = await c.inject({ method: 'POST', url: '/api/tokens', payload: '{"name": "x",', headers: { 'content-type': 'application/json' } });
  t.match(malformed, { status: 400, body: { error: { code: 'MALFORMED_REQUEST', message: 'malformed JSON body' } } });
  t.match(await c.post('/api/tokens', { name: 'ok', admin: true }), { status: 400, body: { error: { code: 'INVALID_INPUT', details: ['body: unknown field "admin"'] } } });
  t.match(await c.post('/api/tokens', {}), { status: 400, body: { error: { code: 'INVALID_INPUT', details: ['body: missing field "name"'] } } });
  t.match(await c.post('/api/tokens', { name: 42 }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'no type coercion in bodies');
  t.match(await c.inject({ method: 'POST', url: '/api/tokens', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
  t.match(await c.inject({ method: 'POST', url: '/api/tokens', payload: JSON.stringify({ name: 'x'.repeat(300_000) }), headers: { 'content-type': 'application/json' } }), { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  t.match(await c.get('/api/nothing-here'), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await c.get('/api/auth/me?debug=1'), { status: 400, body: { error: { code: 'INVALID_INPUT', details: ['querystring: unknown field "debug"'] } } });
  t.match(await c.delete("/api/tokens/1;DROP TABLE users"), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.equal(h.users.list().length, ROLES.length, 'nothing changed: the one account per role the harness made');
});

t.test('OpenAPI at /docs lists every route with its access rule', async (t) => {
  const h = await apiHarness(t);
  const ui = await h.anon.get('/docs/');
  t.equal(ui.status, 200);
  t.match(String(ui.body), /swagger/i);
  const doc = (await h.anon.get('/docs/json')).body;
  t.match(doc, { openapi: /^3\./, info: { title: 'cunbox edge API' } });
  const paths = Object.keys(doc.paths as object);
  for (const p of ['/api/auth/login', '/api/tickets', '/api/tickets/{id}/assign', '/open311/v2/requests.json', '/api/residents', '/api/certificates/{id}/pdf', '/api/public/certificates/{code}', '/api/announcements', '/api/party/ranking']) {
    t.ok(paths.includes(p), `documents ${p}`);
  }
  let operations = 0;
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, { description?: string }>>)) {
    for (const [method, op] of Object.entries(item)) {
      operations++;
      t.match(op.description ?? '', /Access: /, `${method.toUpperCase()} ${p} names its access rule`);
    }
  }
  t.ok(operations > 60, `${operations} operations`);
});
