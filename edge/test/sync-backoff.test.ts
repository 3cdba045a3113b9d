import t from 'tap';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { governanceModels } from '@cunbox/shared';
import { openDatabase } from '../src/db/database.ts';
import { OpStore } from '../src/governance/store.ts';
import { SyncClient } from '../src/sync/client.ts';
import { auditLogBeside } from '../src/api/audit-beside.ts';
import { silentLogger } from '../src/log.ts';
import type { Clock } from '../src/clock.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';

t.test('reconnects with exponential backoff on the injected clock, never in a tight loop', async (t) => {
  // A "broker" that hangs up on every connection.
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;

  const { clock: fake, fake: fc } = fakeClock();
  const delays: number[] = [];
  const clock: Clock = { ...fake, setTimeout: (fn, ms) => (delays.push(ms), fake.setTimeout(fn, ms)) };
  const db = openDatabase(join(tmpDir(t), 'edge.db'));
  const store = new OpStore({ db, clock, log: silentLogger(), models: governanceModels });
  const sync = new SyncClient({
    db,
    store,
    clock,
    log: silentLogger(),
    credentials: { edgeId: '00000000000000e1', mqttUrl: `mqtt://127.0.0.1:${port}`, username: '00000000000000e1', password: 'x' },
    options: { pollMs: 3_600_000, backoff: { baseMs: 1000, maxMs: 4000 } },
    random: () => 0,
    audit: auditLogBeside(db, clock),
  });
  sync.start();
  t.teardown(async () => {
    await sync.stop();
    db.close();
  });
  for (let k = 1; k <= 4; k++) {
    await waitFor(`retry ${k} scheduled`, () => delays.length === k);
    t.equal(connections, k, `attempt ${k} made, the next waits for the clock`);
    fc.tick(delays[k - 1]!);
  }
  await waitFor('fifth attempt', () => connections === 5);
  t.same(delays.slice(0, 4), [500, 1000, 2000, 2000], 'half of base·2ⁿ, capped (random() = 0: the low end of the jitter)');
  t.notOk(sync.connected);
});
