import { dirname } from 'node:path';
import type { Db } from '../db/database.ts';
import { AuditLog } from '../api/audit.ts';
import { systemClock } from '../clock.ts';
import { loadOrCreateKey } from '@cunbox/shared';
import { Layout } from '../storage/layout.ts';

/** The audit log of the installation whose database `db` is, with its chain key (created on first use). */
export function cliAuditLog(db: Db): AuditLog {
  return new AuditLog({ db, clock: systemClock, key: loadOrCreateKey(new Layout(dirname(db.name)).auditKey) });
}
