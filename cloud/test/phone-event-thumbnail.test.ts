/**
 * An event's own thumbnail on the phone: the edge records a motion event naming
 * the JPEG of its peak and uploads that JPEG as media (kind event-thumbnail);
 * the phone reads it back through GET /events/{id}/thumbnail, within the
 * cameras it may see. A real cloud (embedded Aedes), a paired edge database
 * with the real EventStore, SyncClient, media queue and tus uploader.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_THUMBNAIL_KIND, type SyncAuditEntry } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { edgeMedia, randomFile } from '@cunbox/test-support/media-rig';
import { waitFor } from '@cunbox/test-support/wait';
import { tmpDir } from '@cunbox/test-support/tmp';
import { readMediaStatus } from '../../edge/src/sync/media-queue.ts';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './helpers/phone.ts';

const dir = tmpDir(t, 'cunbox-phone-thumb-');
const ACCOUNTS = [
  { username: 'wangfang', role: 'cadre' },
  { username: 'screen', role: 'viewer' },
  { username: 'zhangsan', role: 'villager' },
] as const;

let rig: BrokerRig;
let a: PairedVillage;
let edge: VillageEdge;
const tokens: Record<string, string> = {};
const as = (username: string, path: string) => http(rig, 'GET', `/api/v1/villages/${a.villageId}${path}`, { token: tokens[username] });

t.before(async () => {
  rig = await aedesRig(dir);
  a = await pairVillage(rig, '东村');
  edge = await startVillageEdge(t, dir, a, 'edge-a', [...ACCOUNTS]);
  edge.cameras.restrict(edge.users.getByUsername('screen')!.id, [2]);
  await waitFor('accounts at the cloud', async () => (await rig.cloud.data.accounts.user(a.villageId, 'screen'))?.cameras?.[0] === 2);
  for (const { username } of ACCOUNTS) {
    const r = await http(rig, 'POST', `/api/v1/villages/${a.villageId}/login`, { body: { username, password: passwordOf(username) } });
    tokens[username] = r.json.token;
  }
});
t.teardown(() => rig?.close());

t.test("a motion event's thumbnail: the uploaded bytes, to those who may see its camera", async (t) => {
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  const jpeg = randomFile(files, 'peak.jpg', 40 * 1024);
  const thumbnail = { sha256: jpeg.sha256, bytes: jpeg.size };
  const onCamera1 = edge.events.record(1, 'motion', { v: 1, source: 'video', zone: null, endMs: Date.now(), peakAtMs: Date.now(), score: 0.3, labels: [], thumbnail });
  const onvif = edge.events.record(1, 'motion', { v: 1, source: 'onvif', zone: null, endMs: Date.now(), peakAtMs: Date.now(), score: null, labels: [], thumbnail: null });
  const other = randomFile(files, 'other.jpg', 20 * 1024);
  const onCamera2 = edge.events.record(2, 'motion', { v: 1, source: 'video', zone: null, endMs: Date.now(), peakAtMs: Date.now(), score: 0.5, labels: [], thumbnail: { sha256: other.sha256, bytes: other.size } });
  await waitFor('events at the cloud', async () => (await rig.cloud.data.eventCount(a.edgeId)) >= 3);

  // The event is at the cloud before its picture: a clear 404 saying so.
  const early = await as('wangfang', `/events/${onCamera1}/thumbnail`);
  t.equal(early.status, 404);
  t.match(early.json.error.message, /not reached the cloud yet/);

  const up = edgeMedia(edge.db, `http://127.0.0.1:${rig.cloud.httpPort}`, a);
  up.queue.enqueue({ path: jpeg.path, sha256: jpeg.sha256, size: jpeg.size, kind: EVENT_THUMBNAIL_KIND, ref: `event-${onCamera1}`, mime: 'image/jpeg' });
  up.queue.enqueue({ path: other.path, sha256: other.sha256, size: other.size, kind: EVENT_THUMBNAIL_KIND, ref: `event-${onCamera2}`, mime: 'image/jpeg' });
  up.uploader.start();
  await waitFor('thumbnails uploaded', () => readMediaStatus(edge.db).mediaDone === 2);
  await up.uploader.stop();

  const auditBefore = await rig.cloud.data.audit.count(a.villageId);
  const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/v1/villages/${a.villageId}/events/${onCamera1}/thumbnail`, { headers: { authorization: `Bearer ${tokens.wangfang}` } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'image/jpeg');
  t.equal(res.headers.get('etag'), `"${jpeg.sha256}"`);
  t.ok(Buffer.from(await res.arrayBuffer()).equals(jpeg.data), 'the bytes served are the bytes the edge uploaded');
  t.equal(await rig.cloud.data.audit.count(a.villageId), auditBefore + 1, 'the read is audited');
  const entry = (await rig.cloud.data.audit.after(a.villageId, 0, 1000)).at(-1) as SyncAuditEntry;
  t.match(entry, { actor: 'wangfang', action: 'event.thumbnail', target: `event:${onCamera1}`, detail: { cameraId: 1, outcome: 'served', sha256: jpeg.sha256, via: 'phone' } });

  // Each event gets its own picture, not the camera's.
  const second = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/v1/villages/${a.villageId}/events/${onCamera2}/thumbnail`, { headers: { authorization: `Bearer ${tokens.screen}` } });
  t.equal(second.status, 200, 'a viewer restricted to camera 2 sees the thumbnail of an event of camera 2');
  t.ok(Buffer.from(await second.arrayBuffer()).equals(other.data));

  const hidden = await as('screen', `/events/${onCamera1}/thumbnail`);
  t.equal(hidden.status, 404, 'an event of a camera one may not see does not exist for them, as in the list');
  t.match(hidden.json.error.message, new RegExp(`no event ${onCamera1}`));
  const none = await as('wangfang', `/events/${onvif}/thumbnail`);
  t.equal(none.status, 404);
  t.match(none.json.error.message, /has no thumbnail/, 'an ONVIF event never has one');
  t.equal((await as('wangfang', '/events/999999/thumbnail')).status, 404, 'an unknown event');
  t.equal((await as('zhangsan', `/events/${onCamera1}/thumbnail`)).status, 403, 'a villager has no video.view');
  t.equal((await as('wangfang', '/events/0/thumbnail')).status, 400, 'an id is a positive integer');
  t.equal((await http(rig, 'GET', `/api/v1/villages/${a.villageId}/events/${onCamera1}/thumbnail`)).status, 401, 'no token');
});
