/**
 * A real SyncClient on a test's edge database: short timers so stalls and
 * retries happen within a test's time, the log on stderr when
 * CUNBOX_TEST_LOG names a level, and stopped (then the database closed) when
 * the test ends.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Db } from '../../edge/src/db/database.ts';
import type { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient, type SyncCredentials, type SyncOptions } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

export const TEST_SYNC_OPTIONS: Partial<SyncOptions> = { pollMs: 30, resendMs: 500, backoff: { baseMs: 50, maxMs: 400 } };

export function startEdgeSync(t: Test, db: Db, store: OpStore, credentials: SyncCredentials, options: Partial<SyncOptions> = TEST_SYNC_OPTIONS): SyncClient {
  const log = process.env.CUNBOX_TEST_LOG ? pino({ level: process.env.CUNBOX_TEST_LOG }) : silentLogger();
  const sync = new SyncClient({ db, store, clock: systemClock, log, credentials, options, audit: auditLogBeside(db) });
  sync.start();
  t.teardown(async () => {
    await sync.stop();
    db.close();
  });
  return sync;
}
