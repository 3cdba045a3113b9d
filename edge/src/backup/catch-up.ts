import { FieldCipher, governanceModels, loadOrCreateKey } from '@cunbox/shared';
import { AuditLog } from '../api/audit.ts';
import { sleep, type Clock } from '../clock.ts';
import type { EdgeConfig } from '../config/load.ts';
import { openDatabase } from '../db/database.ts';
import { OpStore } from '../governance/store.ts';
import { footageHoldHook } from '../governance/tickets.ts';
import type { Logger } from '../log.ts';
import { HoldStore } from '../storage/holds.ts';
import { Layout } from '../storage/layout.ts';
import { acquireLock } from '../storage/lock.ts';
import { SyncClient } from '../sync/client.ts';
import { readCredentials } from '../sync/credentials.ts';

export interface CatchUp {
  /** The cloud answered, and every op of ours it holds is here now. */
  reached: boolean;
  /** Ops of ours that came back from the cloud. */
  recovered: number;
}

/**
 * Right after a restore, before the edge starts: syncs once with the cloud so
 * that the ops this edge made after the backup are back, and its next op is
 * numbered after them, before anything (an office user, an SLA escalation)
 * can commit a new one. Holds the data directory's lock meanwhile; bounded by
 * `timeoutMs` (the cloud may be unreachable: then the edge catches up on its
 * first connect).
 */
export async function catchUpWithCloud(opts: { config: EdgeConfig; clock: Clock; log: Logger; timeoutMs: number }): Promise<CatchUp> {
  const { config, clock, log } = opts;
  if (!config.cloud) return { reached: false, recovered: 0 };
  const layout = new Layout(config.dataDir);
  const release = acquireLock(layout.lockFile);
  const db = openDatabase(layout.database);
  try {
    const holds = new HoldStore({ db, clock });
    const cipher = new FieldCipher(loadOrCreateKey(layout.dataKey));
    const store = new OpStore({ db, clock, log, models: governanceModels, hooks: { ticket: footageHoldHook(db, holds) }, cipher });
    const before = store.lastLocalSeq();
    // The cloud's audit entries arriving meanwhile join the edge's own chain, under its key, as when the edge runs.
    const audit = new AuditLog({ db, clock, key: loadOrCreateKey(layout.auditKey) });
    const sync = new SyncClient({ db, store, clock, log, credentials: readCredentials(config.cloud.credentialsFile), audit });
    sync.start();
    try {
      const until = clock.now() + opts.timeoutMs;
      while (!sync.caughtUp && clock.now() < until) await sleep(clock, 50);
      return { reached: sync.caughtUp, recovered: store.lastLocalSeq() - before };
    } finally {
      await sync.stop();
    }
  } finally {
    db.close();
    release();
  }
}
