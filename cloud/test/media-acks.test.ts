/**
 * Media never delays op acks. The real Cloud (embedded Aedes, SQLite, tus),
 * a real edge database with the real OpStore, SyncClient and MediaUploader:
 * a ticket with a 6 MiB photo goes up under a 3 MB/s cap while the edge
 * keeps committing ops. Judged by order, so a busy machine cannot fail it:
 * the acks must come during the upload, not after it. How fast they come is
 * measured by scripts/bench/media-acks.ts.
 */
import t from 'tap';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { cloudApi, uploadWhileCommitting } from '@cunbox/test-support/media-acks-run';

const dir = t.testdir({});
let rig: BrokerRig;
t.before(async () => {
  rig = await aedesRig(dir);
});
t.teardown(async () => {
  await rig?.close();
});

t.test('op acks keep flowing while a ticket photo uploads under the cap', async (t) => {
  const run = await uploadWhileCommitting(rig, dir);
  t.teardown(run.close);
  const { duringSeqs, ackedAtUploadEnd } = run;
  t.comment(`photo: 6 MiB in ${run.uploadS.toFixed(2)} s at a 3 MB/s cap; ${duringSeqs.length} ops committed meanwhile; acked up to #${ackedAtUploadEnd} of #${duringSeqs.at(-1)} when it finished`);
  t.ok(run.uploadS >= 1.8, 'the upload took a while (the cap holds)');
  t.ok(duringSeqs.length >= 20, 'ops kept being committed during it');
  t.ok(ackedAtUploadEnd >= run.photoSeq, 'the ticket op naming the photo was acked before the photo finished uploading');
  t.ok(ackedAtUploadEnd >= duringSeqs[0]!, 'ops committed after the upload began were acked before it finished: acks are not queued behind the upload');

  // The photo reached the cloud under the media id the ticket op names.
  const tickets = await cloudApi(rig, 'GET', `/api/villages/${run.villageId}/tickets`);
  t.ok(tickets.tickets.some((x: { photos: string[] }) => x.photos.includes(run.mediaId)), 'the cloud ticket names the photo');
  const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/villages/${run.villageId}/media/${run.mediaId}`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'image/jpeg');
  t.ok(Buffer.from(await res.arrayBuffer()).equals(run.photo), 'the phone API serves the photo by its media id');
  t.same(run.db.prepare('SELECT kind, ref, state FROM sync_media').all(), [{ kind: 'ticket-photo', ref: run.mediaId, state: 'done' }], 'queued from the op log, once');
});
