import t from 'tap';
import sharp from 'sharp';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { apiHarness, upload, type Client } from './helpers/api.ts';

/** A real camera-sized JPEG with EXIF: copyright in IFD0 and a GPS position. */
async function phonePhoto(width = 4000, height = 3000): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 120, g: 140, b: 90 } } })
    .withExif({ IFD0: { Copyright: 'Zhang San', Model: 'PhoneCam 9' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '36/1 5/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '120/1 22/1 0/1' } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

const countOps = (db: { prepare: (s: string) => { get: () => unknown } }) => (db.prepare('SELECT count(*) AS n FROM gov_ops').get() as { n: number }).n;

t.test('photos: checked by content, metadata and GPS stripped, resized; fakes and oversize refused', async (t) => {
  const h = await apiHarness(t);
  const input = await phonePhoto();
  const inMeta = await sharp(input).metadata();
  t.ok(inMeta.exif?.includes(Buffer.from([0x25, 0x88])), 'the test photo carries a GPS IFD');
  const up = await upload(h.as.villager, input);
  t.equal(up.status, 201);
  t.match(up.body.media, { kind: 'image', mime: 'image/jpeg', width: 2048, height: 1536 });
  const stored = await h.as.viewer.get(`/api/media/${up.body.media.id}`);
  t.equal(stored.status, 200);
  t.equal(stored.headers['content-type'], 'image/jpeg');
  const outMeta = await sharp(stored.raw).metadata();
  t.equal(outMeta.exif, undefined, 'no EXIF (no GPS, no camera model)');
  t.equal(outMeta.xmp, undefined);
  t.same([outMeta.width, outMeta.height], [2048, 1536]);

  const before = readdirSync(join(h.dir, 'governance', 'media'), { recursive: true }).length;
  const fake = Buffer.from('GIF89a? no: <script>alert(1)</script> pretending to be a JPEG');
  t.match(await upload(h.as.villager, fake, 'photo.jpg', 'image/jpeg'), { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
  const truncated = input.subarray(0, 2000);
  t.match(await upload(h.as.villager, truncated), { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } }, 'a truncated JPEG is not an image either');
  const huge = Buffer.concat([input, Buffer.alloc(11 * 1024 * 1024)]);
  t.match(await upload(h.as.villager, huge), { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  t.match(await h.as.villager.post('/api/media', { file: 'x' }), { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
  t.equal((await upload(h.as.viewer, input)).status, 403, 'viewers upload nothing');
  t.equal((h.db.prepare('SELECT count(*) AS n FROM gov_media').get() as { n: number }).n, 1, 'only the good photo is stored');
  t.equal(readdirSync(join(h.dir, 'governance', 'media'), { recursive: true }).length, before, 'no stray files');
});

t.test('随手拍 end to end: report, dispatch, work, resolve, confirm, reopen, comments, history', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['worker2', 'grid_worker']] });
  const photo = (await upload(h.as.villager, await phonePhoto(800, 600))).body.media.id as string;
  const created = await h.as.villager.post('/api/tickets', { category: 'garbage', description: '村口桥下有人倾倒建筑垃圾', lat: 36.083, lng: 120.367, place: '村口桥', photos: [photo] });
  t.equal(created.status, 201);
  const ticket = created.body.ticket;
  const start = h.clock.now();
  t.match(ticket, { status: 'submitted', category: 'garbage', categoryName: '垃圾倾倒', slaMinutes: 30, deadline: start + 30 * 60_000, reporter: 'villager', photos: [photo], breached: false, open311Status: 'open' });
  const id = ticket.id as string;

  t.equal((await h.as.villager.post(`/api/tickets/${id}/assign`, { assignee: 'grid_worker' })).status, 403, 'villagers do not dispatch');
  t.match(await h.as.cadre.post(`/api/tickets/${id}/assign`, { assignee: 'viewer' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'only workers can be assigned');
  t.match(await h.as.cadre.post(`/api/tickets/${id}/assign`, { assignee: 'grid_worker', note: '请尽快处理' }), { status: 200, body: { ticket: { status: 'assigned', assignee: 'grid_worker' } } });
  await h.advance(10 * 60_000);
  t.match(await h.login('worker2').then((w) => w.post(`/api/tickets/${id}/start`)), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, 'another grid worker cannot take it');
  t.match(await h.as.grid_worker.post(`/api/tickets/${id}/start`, {}), { status: 200, body: { ticket: { status: 'in_progress', slaStoppedAt: start + 10 * 60_000, breached: false } } });
  t.match(await h.as.villager.post(`/api/tickets/${id}/confirm`), { status: 409, body: { error: { code: 'INVALID_TRANSITION' } } }, 'nothing to confirm before it is resolved');
  t.equal((await h.as.grid_worker.post(`/api/tickets/${id}/comments`, { text: '已到现场，联系清运车' })).status, 201);
  t.match(await h.as.grid_worker.post(`/api/tickets/${id}/resolve`, { note: '已清理完毕' }), { body: { ticket: { status: 'resolved', open311Status: 'closed' } } });
  t.equal((await h.as.party_member.post(`/api/tickets/${id}/confirm`)).status, 403, 'only the reporter confirms');
  t.match(await h.as.villager.post(`/api/tickets/${id}/confirm`, { note: '满意' }), { body: { ticket: { status: 'closed' } } });
  await h.advance(3600_000);
  const reopened = await h.as.villager.post(`/api/tickets/${id}/reopen`, { reason: '又有人倒了' });
  t.match(reopened.body.ticket, { status: 'reopened', reopenCount: 1, slaStoppedAt: null, deadline: h.clock.now() + 30 * 60_000 });
  t.equal((await h.as.villager.post(`/api/tickets/${id}/comments`, { text: '照片见上' })).status, 201);

  const got = (await h.as.viewer.get(`/api/tickets/${id}`)).body.ticket;
  t.equal(got.reporter, null, 'viewers do not see who reported');
  t.same(got.comments.map((c: { author: string; text: string }) => [c.author, c.text]), [['grid_worker', '已到现场，联系清运车'], ['villager', '照片见上']]);
  const history = (await h.as.cadre.get(`/api/tickets/${id}/history`)).body.history as Array<{ actor: string; type: string; payload: { to?: string } }>;
  t.same(
    history.map((o) => [o.actor, o.type, o.payload.to ?? null]),
    [
      ['villager', 'ticket.created', null],
      ['cadre', 'ticket.status', 'assigned'],
      ['grid_worker', 'ticket.status', 'in_progress'],
      ['grid_worker', 'ticket.comment', null],
      ['grid_worker', 'ticket.status', 'resolved'],
      ['villager', 'ticket.status', 'closed'],
      ['villager', 'ticket.status', 'reopened'],
      ['villager', 'ticket.comment', null],
    ],
  );
  const viewerHistory = (await h.as.viewer.get(`/api/tickets/${id}/history`)).body.history;
  t.equal(viewerHistory[0].actor, null);
  t.equal(viewerHistory[0].payload.reporter, null);

  const mine = (await h.as.villager.get('/api/tickets?mine=true')).body.tickets;
  t.same(mine.map((x: { id: string }) => x.id), [id]);
  t.same((await h.as.villager.get('/api/tickets?status=closed')).body.tickets, []);

  // A duplicate and a rejection.
  const dup = (await h.as.party_member.post('/api/tickets', { category: 'garbage', description: '桥下垃圾', place: '村口桥' })).body.ticket;
  t.match(await h.as.cadre.post(`/api/tickets/${dup.id}/duplicate`, { duplicateOf: id }), { body: { ticket: { status: 'duplicate', duplicateOf: id } } });
  const bogus = (await h.as.party_member.post('/api/tickets', { category: 'dispute', description: '测试', place: '二组' })).body.ticket;
  t.match(await h.as.cadre.post(`/api/tickets/${bogus.id}/reject`, { reason: '测试数据' }), { body: { ticket: { status: 'rejected', statusNote: '测试数据' } } });
  t.equal((await h.as.grid_worker.post(`/api/tickets/${bogus.id}/reject`, { reason: 'x' })).status, 403, 'grid workers do not reject');
});

t.test('anonymous reports are really anonymous', async (t) => {
  const h = await apiHarness(t);
  const r = await h.as.villager.post('/api/tickets', { category: 'fireworks', description: '有人在麦场放烟花', place: '麦场', anonymous: true });
  t.match(r.body.ticket, { reporter: null, anonymous: true });
  const id = r.body.ticket.id;
  const history = (await h.as.admin.get(`/api/tickets/${id}/history`)).body.history;
  t.match(history[0], { actor: 'anonymous', payload: { reporter: null } });
  t.notMatch(JSON.stringify(h.db.prepare('SELECT * FROM gov_ops').all()), /"villager"/, 'not in the op log either');
  t.same((await h.as.villager.get('/api/tickets?mine=true')).body.tickets, []);
});

t.test('SLA: breach and escalation under an injected clock', async (t) => {
  const h = await apiHarness(t);
  const late = (await h.as.villager.post('/api/tickets', { category: 'parking', description: '货车堵住了巷子', place: '东巷' })).body.ticket;
  const prompt = (await h.as.villager.post('/api/tickets', { category: 'parking', description: '三轮车挡路', place: '西巷' })).body.ticket;
  const slow = (await h.as.villager.post('/api/tickets', { category: 'facility', description: '路灯坏了', place: '北街' })).body.ticket;
  await h.as.cadre.post(`/api/tickets/${prompt.id}/assign`, { assignee: 'grid_worker' });
  await h.advance(20 * 60_000);
  await h.as.grid_worker.post(`/api/tickets/${prompt.id}/start`);
  t.same((await h.as.cadre.get('/api/tickets?breached=true')).body.tickets, []);
  await h.advance(11 * 60_000); // 31 minutes after submission
  const breached = (await h.as.cadre.get('/api/tickets?breached=true')).body.tickets;
  t.same(breached.map((x: { id: string }) => x.id), [late.id], 'only the untouched 30-minute ticket');
  t.match((await h.as.cadre.get(`/api/tickets/${late.id}`)).body.ticket, { breached: true, escalations: [{ id: '0:1', level: 1, by: 'system' }] });
  t.match(h.escalations, [{ ticketId: late.id, level: 1, category: 'parking' }]);
  await h.advance(30 * 60_000); // twice the SLA
  t.match((await h.as.cadre.get(`/api/tickets/${late.id}`)).body.ticket.escalations, [{ level: 1 }, { id: '0:2', level: 2 }]);
  t.equal(h.escalations.length, 2, 'each level once');
  t.match((await h.as.cadre.get(`/api/tickets/${slow.id}`)).body.ticket, { breached: false, escalations: [] }, 'a 4-hour category is not breached at 61 minutes');
  t.match((await h.as.cadre.get(`/api/tickets/${prompt.id}`)).body.ticket, { breached: false, escalations: [] });
  // Changing the category's SLA applies to new tickets.
  t.equal((await h.as.cadre.put('/api/ticket-categories/parking', { slaMinutes: 15 })).status, 200);
  const newer = (await h.as.villager.post('/api/tickets', { category: 'parking', description: '又堵了', place: '东巷' })).body.ticket;
  t.equal(newer.deadline, h.clock.now() + 15 * 60_000);
  t.equal((await h.as.cadre.get(`/api/tickets/${late.id}`)).body.ticket.slaMinutes, 30);
});

t.test('footage links put an evidence hold on the ring buffer', async (t) => {
  const h = await apiHarness(t);
  const cam = h.cameras.add({ name: '路口卡口-东口', mainUrl: 'rtsp://192.0.2.10/main' });
  const id = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: '夜里有车倾倒', place: '东口' })).body.ticket.id;
  const startMs = h.clock.now() - 3600_000;
  const endMs = startMs + 15 * 60_000;
  t.equal((await h.as.villager.post(`/api/tickets/${id}/footage`, { cameraId: cam.id, startMs, endMs })).status, 403);
  t.match(await h.as.cadre.post(`/api/tickets/${id}/footage`, { cameraId: 999, startMs, endMs }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.match(await h.as.cadre.post(`/api/tickets/${id}/footage`, { cameraId: cam.id, startMs: endMs, endMs: startMs }), { status: 400 });
  const r = await h.as.technician.post(`/api/tickets/${id}/footage`, { cameraId: cam.id, startMs, endMs });
  t.equal(r.status, 201);
  t.match(r.body.ticket.footage, [{ cameraId: cam.id, startMs, endMs, by: 'technician' }]);
  t.match(h.holds.list(), [{ cameraId: cam.id, startMs, endMs, reason: `ticket ${id}`, createdBy: 'technician', releasedAt: null }]);
  // The same link arriving again (e.g. back from the cloud) makes no second hold.
  h.governance.store.refoldAll();
  t.equal(h.holds.list().length, 1);
});

t.test('Open311 GeoReport v2 view', async (t) => {
  const h = await apiHarness(t);
  const services = await h.anon.get('/open311/v2/services.json');
  t.equal(services.status, 200);
  t.match(services.body.find((s: { service_code: string }) => s.service_code === 'garbage'), { service_name: '垃圾倾倒', type: 'realtime', metadata: false });
  t.match(await h.anon.get('/open311/v2/services/garbage.json'), { status: 200, body: { service_code: 'garbage', attributes: [] } });
  t.equal((await h.anon.get('/open311/v2/services/nope.json')).status, 404);

  const key = (await h.as.villager.post('/api/tokens', { name: 'open311 app' })).body.token as string;
  const form = new URLSearchParams({ api_key: key, service_code: 'facility', lat: '36.0831', long: '120.3672', address_string: '村委会门口', description: '井盖缺失', email: 'someone@example.com' });
  const posted = await h.anon.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(posted.status, 201, JSON.stringify(posted.body));
  const srid = posted.body[0].service_request_id as string;
  t.match(posted.body, [{ service_request_id: /^[0-9A-Z]{26}$/, account_id: null }]);
  t.notMatch(JSON.stringify(h.db.prepare('SELECT * FROM gov_ops').all()), /someone@example\.com/, 'personal fields are not stored');

  const noKey = await h.anon.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: new URLSearchParams({ service_code: 'facility', description: 'x' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  // GeoReport answers a missing api_key on a POST with 403, in its own error shape.
  t.match(noKey, { status: 403, body: [{ code: 403, description: /api_key/ }] });
  const viewerKey = (await h.as.viewer.post('/api/tokens', { name: 'v' })).body.token as string;
  t.equal((await h.anon.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: new URLSearchParams({ api_key: viewerKey, service_code: 'facility', description: 'x' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 403);

  t.equal((await h.anon.get('/open311/v2/requests.json')).status, 401, 'reading requests needs an account');
  const one = await h.anon.get(`/open311/v2/requests/${srid}.json?api_key=${key}`);
  t.match(one.body, [
    { service_request_id: srid, status: 'open', service_code: 'facility', service_name: '设施损坏', description: '井盖缺失', address: '村委会门口', lat: 36.0831, long: 120.3672, requested_datetime: /^2026-05-11T09:00:00\+08:00$/, expected_datetime: /^2026-05-11T13:00:00\+08:00$/ },
  ]);
  await h.as.cadre.post(`/api/tickets/${srid}/assign`, { assignee: 'grid_worker' });
  await h.as.grid_worker.post(`/api/tickets/${srid}/resolve`, { note: '已补井盖' });
  const list = await h.as.cadre.get('/open311/v2/requests.json?status=closed');
  t.match(list.body, [{ service_request_id: srid, status: 'closed', status_notes: '已补井盖' }]);
  t.same((await h.as.cadre.get('/open311/v2/requests.json?status=open')).body, []);
  t.same((await h.as.cadre.get('/open311/v2/requests.json?start_date=2026-06-01T00:00:00%2B08:00')).body, [], 'date filter');
  t.equal((await h.as.cadre.get('/open311/v2/requests.json?status=pending')).status, 400);
});

t.test('role denials and bad input change nothing', async (t) => {
  const h = await apiHarness(t);
  const id = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: 'x', place: 'y' })).body.ticket.id;
  const opsBefore = countOps(h.db);
  const denied: Array<[Client, string, unknown]> = [
    [h.as.viewer, '/api/tickets', { category: 'garbage', description: 'x', place: 'y' }],
    [h.as.technician, '/api/tickets', { category: 'garbage', description: 'x', place: 'y' }],
    [h.as.villager, `/api/tickets/${id}/assign`, { assignee: 'grid_worker' }],
    [h.as.party_member, `/api/tickets/${id}/reject`, { reason: 'x' }],
    [h.as.villager, `/api/tickets/${id}/start`, {}],
    [h.as.party_secretary, `/api/tickets/${id}/review`, {}],
    [h.as.viewer, `/api/tickets/${id}/comments`, { text: 'x' }],
  ];
  for (const [c, url, body] of denied) t.match(await c.post(url, body), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, `${c.username} POST ${url}`);
  t.equal((await h.as.grid_worker.put('/api/ticket-categories/garbage', { slaMinutes: 5 })).status, 403);
  t.equal((await h.anon.get('/api/tickets')).status, 401);

  const bad: Array<[string, unknown, string]> = [
    ['/api/tickets', { category: "garbage' OR 1=1 --", description: 'x', place: 'y' }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'nonexistent', description: 'x', place: 'y' }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x' }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x', lat: 36 }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x', lat: 91, lng: 0 }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x', place: 'y', photos: ['01HZZZZZZZZZZZZZZZZZZZZZZZ'] }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x'.repeat(4001), place: 'y' }, 'INVALID_INPUT'],
    ['/api/tickets', { category: 'garbage', description: 'x', place: 'y', reporter: 'admin' }, 'INVALID_INPUT'],
    [`/api/tickets/${id}/comments`, { text: '' }, 'INVALID_INPUT'],
    [`/api/tickets/1' OR '1'='1/comments`, { text: 'x' }, 'INVALID_INPUT'],
  ];
  for (const [url, body, code] of bad) t.match(await h.as.villager.post(url, body), { status: 400, body: { error: { code } } }, `${url} ${JSON.stringify(body).slice(0, 60)}`);
  t.match(await h.as.villager.inject({ method: 'POST', url: '/api/tickets', payload: '{"category": garbage}', headers: { 'content-type': 'application/json' } }), { status: 400, body: { error: { code: 'MALFORMED_REQUEST' } } });
  t.match(await h.as.cadre.post('/api/tickets/01HZZZZZZZZZZZZZZZZZZZZZZZ/assign', { assignee: 'grid_worker' }), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.equal(countOps(h.db), opsBefore, 'no op was written');

  // SQL-looking text where free text is allowed is stored as text, nothing more.
  const sqlish = "'; DROP TABLE gov_ops; --";
  const r = await h.as.villager.post('/api/tickets', { category: 'garbage', description: sqlish, place: 'y' });
  t.equal(r.status, 201);
  t.equal((await h.as.villager.get(`/api/tickets/${r.body.ticket.id}`)).body.ticket.description, sqlish);
  t.equal(countOps(h.db), opsBefore + 1);
});

t.test('concurrent status changes from the cloud are merged and flagged for review', async (t) => {
  const h = await apiHarness(t);
  const id = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: 'x', place: 'y' })).body.ticket.id;
  await h.as.cadre.post(`/api/tickets/${id}/assign`, { assignee: 'grid_worker' });
  // Offline, the cloud rejects the ticket while the edge's worker starts it.
  const [assignOp] = h.governance.store.history('ticket', id).slice(-1);
  const cloud = '00000000000c1d00';
  const remoteHlc = assignOp!.hlc.replace(/-[0-9a-f]{4}-[0-9a-f]{16}$/, `-0005-${cloud}`);
  await h.advance(60_000);
  await h.as.grid_worker.post(`/api/tickets/${id}/start`);
  h.governance.store.ingest([{ id: `${cloud}.1`, origin: cloud, seq: 1, hlc: remoteHlc, actor: 'cloud-cadre', entityKind: 'ticket', entityId: id, type: 'ticket.status', payload: { from: 'assigned', to: 'rejected', note: '重复' } }]);
  const merged = (await h.as.cadre.get(`/api/tickets/${id}`)).body.ticket;
  // The cloud's change is older by HLC: it applies first, then the edge's start (from assigned) conflicts.
  t.match(merged, { status: 'rejected', needsReview: true, conflicts: [{ actor: 'grid_worker', expected: 'assigned', found: 'rejected', to: 'in_progress', applied: false }] });
  t.same((await h.as.cadre.get('/api/tickets?needsReview=true')).body.tickets.map((x: { id: string }) => x.id), [id]);
  t.equal((await h.as.grid_worker.post(`/api/tickets/${id}/review`)).status, 403);
  t.match(await h.as.cadre.post(`/api/tickets/${id}/review`), { body: { ticket: { needsReview: false, conflicts: [{ reviewedBy: 'cadre' }] } } });
  t.same(h.governance.store.verify(), []);
});
