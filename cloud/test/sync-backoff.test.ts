/**
 * The cloud's sync engine waits out a broker that is gone on the injected
 * clock: exponential backoff with jitter, each retry only when time moves on.
 */
import t from 'tap';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { governanceModels, type Clock } from '@cunbox/shared';
import { SqliteCloudStore } from '../src/store.ts';
import { CloudSync } from '../src/sync.ts';
import { asyncStore } from '../src/store-async.ts';
import { fakeClock } from '@cunbox/test-support/fake-clock';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';

t.test('reconnects to the broker with exponential backoff on the injected clock and random source', async (t) => {
  // A "broker" that hangs up on every connection.
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;

  const { clock: fake, fake: fc } = fakeClock();
  const delays: number[] = [];
  const clock: Clock = { ...fake, setTimeout: (fn, ms) => (delays.push(ms), fake.setTimeout(fn, ms)) };
  const store = SqliteCloudStore.open({ file: join(tmpDir(t), 'cloud.db'), models: governanceModels, now: clock.now });
  const sync = new CloudSync({
    store: asyncStore(store),
    log: pino({ level: 'silent' }),
    url: `mqtt://127.0.0.1:${port}`,
    username: 'cunbox-cloud',
    password: 'x',
    clock,
    random: () => 1,
    options: { tickMs: 3_600_000, backoff: { baseMs: 100, maxMs: 400 } },
  });
  sync.start();
  t.teardown(async () => {
    await sync.stop();
    store.close();
  });
  for (let k = 1; k <= 4; k++) {
    await waitFor(`retry ${k} scheduled`, () => delays.length === k);
    // Real time goes by; without the clock moving, no new attempt is made.
    await new Promise((r) => setTimeout(r, 50));
    t.equal(connections, k, `attempt ${k} made, the next waits for the clock`);
    fc.tick(delays[k - 1]!);
  }
  await waitFor('fifth attempt', () => connections === 5);
  t.same(delays.slice(0, 4), [100, 200, 400, 400], 'base·2ⁿ, capped (random() = 1: the high end of the jitter)');
  t.notOk(sync.connected);
});
