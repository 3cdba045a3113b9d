/**
 * Relayed pictures and clips, and event thumbnails, are kept a while only:
 * the real cloud's content store, filled by the edge's own relay uploader
 * (tus, content-addressed) and its media uploader (a ticket photo), pruned by
 * age, each kind by its own retention. A file a ticket also names stays;
 * newer files stay; nothing else is touched.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { MediaCloud, edgeMedia, openEdgeDb } from '@cunbox/test-support/media-rig';
import { parseCloudConfig } from '../src/config.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { readMediaStatus } from '../../edge/src/sync/media-queue.ts';
import { relayUploader } from '../../edge/src/sync/relay-upload.ts';

/** A random file and its SHA-256 (sizes differ a little so no two are alike by length either). */
function file(n: number): { data: Buffer; sha256: string } {
  const data = randomBytes(2000 + n);
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
}

/** The real cloud's media store with one paired village, and the edge's relay uploader to fill it. */
async function paired(t: Test, village: string) {
  const dir = t.testdir({});
  const rig = await MediaCloud.start(dir);
  t.teardown(() => rig.cloud.stop());
  const a = await rig.pair(village);
  const upload = relayUploader({ cloudUrl: rig.url, credentials: { edgeId: a.username, password: a.password } });
  const put = async (f: { data: Buffer; sha256: string }, kind: string, ref: string) => upload(f.data, { sha256: f.sha256, kind, ref, mime: kind === 'relay-clip' ? 'video/mp4' : 'image/jpeg' });
  const objectPath = (sha256: string) => join(dir, 'cloud', 'media', 'objects', sha256.slice(0, 2), sha256);
  return { dir, rig, a, put, objectPath };
}

t.test('relayed media older than the retention go, with their files; what a ticket names stays', async (t) => {
  const { dir, rig, a, put, objectPath } = await paired(t, '东村');

  const oldSnap = file(1);
  const oldClip = file(2);
  const shared = file(3);
  await put(oldSnap, 'relay-snapshot', `relay-${'1'.repeat(32)}`);
  await put(oldClip, 'relay-clip', `relay-${'2'.repeat(32)}`);
  await put(shared, 'relay-snapshot', `relay-${'3'.repeat(32)}`);
  // The same bytes as a relayed picture, attached to a ticket by the edge's media queue.
  const db = openEdgeDb(dir, 'edge');
  t.teardown(() => db.close());
  mkdirSync(join(dir, 'photos'), { recursive: true });
  const photoPath = join(dir, 'photos', 'p.jpg');
  writeFileSync(photoPath, shared.data);
  const e = edgeMedia(db, rig.url, a);
  e.queue.enqueue({ path: photoPath, sha256: shared.sha256, size: shared.data.length, kind: 'ticket-photo', ref: '01JDPHOTO0000000000000009', mime: 'image/jpeg' });
  e.uploader.start();
  await waitFor('the ticket photo claimed', () => readMediaStatus(db).mediaDone === 1 || undefined);
  await e.uploader.stop();

  // Everything above is older than the cut; one relayed picture after it.
  await new Promise((r) => setTimeout(r, 20));
  const cut = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  const fresh = file(4);
  await put(fresh, 'relay-snapshot', `relay-${'4'.repeat(32)}`);
  for (const f of [oldSnap, oldClip, shared, fresh]) t.ok(await rig.cloud.media.find(a.villageId, f.sha256), 'stored');

  const r = await rig.cloud.media.pruneRelayed(cut);
  t.same(r, { owners: 3, files: 2 }, 'three relay rows older than the cut; two files no one else names');
  for (const f of [oldSnap, oldClip]) {
    t.notOk(await rig.cloud.media.find(a.villageId, f.sha256), 'an old relayed file is gone from the index');
    t.notOk(existsSync(objectPath(f.sha256)), 'and from the disk');
    t.equal((await rig.media(a.villageId, f.sha256)).status, 404);
  }
  t.match(await rig.cloud.media.find(a.villageId, shared.sha256), { kind: 'ticket-photo' }, 'bytes a ticket names stay, under the ticket');
  t.ok(existsSync(objectPath(shared.sha256)));
  t.ok(await rig.cloud.media.find(a.villageId, fresh.sha256), 'a newer relayed picture stays');
  t.ok(existsSync(objectPath(fresh.sha256)));
  t.same(await rig.cloud.media.pruneRelayed(cut), { owners: 0, files: 0 }, 'a second pass finds nothing');

  // Relayed again later: the bytes travel again and are served again.
  await put(oldSnap, 'relay-snapshot', `relay-${'5'.repeat(32)}`);
  t.equal((await rig.media(a.villageId, oldSnap.sha256)).status, 200, 'relayed again: stored again');
});

t.test('event thumbnails older than their retention go; relayed media and newer thumbnails stay', async (t) => {
  const { rig, a, put, objectPath } = await paired(t, '西村');

  const oldThumb = file(1);
  const relayed = file(2);
  await put(oldThumb, 'event-thumbnail', 'event-1');
  await put(relayed, 'relay-snapshot', `relay-${'6'.repeat(32)}`);
  await new Promise((r) => setTimeout(r, 20));
  const cut = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  const newThumb = file(3);
  await put(newThumb, 'event-thumbnail', 'event-2');

  t.same(await rig.cloud.media.pruneThumbnails(cut), { owners: 1, files: 1 }, 'the one thumbnail older than the cut');
  t.notOk(await rig.cloud.media.find(a.villageId, oldThumb.sha256), 'gone from the index');
  t.notOk(existsSync(objectPath(oldThumb.sha256)), 'and from the disk');
  t.equal((await rig.media(a.villageId, oldThumb.sha256)).status, 404);
  t.ok(await rig.cloud.media.find(a.villageId, relayed.sha256), 'a relayed picture follows its own retention, not this one');
  t.ok(await rig.cloud.media.find(a.villageId, newThumb.sha256), 'a newer thumbnail stays');
  t.ok(existsSync(objectPath(newThumb.sha256)));
  t.equal(rig.cloud.media.stats.thumbnailsPruned, 1);
});

t.test('media.thumbnail_retention_days in the config file', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'token'), 'x'.repeat(32));
  const file = join(dir, 'c.yaml');
  const base = 'data_dir: d\noperator_token_file: token\n';
  t.equal(parseCloudConfig(base, file).media, undefined, 'absent: the default (30 days)');
  t.same(parseCloudConfig(`${base}media:\n  thumbnail_retention_days: 90\n`, file).media, { thumbnailRetentionDays: 90 });
  t.throws(() => parseCloudConfig(`${base}media:\n  thumbnail_retention_days: 0\n`, file), /thumbnail_retention_days/, 'at least a day');
  t.throws(() => parseCloudConfig(`${base}media:\n  keep: 3\n`, file), /additional properties/, 'an unknown key is refused');
});
