/**
 * Which database the clouds that tests start run on. Unset (or `sqlite`):
 * SQLite under the cloud's data directory, as in production by default.
 * `CUNBOX_TEST_STORE=postgres`: a throwaway PostgreSQL server for the test
 * process (started on first use, stopped when the process exits), one
 * database per cloud data directory, so a cloud restarted on the same
 * directory finds its data again.
 */
import type { CloudStoreConfig } from '../../cloud/src/config.ts';
import { join } from 'node:path';
import { startPostgresServer, type PostgresServer } from './postgres.ts';
import type { CloudData } from './converge.ts';

let server: PostgresServer | undefined;
const databases = new Map<string, string>();

/** The `store` of a test cloud's config for `dataDir`. */
export function testCloudStore(dataDir: string): CloudStoreConfig {
  const kind = process.env.CUNBOX_TEST_STORE ?? 'sqlite';
  if (kind === 'sqlite') return { kind: 'sqlite' };
  if (kind !== 'postgres') throw new Error(`CUNBOX_TEST_STORE: sqlite or postgres, not ${kind}`);
  let url = databases.get(dataDir);
  if (!url) {
    if (!server) {
      const started = startPostgresServer();
      server = started;
      process.once('exit', () => started.stop());
    }
    url = server.createDatabase(`cloud_${databases.size + 1}`);
    databases.set(dataDir, url);
  }
  return { kind: 'postgres', url };
}


/** Where a test cloud's data is, for the convergence checker: its SQLite file, or its PostgreSQL database. */
export function testCloudData(dataDir: string): CloudData {
  const url = databases.get(dataDir);
  return url ? { url, dataDir } : join(dataDir, 'cloud.db');
}
