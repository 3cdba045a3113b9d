/**
 * A phone request sent twice with the same Idempotency-Key (the link dropped
 * after the cloud committed, before the phone saw the answer): one ticket, and
 * the repeat gets the first answer. Keys are per user; a malformed key or a key
 * reused for another route is refused.
 */
import t from 'tap';
import type { TicketState } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { tmpDir } from '@cunbox/test-support/tmp';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './helpers/phone.ts';

const dir = tmpDir(t, 'cunbox-phone-idem-');
const ACCOUNTS = [
  { username: 'lisi', role: 'villager' },
  { username: 'zhangsan', role: 'villager' },
] as const;

let rig: BrokerRig;
let v: PairedVillage;
let edge: VillageEdge;
const tokens: Record<string, string> = {};
const base = () => `/api/v1/villages/${v.villageId}`;
const send = (username: string, path: string, body: unknown, key?: string) =>
  fetch(`http://127.0.0.1:${rig.cloud.httpPort}${base()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[username]}`, ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, replayed: r.headers.get('idempotent-replayed'), json: (await r.json()) as any }));
const tickets = async (description: string) => (await rig.cloud.data.list<TicketState>(v.villageId, 'ticket')).filter((x) => x.description === description);

t.before(async () => {
  rig = await aedesRig(dir);
  v = await pairVillage(rig, '东村');
  edge = await startVillageEdge(t, dir, v, 'edge', [...ACCOUNTS]);
  await waitFor('users at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(v.villageId))?.users === ACCOUNTS.length);
  for (const { username } of ACCOUNTS) tokens[username] = (await http(rig, 'POST', `${base()}/login`, { body: { username, password: passwordOf(username) } })).json.token;
});
t.teardown(() => rig?.close());

const REPORT = { category: 'garbage', description: '河边垃圾没人清', place: '河边' };

t.test('the same key twice: one ticket, the first answer again', async (t) => {
  const key = 'a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  const first = await send('zhangsan', '/tickets', REPORT, key);
  t.equal(first.status, 201);
  t.equal(first.replayed, null);
  const again = await send('zhangsan', '/tickets', REPORT, key);
  t.equal(again.status, 201, 'the first status');
  t.equal(again.replayed, 'true');
  t.equal(again.json.ticket.id, first.json.ticket.id, 'the same ticket');
  t.equal((await tickets(REPORT.description)).length, 1, 'one ticket at the cloud');
  await waitFor('the ticket at the edge', () => edge.gov.store.get<TicketState>('ticket', first.json.ticket.id) !== undefined);
  t.equal(edge.gov.store.list<TicketState>('ticket').filter((x) => x.description === REPORT.description).length, 1, 'one ticket at the edge');

  // Another user's key is theirs: the same string makes their own ticket.
  const other = await send('lisi', '/tickets', REPORT, key);
  t.equal(other.status, 201);
  t.equal(other.replayed, null);
  t.not(other.json.ticket.id, first.json.ticket.id);
  // Without a key every request is new.
  await send('zhangsan', '/tickets', REPORT);
  t.equal((await tickets(REPORT.description)).length, 3);
});

t.test('a key reused for another route, or malformed, is refused and commits nothing', async (t) => {
  const key = 'k-reused-0001';
  t.equal((await send('zhangsan', '/tickets', { ...REPORT, description: '路灯坏了' }, key)).status, 201);
  const wrong = await send('zhangsan', '/help-requests', { type: 'medical' }, key);
  t.match(wrong, { status: 409, json: { error: { code: 'CONFLICT' } } });
  for (const bad of ['short', 'x'.repeat(81), 'has space in it', '中文的键名字呀呀呀']) {
    const r = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}${base()}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.zhangsan}`, 'idempotency-key': encodeURIComponent(bad) },
      body: JSON.stringify({ ...REPORT, description: '坏键' }),
    });
    t.equal(r.status, 400, `key ${JSON.stringify(bad)}`);
  }
  t.equal((await tickets('坏键')).length, 0);
});

t.test('a refused request is not kept: sent again once fixable, it runs', async (t) => {
  const key = 'k-refused-0001';
  t.equal((await send('zhangsan', '/tickets', { ...REPORT, category: 'no_such_category', description: '先错后对' }, key)).status, 400);
  t.equal((await send('zhangsan', '/tickets', { ...REPORT, description: '先错后对' }, key)).status, 201);
  t.equal((await tickets('先错后对')).length, 1);
});
