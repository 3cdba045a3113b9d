/**
 * Constructors do no I/O: the op store reads its node id on first use, and the
 * Governance part takes the services the composition root built. A database
 * whose node id is bad shows it: building the parts succeeds, the first use
 * fails with the clear error.
 */
import t from 'tap';
import { join } from 'node:path';
import { governanceModels } from '@cunbox/shared';
import { openDatabase } from '../src/db/database.ts';
import { OpStore } from '../src/governance/store.ts';
import { silentLogger } from '../src/log.ts';
import { UserStore } from '../src/auth/users.ts';
import { HoldStore } from '../src/storage/holds.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { testGovernance } from '@cunbox/test-support/governance';

t.test('the op store reads no table until it is used', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  db.prepare("UPDATE gov_node SET node_id = 'not a node id' WHERE singleton = 1").run();
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  t.throws(() => store.node, /gov_node: bad node id/);
  t.throws(() => store.lastLocalSeq(), /gov_node: bad node id/);
});

t.test('governance builds over such a database; its first commit fails with the clear error', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(join(dir, 'cunbox.db'));
  t.teardown(() => db.close());
  db.prepare("UPDATE gov_node SET node_id = 'not a node id' WHERE singleton = 1").run();
  const clock = systemClock;
  const governance = testGovernance({ db, clock, log: silentLogger(), dataDir: dir, users: new UserStore({ db, clock }), holds: new HoldStore({ db, clock }) });
  t.throws(() => governance.store.commit('zhang', [{ entityKind: 'ticket', entityId: '01J0000000000000000000000A', type: 'create', payload: {} }]), /gov_node: bad node id/);
});

t.test('with a good node id the store reads it once and keeps it', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const node = (db.prepare('SELECT node_id FROM gov_node').get() as { node_id: string }).node_id;
  t.equal(store.node, node);
  t.equal(store.lastLocalSeq(), 0);
});
