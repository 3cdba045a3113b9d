/**
 * The cloud store does no I/O when built: the Cloud root hands it the one
 * connection it opened (database.ts). `SqliteCloudStore.open` is for a store
 * on a database of its own (tests, tools), which its close() closes.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { governanceModels } from '@cunbox/shared';
import { SqliteCloudStore } from '../src/store.ts';
import { openCloudDatabase } from '../src/database.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('built on a connection, the store reads nothing, and its close() leaves the connection to its owner', async (t) => {
  const closed = openCloudDatabase(':memory:');
  closed.close();
  t.doesNotThrow(() => new SqliteCloudStore({ db: closed, models: governanceModels }), 'no statement runs in the constructor');

  const db = openCloudDatabase(join(tmpDir(t), 'cloud.db'));
  t.teardown(() => db.close());
  const store = new SqliteCloudStore({ db, models: governanceModels, now: () => 1 });
  const village = store.createVillage('东村');
  store.close();
  t.ok(db.open, 'the caller still owns the connection');
  t.same(store.village(village.id), village);
});

t.test('open() makes the file, and close() closes the store’s own connection', async (t) => {
  const file = join(tmpDir(t), 'nested', 'cloud.db');
  const store = SqliteCloudStore.open({ file, models: governanceModels, now: () => 1 });
  t.ok(existsSync(file));
  store.createVillage('西村');
  store.close();
  t.throws(() => store.villages(), /not open/);
  const again = SqliteCloudStore.open({ file, models: governanceModels });
  t.teardown(() => again.close());
  t.same(again.villages().map((v) => v.name), ['西村'], 'what was written is on disk');
});
