/**
 * The media cap's token bucket and throttle stream under fake time, and the
 * uploader's refusals that need no cloud: a queued file that vanished or
 * changed is given up with its reason, and a bad kind is never queued.
 */
import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { writeFileSync, unlinkSync } from 'node:fs';
import { TokenBucket, ThrottleStream, kbpsToBytesPerSecond } from '../src/sync/throttle.ts';
import { hashFile } from '@cunbox/shared';
import { MediaQueue, readMediaStatus } from '../src/sync/media-queue.ts';
import { MediaUploader } from '../src/sync/media-uploader.ts';
import { openDatabase } from '../src/db/database.ts';
import { silentLogger } from '../src/log.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('upload_kbps is kilobits per second', async (t) => {
  t.equal(kbpsToBytesPerSecond(512), 64_000);
  t.equal(kbpsToBytesPerSecond(8000), 1_000_000);
});

t.test('the bucket allows a burst, then the rate; debt carries over', async (t) => {
  const { clock, fake } = fakeClock();
  const b = new TokenBucket({ clock, bytesPerSecond: 100_000, burstBytes: 10_000 });
  t.equal(b.reserve(10_000), 0, 'a full bucket lets a burst through at once');
  t.equal(b.reserve(10_000), 100, 'then 10 kB costs 100 ms at 100 kB/s');
  t.equal(b.reserve(10_000), 200, 'and the next waits behind it');
  fake.tick(200);
  t.equal(b.reserve(1_000), 10, 'once the debt is paid, the rate again');
  fake.tick(10_000);
  t.equal(b.reserve(10_000), 0, 'an idle bucket refills only up to the burst');
  t.equal(b.reserve(1), 1, 'and then nothing more without waiting');
  const free = new TokenBucket({ clock, bytesPerSecond: 0 });
  t.ok(free.unlimited);
  t.equal(free.reserve(1e9), 0, 'a cap of 0 is no cap');
});

t.test('a stream through the throttle takes size / rate of (fake) time', async (t) => {
  const { clock, tick } = fakeClock();
  const bucket = new TokenBucket({ clock, bytesPerSecond: 100_000 });
  const data = Buffer.alloc(1_000_000, 7);
  const out: Buffer[] = [];
  let received = 0;
  const marks: Array<{ at: number; bytes: number }> = [];
  const t0 = clock.now();
  const done = pipeline(
    Readable.from([data.subarray(0, 500_000), data.subarray(500_000)]),
    new ThrottleStream(bucket, clock),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        received += chunk.length;
        marks.push({ at: clock.now() - t0, bytes: received });
        cb();
      },
    }),
  );
  let finished = false;
  void done.then(() => (finished = true));
  await tick(5_000);
  t.notOk(finished, 'not done half way');
  t.ok(received <= 100_000 * 5 + 16_384 && received >= 100_000 * 4.5, `about half after 5 s (${received})`);
  await tick(5_000);
  await done;
  t.ok(Buffer.concat(out).equals(data), 'every byte, in order');
  const last = marks.at(-1)!;
  t.ok(last.at >= 9_800 && last.at <= 10_100, `1 MB at 100 kB/s took ${last.at} ms of fake time`);
  const ahead = marks.filter((m) => m.bytes > 100_000 * (m.at / 1000) + 16_384);
  t.same(ahead, [], 'never ahead of rate × time + burst');
});

t.test('the uploader gives up on a file that is gone or changed, with the reason', async (t) => {
  const dir = tmpDir(t, 'cunbox-media-q-');
  const db = openDatabase(join(dir, 'edge.db'));
  t.teardown(() => db.close());
  const { clock, tick } = fakeClock();
  const queue = new MediaQueue({ db, clock });
  t.throws(() => queue.enqueue({ path: 'x', sha256: 'a'.repeat(64), size: 1, kind: 'Bad Kind', ref: 'r' }), /kind/);
  t.throws(() => queue.enqueue({ path: 'x', sha256: 'nothex', size: 1, kind: 'k', ref: 'r' }), /sha256/);
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  writeFileSync(a, 'first');
  writeFileSync(b, 'second');
  t.ok(await queue.enqueueFile(a, 'event-snapshot', 'ev-1'), 'enqueueFile hashes for the caller');
  t.same((await hashFile(a)).size, 5);
  await queue.enqueueFile(b, 'event-snapshot', 'ev-2');
  unlinkSync(a);
  writeFileSync(b, 'changed!');
  // Nothing listens at this address: the uploader must decide before it ever calls the cloud.
  const up = new MediaUploader({ queue, clock, log: silentLogger(), dataDir: dir, cloudUrl: 'http://127.0.0.1:9', credentials: { edgeId: '0123456789abcdef', password: 'pw' } });
  up.start();
  // Hashing the files is real I/O on libuv's pool: give it real time between fake ticks (a loaded
  // box can take longer than any fixed number of ticks), bounded by a real deadline.
  for (const deadline = Date.now() + 30_000; readMediaStatus(db).mediaFailed < 2 && Date.now() < deadline; ) {
    await tick(100);
    await new Promise((r) => setTimeout(r, 20));
  }
  await up.stop();
  t.same(
    db.prepare('SELECT ref, state, last_error FROM sync_media ORDER BY id').all(),
    [
      { ref: 'ev-1', state: 'failed', last_error: 'file is gone' },
      { ref: 'ev-2', state: 'failed', last_error: 'file changed on disk since it was queued' },
    ],
  );
  t.same(readMediaStatus(db), { mediaPending: 0, mediaPendingBytes: 0, mediaDone: 0, mediaFailed: 2 });
});
