import t, { type Test } from 'tap';
import { PERMISSIONS, type Permission } from '../src/api/permissions.ts';
import { apiHarness } from './helpers/api.ts';

const ZHANG = { name: '张三丰', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', gridWorker: 'grid_worker', username: 'villager', dibao: true, elderly: true, notes: '独居老人' };
const LI = { name: '李四', idNumber: '37020219800101567X', phone: '13987654321', address: '二组3号', disabled: true };
const PLACEHOLDER_ID = '01HZZZZZZZZZZZZZZZZZZZZZZZ';

async function withKiosk(t: Test) {
  const h = await apiHarness(t, { screen: {} });
  const made = await h.as.admin.post('/api/kiosks', { username: 'office-tv', displayName: '村委会大屏' });
  t.equal(made.status, 201, 'an admin creates a screen');
  const token = made.body.token as string;
  const bearer = (m: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, extra: Record<string, string> = {}) =>
    h.app.inject({ method: m, url, payload: m === 'GET' || m === 'DELETE' ? undefined : '{}', headers: { authorization: `Bearer ${token}`, ...(m === 'GET' || m === 'DELETE' ? {} : { 'content-type': 'application/json' }), ...extra } });
  return { h, made: made.body, token, bearer };
}

t.test('a kiosk token reads the screen and the camera wall only: 403 on every other route, 401 once revoked', async (t) => {
  const { h, made, token, bearer } = await withKiosk(t);
  t.match(made, { kiosk: { username: 'office-tv', displayName: '村委会大屏', disabled: false, cameras: null }, token: /^cbx_/, screenUrl: /\/screen#token=cbx_/ });
  t.notOk(JSON.stringify((await h.as.admin.get('/api/kiosks')).body).includes(token), 'the list never shows the secret');
  t.match(await h.as.admin.post('/api/kiosks', { username: 'typo-tv', cameras: [99] }), { status: 400, body: { error: { code: 'INVALID_INPUT', message: /no camera 99/ } } });
  t.equal(h.users.getByUsername('typo-tv'), undefined, 'a refused screen leaves no account behind');

  const doc = (await h.anon.get('/docs/json')).body as { paths: Record<string, Record<string, { description?: string; operationId?: string }>> };
  const reachable: string[] = [];
  let denied = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const access = /Access: (\S+)/.exec(op.description ?? '')?.[1];
      if (!access || access === 'public') continue;
      const kioskMay = access !== 'authenticated' && (PERMISSIONS[access as Permission] as readonly string[]).includes('kiosk');
      if (kioskMay || path === '/api/screen/stream') {
        reachable.push(`${method.toUpperCase()} ${path}`);
        continue;
      }
      const url = path.replace(/\{[^}]+\}/g, PLACEHOLDER_ID);
      const r = await bearer(method.toUpperCase() as 'GET', url);
      if (r.statusCode === 403) denied++;
      else if (path === '/api/auth/me' || path === '/api/auth/logout') reachable.push(`${method.toUpperCase()} ${path}`);
      else t.fail(`kiosk ${method} ${path}: ${r.statusCode}`);
    }
  }
  // Spelled out, so widening what a screen may reach is a visible diff here.
  t.same(reachable.sort(), ['GET /api/auth/me', 'GET /api/screen/stream', 'GET /api/screen/summary', 'POST /api/auth/logout'], 'what a screen reaches (the wall routes are added with the video part)');
  t.ok(denied > 80, `${denied} routes refuse a screen`);
  t.same(PERMISSIONS['video.wall'].includes('kiosk'), true, 'snapshots and live view: the wall');
  for (const p of ['video.view', 'video.export', 'tickets.read', 'announcements.read', 'media.read', 'residents.stats'] as const) {
    t.notOk((PERMISSIONS[p] as readonly string[]).includes('kiosk'), `no ${p} for a screen (recordings, records, photos)`);
  }
  t.equal((await bearer('POST', '/api/tokens')).statusCode, 403, 'a screen cannot mint itself another token');

  t.equal((await bearer('GET', '/api/screen/summary')).statusCode, 200);
  const revoked = await h.as.admin.delete(`/api/kiosks/${made.kiosk.id}`);
  t.match(revoked, { status: 200, body: { kiosk: { disabled: true }, revokedTokens: 1 } });
  t.equal((await bearer('GET', '/api/screen/summary')).statusCode, 401, 'revoked: the token no longer names anyone');
  const actions = h.audit.list({}).map((e: { action: string }) => e.action);
  t.ok(actions.includes('kiosk.create') && actions.includes('kiosk.revoke'), 'creation and revocation are audited');
  t.notOk(JSON.stringify(h.audit.list({})).includes(token), 'the audit log never holds the secret');
});

t.test('the screen cookie: traded for a kiosk token only, lasts as long as the token', async (t) => {
  const { h, token } = await withKiosk(t);
  const traded = await h.anon.post('/api/kiosk/session', { token });
  t.equal(traded.status, 200);
  const setCookie = String(traded.headers['set-cookie']);
  t.match(setCookie, /^cunbox_kiosk=cbx_[^;]+;.*HttpOnly/i);
  t.match(setCookie, /SameSite=Strict/i);
  t.match(setCookie, /Max-Age=77760\d\d/, 'about 90 days: the token\'s default life');
  const screen = h.client('screen', setCookie.split(';')[0]!);
  t.equal((await screen.get('/api/screen/summary')).status, 200, 'the cookie reads the summary (an EventSource and <img> tiles send it)');
  t.equal((await screen.get('/api/tickets')).status, 403);
  t.equal((await screen.get('/api/residents')).status, 403);

  const cadreToken = (await h.as.cadre.post('/api/tokens', { name: 'script' })).body.token as string;
  t.match(await h.anon.post('/api/kiosk/session', { token: cadreToken }), { status: 401 }, "a person's token is not a screen token");
  const asCookie = h.client('x', `cunbox_kiosk=${cadreToken}`);
  t.equal((await asCookie.get('/api/screen/summary')).status, 401, "a person's token never rides in the screen cookie");
  t.equal((await asCookie.get('/api/tickets')).status, 401);
  t.match(await h.anon.post('/api/kiosk/session', { token: 'cbx_nonsense' }), { status: 401 });
  t.ok(h.audit.list({ action: 'kiosk.session_failed' }).length >= 2, 'failed trades are audited');
});

t.test('the summary carries counts and public facts, never who', async (t) => {
  const { h, bearer } = await withKiosk(t);
  const zhang = (await h.as.cadre.post('/api/residents', ZHANG)).body.resident;
  await h.as.cadre.post('/api/residents', LI);
  await h.as.cadre.post('/api/residents', { name: '张小明', address: '一组12号' });
  t.equal((await h.as.villager.post('/api/help-requests', { type: 'medical', description: '每周透析需要接送', urgent: true })).status, 201);
  t.equal((await h.as.grid_worker.post('/api/help-requests', { type: 'repair', residentId: zhang.id, description: '屋顶漏水' })).status, 201);
  t.equal((await h.as.villager.post('/api/tickets', { category: 'garbage', description: '王五13912345678在桥下倒垃圾', place: '村口桥' })).status, 201);
  const sec = h.as.party_secretary;
  const member = (await sec.post('/api/party/members', { name: '欧阳明月', branch: '一支部' })).body.member;
  t.equal((await sec.post(`/api/party/members/${member.id}/points`, { ruleCode: 'blood_donation', date: '2026-05-10' })).status, 201);
  const draft = (await h.as.cadre.post('/api/announcements', { category: 'finance', title: '5月财务收支', body: '收入…' })).body.announcement;
  await h.as.cadre.post(`/api/announcements/${draft.id}/submit`);
  t.equal((await h.as.admin.post(`/api/announcements/${draft.id}/publish`)).status, 200);

  await h.advance(3000);
  const r = await bearer('GET', '/api/screen/summary');
  t.equal(r.statusCode, 200);
  const { summary } = r.json();
  t.match(summary, {
    village: { households: 2, population: 3 },
    tickets: { today: 1, open: 1, overdue: 0, due: [{ categoryName: '垃圾倾倒', place: '村口桥', status: 'submitted' }] },
    help: { open: 2 },
    announcements: [{ title: '5月财务收支', categoryName: '财务公开' }],
    partyTop: { month: '2026-05', rows: [{ rank: 1, name: '欧**月', points: 10 }] },
    activityByHour: Array(24).fill({ count: 0 }),
    cloud: null,
  });
  t.same(summary.help.byType.map((x: { type: string; count: number; urgent: number }) => [x.type, x.count, x.urgent]).sort(), [['medical', 1, 1], ['repair', 1, 0]]);
  const text = JSON.stringify(r.json());
  for (const secret of ['张三丰', '李四', '张小明', ZHANG.idNumber, ZHANG.phone, LI.idNumber, LI.phone, '13912345678', '透析', '屋顶漏水', '独居', '欧阳明月', 'villager', 'grid_worker', 'dibao', 'elderly']) {
    t.notOk(text.includes(secret), `no "${secret}" on the screen`);
  }

  // Overdue: past the 30-minute SLA of garbage, the ticket counts as overdue.
  await h.advance(31 * 60_000);
  t.match((await bearer('GET', '/api/screen/summary')).json().summary.tickets, { overdue: 1, due: [{ overdue: true }] });
});
