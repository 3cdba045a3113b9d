/**
 * The cloud store's backends, for suites that run against each: SQLite (a
 * fresh file per store, seen through the asynchronous interface) and
 * PostgreSQL (one throwaway server per test file, a fresh database per store).
 */
import type { Test } from 'tap';
import { join } from 'node:path';
import { SqliteCloudStore, type CloudStoreOptions } from '../../src/store.ts';
import { asyncMediaIndex, asyncStore, type AsyncCloudStore, type AsyncMediaIndex } from '../../src/store-async.ts';
import { SqliteMediaIndex } from '../../src/media-index.ts';
import { openCloudDatabase } from '../../src/database.ts';
import { PgMediaIndex } from '../../src/pg/media-index.ts';
import { openPgDatabase, type PgPool } from '../../src/pg/database.ts';
import { PgCloudStore } from '../../src/pg/store.ts';
import { startPostgres, type TestPostgres } from '@cunbox/test-support/postgres';
import { tmpDir } from '@cunbox/test-support/tmp';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A store on an empty database; undefined when the backend cannot run here (the test was skipped). */
  open(t: Test, opts: CloudStoreOptions): Promise<AsyncCloudStore | undefined>;
  /** A media index on an empty database; undefined when the backend cannot run here. */
  openMedia(t: Test, now: () => number): Promise<AsyncMediaIndex | undefined>;
  /** A second worker on the same database as `open`'s last store (PostgreSQL only). */
  worker?(t: Test, opts: CloudStoreOptions): Promise<AsyncCloudStore>;
}

/** `root`: the file's top-level test, whose teardown stops the PostgreSQL server. */
export function storeBackends(root: Test): StoreBackend[] {
  let server: TestPostgres | undefined;
  let databases = 0;
  let lastUrl = '';
  const pool = async (t: Test, url: string): Promise<PgPool> => {
    const p = await openPgDatabase({ url, max: 4 });
    t.teardown(() => p.end());
    return p;
  };
  return [
    {
      name: 'sqlite',
      open: async (t, opts) => {
        const store = SqliteCloudStore.open({ ...opts, file: join(tmpDir(t, 'cunbox-store-'), 'cloud.db') });
        t.teardown(() => store.close());
        return asyncStore(store);
      },
      openMedia: async (t, now) => {
        const db = openCloudDatabase(join(tmpDir(t, 'cunbox-store-'), 'cloud.db'));
        t.teardown(() => db.close());
        return asyncMediaIndex(new SqliteMediaIndex({ db, now }));
      },
    },
    {
      name: 'postgres',
      open: async (t, opts) => {
        server ??= startPostgres(root);
        if (!server) return undefined;
        lastUrl = server.createDatabase(`store_${++databases}`);
        return new PgCloudStore({ ...opts, pool: await pool(t, lastUrl) });
      },
      openMedia: async (t, now) => {
        server ??= startPostgres(root);
        if (!server) return undefined;
        return new PgMediaIndex({ pool: await pool(t, server.createDatabase(`media_${++databases}`)), now });
      },
      worker: async (t, opts) => new PgCloudStore({ ...opts, pool: await pool(t, lastUrl) }),
    },
  ];
}

