/**
 * The phone's pickers of assignees (GET /ticket-assignees for a dispatcher,
 * GET /help-assignees for whoever handles help): who may ask (the assign
 * route's permission), who is listed (the accounts the shared assign rule
 * accepts, nobody else) and what of them (name, display name, role: never a
 * password hash or a camera scope). A real cloud over HTTP; the village's
 * accounts put in its store as users sync puts them.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { hashPassword, newId, type SyncUser } from '@cunbox/shared';
import { Cloud } from '../src/index.ts';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';
import { testCloudStore } from '@cunbox/test-support/cloud-store';

const PASSWORD = 'Village-pass-1';

/** Two villages: 东村 with an account of every kind (one disabled), 西村 with a cadre and a grid worker of its own. */
async function villages(t: Test) {
  const dir = tmpDir(t);
  const config = { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded' as const, host: '127.0.0.1', port: 0, publicUrl: null } };
  const cloud = new Cloud({ config, log: pino({ level: 'silent' }) });
  await cloud.start();
  t.teardown(() => cloud.stop());
  const url = `http://127.0.0.1:${cloud.httpPort}`;
  const request = async (method: string, path: string, opts: { token?: string; body?: unknown } = {}) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, text, json: text ? JSON.parse(text) : undefined };
  };
  const newVillage = async (name: string) => (await request('POST', '/api/villages', { token: OPERATOR_TOKEN, body: { name } })).json.id as number;
  const east = await newVillage('东村');
  const west = await newVillage('西村');

  const hash = await hashPassword(PASSWORD);
  const account = (username: string, role: SyncUser['role'], extra: Partial<SyncUser> = {}): SyncUser => ({ username, displayName: null, role, passwordHash: hash, disabled: false, cameras: null, ...extra });
  const users: SyncUser[] = [
    account('wangfang', 'cadre', { displayName: '王芳' }),
    account('liwei', 'grid_worker', { displayName: '李伟', cameras: [1, 2] }),
    account('admin', 'admin'),
    account('gone', 'grid_worker', { displayName: '已停用', disabled: true }),
    account('zhangsan', 'villager', { displayName: '张三' }),
    account('tech', 'technician'),
    account('secretary', 'party_secretary'),
    account('screen', 'viewer'),
  ];
  await cloud.data.accounts.putUsers(east, 'e1', { v: 1, version: '1'.padStart(64, '0'), at: 1, users });
  await cloud.data.accounts.putUsers(west, 'e2', { v: 1, version: '2'.padStart(64, '0'), at: 1, users: [account('xiwork', 'grid_worker'), account('xicadre', 'cadre')] });
  const signIn = async (village: number, username: string) => (await request('POST', `/api/v1/villages/${village}/login`, { body: { username, password: PASSWORD } })).json.token as string;
  return { cloud, request, east, west, signIn };
}

/** 东村's staff who may be assigned anything, by name; no disabled account, no villager, technician, secretary or viewer; no other village's. */
const EAST_STAFF = [
  { username: 'admin', displayName: null, role: 'admin' },
  { username: 'liwei', displayName: '李伟', role: 'grid_worker' },
  { username: 'wangfang', displayName: '王芳', role: 'cadre' },
];

t.test('a dispatcher lists the accounts a ticket may go to, and only what a picker shows', async (t) => {
  const { request, east, west, signIn } = await villages(t);
  const list = (village: number, token?: string) => request('GET', `/api/v1/villages/${village}/ticket-assignees`, { ...(token ? { token } : {}) });

  const cadre = await signIn(east, 'wangfang');
  const r = await list(east, cadre);
  t.equal(r.status, 200);
  t.same(r.json, { assignees: EAST_STAFF }, 'the enabled accounts whose role works tickets, by name; no disabled account, no villager, technician, secretary or viewer; no other village');
  t.notMatch(r.text, /scrypt|password|cameras/i, 'nothing secret, no camera scope');
  t.equal((await list(east, await signIn(east, 'admin'))).status, 200, 'an admin dispatches too');

  for (const who of ['liwei', 'zhangsan', 'tech', 'screen']) {
    const refused = await list(east, await signIn(east, who));
    t.equal(refused.status, 403, `${who} may not dispatch, so may not list`);
    t.equal(refused.json.error.code, 'FORBIDDEN');
  }
  t.equal((await list(east)).status, 401, 'signed out');
  t.equal((await list(east, await signIn(west, 'xicadre'))).status, 404, "another village's dispatcher: as if the village did not exist");

  // The list is what the assign command accepts: each listed account may be given a ticket, the disabled one may not.
  const villager = await signIn(east, 'zhangsan');
  const ticket = (await request('POST', `/api/v1/villages/${east}/tickets`, { token: villager, body: { category: 'garbage', description: '桥头有垃圾', place: '桥头' } })).json.ticket.id as string;
  for (const a of r.json.assignees as Array<{ username: string }>) {
    const assigned = await request('POST', `/api/v1/villages/${east}/tickets/${ticket}/assign`, { token: cadre, body: { assignee: a.username } });
    t.equal(assigned.status, 200, `${a.username} may be assigned`);
  }
  t.equal((await request('POST', `/api/v1/villages/${east}/tickets/${ticket}/assign`, { token: cadre, body: { assignee: 'gone' } })).status, 400, 'the unlisted disabled worker may not');
  t.equal((await request('POST', `/api/v1/villages/${east}/tickets/${ticket}/assign`, { token: cadre, body: { assignee: 'zhangsan' } })).status, 400, 'nor a villager');
});

t.test('whoever handles help lists the accounts a help request may go to, and only what a picker shows', async (t) => {
  const { cloud, request, east, west, signIn } = await villages(t);
  const list = (village: number, token?: string) => request('GET', `/api/v1/villages/${village}/help-assignees`, { ...(token ? { token } : {}) });

  const cadre = await signIn(east, 'wangfang');
  const r = await list(east, cadre);
  t.equal(r.status, 200);
  t.same(r.json, { assignees: EAST_STAFF }, 'the enabled accounts whose role handles help, by name; nobody else, no other village');
  t.notMatch(r.text, /scrypt|password|cameras/i, 'nothing secret, no camera scope');
  for (const who of ['admin', 'liwei']) t.equal((await list(east, await signIn(east, who))).status, 200, `${who} handles help too, so may list`);
  for (const who of ['zhangsan', 'tech', 'secretary', 'screen']) {
    const refused = await list(east, await signIn(east, who));
    t.equal(refused.status, 403, `${who} may not handle help, so may not list`);
    t.equal(refused.json.error.code, 'FORBIDDEN');
  }
  t.equal((await list(east)).status, 401, 'signed out');
  t.equal((await list(east, await signIn(west, 'xicadre'))).status, 404, "another village's cadre: as if the village did not exist");

  // The list is what the assign command accepts. The villager's profile comes from the edge as sync brings it (an op), then they ask for themselves.
  await cloud.data.commit(east, 'wangfang', [{ entityKind: 'resident', entityId: newId(Date.now()), type: 'resident.created', payload: { fields: { name: '张三', username: 'zhangsan', gridWorker: 'liwei' } } }]);
  const asked = await request('POST', `/api/v1/villages/${east}/help-requests`, { token: await signIn(east, 'zhangsan'), body: { type: 'medical' } });
  t.equal(asked.status, 201);
  const help = asked.json.request.id as string;
  for (const a of r.json.assignees as Array<{ username: string }>) {
    const assigned = await request('POST', `/api/v1/villages/${east}/help-requests/${help}/assign`, { token: cadre, body: { assignee: a.username } });
    t.equal(assigned.status, 200, `${a.username} may be assigned`);
  }
  for (const who of ['gone', 'zhangsan', 'secretary']) t.equal((await request('POST', `/api/v1/villages/${east}/help-requests/${help}/assign`, { token: cadre, body: { assignee: who } })).status, 400, `the unlisted ${who} may not`);
});
