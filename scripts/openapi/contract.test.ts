// The OpenAPI documents as a contract a third party can build on: every route
// has an operationId and a documented success reply, the checked-in client
// types are what the servers publish, and a client generated from each
// document (openapi-typescript types + openapi-fetch) calls every operation of
// a real edge and a real cloud, each reply matching its documented status and
// shape. tsc type-checks the typed calls below against the generated types.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import createClient, { type Middleware } from 'openapi-fetch';
import sharp from 'sharp';
import { ReplyChecker, type OpenApiDoc } from '@cunbox/test-support/reply-check';
import type { paths as EdgePaths } from './generated/edge.d.ts';
import type { paths as CloudPaths } from './generated/cloud.d.ts';
import { GENERATED, typesOf } from './generate.ts';
import { hashPassword } from '@cunbox/shared';
import { ADMIN, OPERATOR_TOKEN, startCloud, startEdge, type Running } from './servers.ts';

const PHONE_USER = { username: 'zhang', password: 'Phone-Contract-42' };

type Operation = { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }>; requestBody?: { content: Record<string, unknown> } };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function operations(doc: Record<string, any>): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method]! })),
  );
}

/**
 * Records every call a generated client makes (by method and documented path)
 * and checks each reply against the document: a status it lists, a body of the
 * documented shape (an error included).
 */
function recorder(t: Test, doc: object) {
  const checker = new ReplyChecker(doc as OpenApiDoc);
  const called = new Map<string, number[]>();
  const middleware: Middleware = {
    async onResponse({ request, schemaPath, response }) {
      const key = `${request.method.toLowerCase()} ${schemaPath}`;
      called.set(key, [...(called.get(key) ?? []), response.status]);
      const body = response.headers.get('content-type')?.startsWith('application/json') ? await response.clone().text() : '';
      const wrong = checker.check(request.method, new URL(request.url).pathname, response.status, response.headers.get('content-type') ?? undefined, body);
      t.notOk(wrong, `${request.method} ${schemaPath} → ${response.status} as documented`, { wrong });
      return undefined;
    },
  };
  return { middleware, called };
}

/**
 * Calls each operation nobody called yet with an empty body, and for `{id}` the
 * record made above under the longest matching path prefix (a stand-in id where
 * there is none): each answer must be one the document lists.
 */
async function sweep(
  client: { request: (...a: any[]) => Promise<{ response: Response }> },
  doc: Record<string, any>,
  called: Map<string, number[]>,
  opts: { ids?: Record<string, string | number>; params?: Record<string, string | number>; only?: (path: string) => boolean } = {},
) {
  const ids = opts.ids ?? {};
  const idFor = (path: string) => Object.keys(ids).filter((prefix) => path.startsWith(`${prefix}/{id}`)).sort((a, b) => b.length - a.length)[0];
  const value = (path: string, name: string) => (name === 'id' && idFor(path) ? ids[idFor(path)!]! : (opts.params?.[name] ?? standIn(name)));
  for (const { method, path, op } of operations(doc)) {
    if (called.has(`${method} ${path}`) || (opts.only && !opts.only(path))) continue;
    const pathParams = Object.fromEntries([...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => [name, value(path, name!)]));
    // Unparsed: a stream (the live view) is not read, only its status and type matter here.
    const init: Record<string, unknown> = { params: { path: pathParams }, parseAs: 'stream' };
    if (op.requestBody?.content['application/json']) init.body = {};
    if (op.requestBody?.content['multipart/form-data']) {
      init.body = {};
      init.bodySerializer = () => new FormData();
    }
    const { response } = await client.request(method, path, init);
    if (response.body && !response.body.locked) await response.body.cancel();
  }
}

/** An id no record has: the route answers its documented 404 (or 400). */
function standIn(name: string): string | number {
  if (name === 'code' || name === 'service_code') return 'no_such_code';
  if (name === 'key') return 'no-such-key';
  if (name === 'entryId') return 'no-such-entry';
  if (/^(cameraId|sessionId|tokenId|villageId)$/.test(name)) return 999_999;
  return name === 'id' ? '01ARZ3NDEKTSV4RRFFQ69G5FAV' : 999_999;
}

function checkDocument(t: Test, name: string, doc: Record<string, any>) {
  const ids = new Set<string>();
  for (const { method, path, op } of operations(doc)) {
    const what = `${name}: ${method.toUpperCase()} ${path}`;
    t.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]*$/, `${what} has a camelCase operationId`);
    t.notOk(ids.has(op.operationId!), `${what}: operationId ${op.operationId} is unique`);
    ids.add(op.operationId!);
    const success = Object.entries(op.responses ?? {}).filter(([s]) => s.startsWith('2'));
    t.ok(success.length > 0, `${what} documents its success reply`);
    for (const [status, r] of success) t.ok(status === '204' || r.content, `${what} ${status} documents its content`);
  }
  t.ok(ids.size > 0);
}

function checkGenerated(t: Test, name: string, types: string) {
  t.equal(types, readFileSync(join(GENERATED, `${name}.d.ts`), 'utf8'), `generated/${name}.d.ts is what ${name} serves (run npm run openapi:generate)`);
}

const coverage = (t: Test, name: string, doc: Record<string, any>, called: Map<string, number[]>) => {
  const missed = operations(doc).filter(({ method, path }) => !called.has(`${method} ${path}`)).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
  t.same(missed, [], `${name}: every operation was called through the generated client`);
  const succeeded = [...called.values()].filter((statuses) => statuses.some((s) => s < 300)).length;
  t.comment(`${name}: ${called.size} operations called, ${succeeded} of them with a success reply`);
};

t.test('edge: every operation documented, the client types current, every operation called through a generated client', async (t) => {
  const edge: Running = await startEdge();
  t.teardown(() => edge.stop());
  checkDocument(t, 'edge', edge.doc);
  checkGenerated(t, 'edge', await typesOf(edge.doc));

  const { middleware, called } = recorder(t, edge.doc);
  const anon = createClient<EdgePaths>({ baseUrl: edge.url });
  anon.use(middleware);

  // Sign in, then work with an API token as a third-party program would.
  const login = await anon.POST('/api/auth/login', { body: ADMIN });
  t.equal(login.response.status, 200);
  t.equal(login.data?.user.role, 'admin');
  const session = login.response.headers.get('set-cookie')!.split(';')[0]!;
  const viaCookie = createClient<EdgePaths>({ baseUrl: edge.url, headers: { cookie: session } });
  viaCookie.use(middleware);
  const created = await viaCookie.POST('/api/tokens', { body: { name: 'openapi contract' } });
  t.equal(created.response.status, 201);
  const api = createClient<EdgePaths>({ baseUrl: edge.url, headers: { authorization: `Bearer ${created.data!.token}` } });
  api.use(middleware);

  const me = await api.GET('/api/auth/me');
  t.equal(me.data?.via, 'token');
  t.equal((await api.GET('/api/tokens')).data?.tokens[0]?.name, 'openapi contract');

  // A photo through the documented multipart body, then a ticket with it, worked through to resolved.
  const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3a6' } }).jpeg().toBuffer();
  const upload = await api.POST('/api/media', {
    body: { file: 'photo.jpg' },
    bodySerializer: () => {
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
      return form;
    },
  });
  t.equal(upload.response.status, 201);
  const mediaId = upload.data!.media.id;
  t.equal((await api.GET('/api/media/{id}/meta', { params: { path: { id: mediaId } } })).data?.media.width, 32);
  const file = await api.GET('/api/media/{id}', { params: { path: { id: mediaId } }, parseAs: 'arrayBuffer' });
  t.equal(file.response.headers.get('content-type'), 'image/jpeg');

  const categories = (await api.GET('/api/ticket-categories')).data!.categories;
  t.ok(categories.length > 0);
  const ticket = await api.POST('/api/tickets', { body: { category: categories[0]!.id, description: '路灯不亮', place: '东口', photos: [mediaId] } });
  t.equal(ticket.response.status, 201);
  const ticketId = ticket.data!.ticket.id;
  const users = (await api.GET('/api/users')).data!.users;
  const admin = users.find((u) => u.username === ADMIN.username)!;
  await api.POST('/api/tickets/{id}/assign', { params: { path: { id: ticketId } }, body: { assignee: ADMIN.username } });
  await api.POST('/api/tickets/{id}/start', { params: { path: { id: ticketId } }, body: {} });
  await api.POST('/api/tickets/{id}/comments', { params: { path: { id: ticketId } }, body: { text: '已派人' } });
  const resolved = await api.POST('/api/tickets/{id}/resolve', { params: { path: { id: ticketId } }, body: { note: '换了灯泡' } });
  t.equal(resolved.data?.ticket.status, 'resolved');
  t.equal((await api.GET('/api/tickets/{id}', { params: { path: { id: ticketId } } })).data?.ticket.breached, false);
  t.ok((await api.GET('/api/tickets/{id}/history', { params: { path: { id: ticketId } } })).data!.history.length >= 4);
  t.equal((await api.GET('/api/tickets', { params: { query: { status: 'resolved' } } })).data?.tickets.length, 1);
  const open311 = await anon.GET('/open311/v2/services.json');
  t.ok(open311.data!.length > 0);
  t.equal((await api.GET('/open311/v2/requests/{id}.json', { params: { path: { id: ticketId } } })).data?.[0]?.status, 'closed');
  // GeoReport clients post form fields.
  const form311 = await api.POST('/open311/v2/requests.json', {
    body: { service_code: categories[0]!.id, description: '桥栏杆断了', address_string: '西口' },
    bodySerializer: (b) => new URLSearchParams(b as unknown as Record<string, string>).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(form311.response.status, 201);
  t.match(form311.data?.[0]?.service_request_id, /^[0-9A-Z]{26}$/);

  // Accounts and the audit trail.
  const clerk = await api.POST('/api/users', { body: { username: 'clerk1', password: 'Openapi-Clerk-42', role: 'cadre' } });
  t.equal(clerk.response.status, 201);
  t.equal((await api.GET('/api/users/{id}', { params: { path: { id: clerk.data!.user.id } } })).data?.user.cameras, null);
  t.equal((await api.GET('/api/users/{id}/sessions', { params: { path: { id: admin.id } } })).data?.sessions.length, 1);
  t.ok((await api.GET('/api/audit')).data!.entries.length > 0);
  t.equal((await api.GET('/api/audit/verify')).data?.ok, true);
  const csv = await api.GET('/api/audit/export', { parseAs: 'text' });
  t.match(csv.response.headers.get('content-type'), /^text\/csv/);

  // Announcements: a draft by one, published by another reviewer.
  const draft = await api.POST('/api/announcements', { body: { category: 'village', title: '停水通知', body: '明天上午停水。' } });
  t.equal(draft.response.status, 201);
  await api.POST('/api/announcements/{id}/submit', { params: { path: { id: draft.data!.announcement.id } }, body: {} });
  t.equal((await api.GET('/api/announcements')).data?.announcements.length, 1);

  // Residents, help, certificates, party: the records the phone API shares.
  const resident = await api.POST('/api/residents', { body: { name: '王大爷', elderly: true } });
  t.equal(resident.response.status, 201);
  t.equal((await api.GET('/api/residents/stats')).data?.elderly, 1);
  const help = await api.POST('/api/help-requests', { body: { type: (await api.GET('/api/help-types')).data!.types[0]!.id, residentId: resident.data!.resident.id } });
  t.equal(help.data?.request.residentName, '王大爷');
  const cert = await api.POST('/api/certificates', { body: { type: (await api.GET('/api/certificate-types')).data!.types[0]!.id, residentId: resident.data!.resident.id, purpose: '办理社保' } });
  t.equal(cert.response.status, 201);
  const member = await api.POST('/api/party/members', { body: { name: '李党员', branch: '第一支部' } });
  t.equal(member.response.status, 201);
  t.equal((await api.GET('/api/party/members/{id}/points', { params: { path: { id: member.data!.member.id } } })).data?.total, 0);
  t.ok((await api.GET('/api/party/ranking', { params: { query: { period: 'all' } } })).data!.ranking.length >= 1);

  // Video: the camera list and an evidence hold (no footage needed for either).
  const cameras = (await api.GET('/api/cameras')).data!.cameras;
  t.equal(cameras.length, 1);
  const hold = await api.POST('/api/holds', { body: { cameraId: cameras[0]!.id, from: String(Date.now() - 3_600_000), to: String(Date.now() - 60_000), reason: '纠纷取证' } });
  t.equal(hold.response.status, 201);
  t.equal((await api.GET('/api/holds')).data?.holds.length, 1);
  t.equal((await anon.GET('/api/health')).response.status, 200);
  t.match((await anon.GET('/metrics', { parseAs: 'text' })).data, /cunbox_/);

  // Everything else: stand-in ids and empty bodies; each answer must still be one the document lists.
  await sweep(api, edge.doc, called, {
    ids: {
    '/api/tickets': ticketId,
    '/api/media': mediaId,
    '/api/users': clerk.data!.user.id,
    '/api/announcements': draft.data!.announcement.id,
    '/api/residents': resident.data!.resident.id,
    '/api/help-requests': help.data!.request.id,
    '/api/certificates': cert.data!.certificate.id,
    '/api/party/members': member.data!.member.id,
    '/api/holds': hold.data!.hold.id,
    },
  });
  coverage(t, 'edge', edge.doc, called);
});

t.test('cloud: every operation documented, the client types current, every operation called through a generated client', async (t) => {
  const cloud = await startCloud();
  t.teardown(() => cloud.stop());
  checkDocument(t, 'cloud', cloud.doc);
  const ui = await fetch(`${cloud.url}/docs/`);
  t.equal(ui.status, 200, 'the cloud serves the browsable /docs');
  t.match(await ui.text(), /swagger/i);
  checkGenerated(t, 'cloud', await typesOf(cloud.doc));

  const { middleware, called } = recorder(t, cloud.doc);
  const operator = createClient<CloudPaths>({ baseUrl: cloud.url, headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  operator.use(middleware);
  const anon = createClient<CloudPaths>({ baseUrl: cloud.url });
  anon.use(middleware);

  const village = await operator.POST('/api/villages', { body: { name: '东村' } });
  t.equal(village.response.status, 201);
  const villageId = village.data!.id;
  const code = await operator.POST('/api/villages/{id}/pair-codes', { params: { path: { id: villageId } } });
  t.equal(code.response.status, 201);
  const paired = await anon.POST('/api/pair', { body: { code: code.data!.code } });
  t.equal(paired.data?.villageId, villageId);
  const edge = createClient<CloudPaths>({ baseUrl: cloud.url, headers: { authorization: `Basic ${Buffer.from(`${paired.data!.username}:${paired.data!.password}`).toString('base64')}` } });
  edge.use(middleware);
  const claim = await edge.POST('/api/media/claims', { body: { sha256: 'a'.repeat(64), size: 10, kind: 'photo', ref: 'ticket-1' } });
  t.equal(claim.data?.stored, false, 'a file never uploaded is not stored');

  const ticket = await operator.POST('/api/villages/{id}/tickets', { params: { path: { id: villageId } }, body: { category: 'garbage', description: '垃圾满了', place: '村口' } });
  t.equal(ticket.response.status, 201);
  t.equal((await operator.GET('/api/villages/{id}/tickets', { params: { path: { id: villageId } } })).data?.tickets.length, 1);
  t.equal((await anon.GET('/healthz')).response.status, 200);
  t.match((await operator.GET('/metrics', { parseAs: 'text' })).data, /cunbox_/);

  // The phone API, for an account as the paired edge syncs it (the store takes the edge's snapshot, as sync does).
  const wrong = await anon.POST('/api/v1/villages/{villageId}/login', { params: { path: { villageId } }, body: { username: 'nobody', password: 'wrong-password' } });
  t.equal(wrong.response.status, 401);
  t.equal(wrong.error?.error.code, 'UNAUTHENTICATED');
  const passwordHash = await hashPassword(PHONE_USER.password);
  cloud.cloud.store.accounts.putUsers(villageId, paired.data!.edgeId, { v: 1, version: '1', at: Date.now(), users: [{ username: PHONE_USER.username, displayName: '张主任', role: 'admin', passwordHash, disabled: false, cameras: null }] });
  const login = await anon.POST('/api/v1/villages/{villageId}/login', { params: { path: { villageId } }, body: PHONE_USER });
  t.equal(login.response.status, 200);
  t.equal(login.data?.user.villageId, villageId);
  const phone = createClient<CloudPaths>({ baseUrl: cloud.url, headers: { authorization: `Bearer ${login.data!.token}` } });
  phone.use(middleware);
  const inVillage = { villageId };
  t.equal((await phone.GET('/api/v1/villages/{villageId}/me', { params: { path: inVillage } })).data?.user.username, PHONE_USER.username);
  const category = (await phone.GET('/api/v1/villages/{villageId}/ticket-categories', { params: { path: inVillage } })).data!.categories[0]!.id;
  const reported = await phone.POST('/api/v1/villages/{villageId}/tickets', { params: { path: inVillage }, body: { category, description: '井盖松了', place: '小学门口' } });
  t.equal(reported.response.status, 201);
  const id = reported.data!.ticket.id;
  const assignees = (await phone.GET('/api/v1/villages/{villageId}/ticket-assignees', { params: { path: inVillage } })).data!.assignees;
  t.ok(assignees.some((a) => a.username === PHONE_USER.username), 'the dispatcher may assign to themselves');
  await phone.POST('/api/v1/villages/{villageId}/tickets/{id}/assign', { params: { path: { ...inVillage, id } }, body: { assignee: PHONE_USER.username } });
  await phone.POST('/api/v1/villages/{villageId}/tickets/{id}/start', { params: { path: { ...inVillage, id } }, body: {} });
  const done = await phone.POST('/api/v1/villages/{villageId}/tickets/{id}/resolve', { params: { path: { ...inVillage, id } }, body: { note: '已修好' } });
  t.equal(done.data?.ticket.status, 'resolved');
  t.equal((await phone.GET('/api/v1/villages/{villageId}/tickets', { params: { path: inVillage } })).data?.tickets.length, 2);
  t.ok((await phone.GET('/api/v1/villages/{villageId}/help-types', { params: { path: inVillage } })).data!.types.length > 0);
  t.ok((await phone.GET('/api/v1/villages/{villageId}/certificate-types', { params: { path: inVillage } })).data!.types.length > 0);
  t.same((await phone.GET('/api/v1/villages/{villageId}/events', { params: { path: inVillage } })).data?.events, []);
  t.equal((await phone.GET('/api/v1/villages/{villageId}/party/ranking', { params: { path: inVillage } })).data?.ranking.length, 0);

  await sweep(phone, cloud.doc, called, { ids: { [`/api/v1/villages/{villageId}/tickets`]: id }, params: inVillage, only: (p) => p.startsWith('/api/v1/') && !p.endsWith('/logout') });
  t.equal((await phone.POST('/api/v1/villages/{villageId}/logout', { params: { path: inVillage } })).response.status, 204);
  await sweep(operator, cloud.doc, called);
  coverage(t, 'cloud', cloud.doc, called);
});
