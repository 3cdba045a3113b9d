/**
 * What the cloud refuses, and how: non-finite numbers, text that should not be
 * stored, bodies too large or malformed (each with a code from the cloud's
 * error table, never INTERNAL), and phone sign-ins under other spellings of a
 * name (counted against the one account).
 */
import t from 'tap';
import { aedesRig, OPERATOR_TOKEN, type BrokerRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage } from './helpers/phone.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const dir = tmpDir(t, 'cunbox-phone-input-');
const ACCOUNTS = [
  { username: 'wangfang', role: 'cadre' },
  { username: 'lisi', role: 'villager' },
  { username: 'zhangsan', role: 'villager' },
] as const;

let rig: BrokerRig;
let a: PairedVillage;
const tokens: Record<string, string> = {};
const base = () => `/api/v1/villages/${a.villageId}`;
const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${rig.cloud.httpPort}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({ status: r.status, json: (await r.json()) as { error: { code: string; message: string } } }));

t.before(async () => {
  rig = await aedesRig(dir);
  a = await pairVillage(rig, '东村');
  await startVillageEdge(t, dir, a, 'edge-a', [...ACCOUNTS]);
  await waitFor('users at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(a.villageId))?.users === ACCOUNTS.length);
  for (const { username } of ACCOUNTS) tokens[username] = (await http(rig, 'POST', `${base()}/login`, { body: { username, password: passwordOf(username) } })).json.token;
});
t.teardown(() => rig?.close());

t.test('a number that is not finite is a 400, in the query and in the path', async (t) => {
  for (const q of ['limit=1e309', 'limit=-1e309', 'since=1e400', 'cameraId=1e309']) {
    const r = await http(rig, 'GET', `${base()}/events?${q}`, { token: tokens.wangfang });
    t.match(r, { status: 400, json: { error: { code: 'INVALID_INPUT' } } }, q);
  }
  t.match(await http(rig, 'GET', `/api/v1/villages/1e309/me`, { token: tokens.wangfang }), { status: 400, json: { error: { code: 'INVALID_INPUT' } } }, 'path');
  t.equal((await http(rig, 'GET', `${base()}/events?limit=5`, { token: tokens.wangfang })).status, 200, 'a finite one still works');
});

t.test('errors of the HTTP layer carry the cloud\'s codes, not INTERNAL', async (t) => {
  const op = { authorization: `Bearer ${OPERATOR_TOKEN}` };
  t.match(await raw('POST', `/api/villages/${a.villageId}/tickets`, '{"category": "x",', op), { status: 400, json: { error: { code: 'MALFORMED_REQUEST' } } }, 'bad JSON');
  const big = JSON.stringify({ category: 'garbage', description: 'x'.repeat(70 * 1024), place: 'p' });
  t.match(await raw('POST', `/api/villages/${a.villageId}/tickets`, big, op), { status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } }, 'over the body limit');
  t.match(await raw('POST', `${base()}/tickets`, big, { authorization: `Bearer ${tokens.zhangsan}` }), { status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } }, 'phone route too');
  t.match(await raw('POST', `${base()}/tickets`, 'category=x', { authorization: `Bearer ${tokens.zhangsan}`, 'content-type': 'application/x-www-form-urlencoded' }), { status: 415, json: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
});

t.test('text that should not be stored is refused on the phone and the operator routes; the rest is stored in NFC', async (t) => {
  const before = (await rig.cloud.data.list(a.villageId, 'ticket')).length;
  const bad = { nul: '垃圾\u0000堆', bidi: '桥头\u202Egpj.exe', surrogate: '桥头\ud800', invisible: '\u200b\u200b\u2060', blank: ' \u3000\t' };
  for (const [what, text] of Object.entries(bad)) {
    t.match(await http(rig, 'POST', `${base()}/tickets`, { token: tokens.zhangsan, body: { category: 'garbage', description: text, place: '桥头' } }), { status: 400, json: { error: { code: 'INVALID_INPUT' } } }, `phone description: ${what}`);
    t.match(await http(rig, 'POST', `${base()}/tickets`, { token: tokens.zhangsan, body: { category: 'garbage', description: '桥头垃圾', place: text } }), { status: 400, json: { error: { code: 'INVALID_INPUT' } } }, `phone place: ${what}`);
    t.match(await http(rig, 'POST', `/api/villages/${a.villageId}/tickets`, { token: OPERATOR_TOKEN, body: { category: 'garbage', description: text, place: '桥头' } }), { status: 400, json: { error: { code: 'INVALID_INPUT' } } }, `operator description: ${what}`);
  }
  t.equal((await rig.cloud.data.list(a.villageId, 'ticket')).length, before, 'nothing stored');
  const ok = await http(rig, 'POST', `${base()}/tickets`, { token: tokens.zhangsan, body: { category: 'garbage', description: 'Cafe\u0301 门口\r\n第二行', place: '桥头' } });
  t.equal(ok.status, 201);
  t.equal(ok.json.ticket.description, 'Caf\u00e9 门口\n第二行', 'NFC, and \\r\\n as \\n');
});

t.test('phone sign-in: full-width spellings count against the one account', async (t) => {
  for (const spelling of ['ＬＩＳＩ', 'ｌｉｓｉ', 'Ｌisi', 'lｉsi', 'liｓi']) {
    t.equal((await http(rig, 'POST', `${base()}/login`, { body: { username: spelling, password: 'Wrong-guess-1' } })).status, 401, spelling);
  }
  const r = await http(rig, 'POST', `${base()}/login`, { body: { username: 'lisi', password: passwordOf('lisi') } });
  t.match(r, { status: 429, json: { error: { code: 'RATE_LIMITED' } } }, 'locked after five failures in any spelling');
  const fw = await http(rig, 'POST', `${base()}/login`, { body: { username: 'ｗａｎｇｆａｎｇ', password: passwordOf('wangfang') } });
  t.equal(fw.status, 200, 'a full-width name reaches its account');
});
