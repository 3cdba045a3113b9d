import { dirname } from 'node:path';
import { loadOrCreateKey } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import { systemClock, type Clock } from '../clock.ts';
import { Layout } from '../storage/layout.ts';
import { AuditLog } from './audit.ts';

/**
 * The audit log of the installation whose database `db` is, with the chain key
 * kept beside it (created on first use): for the CLI, and for parts built
 * without the composition root's log (tests).
 */
export function auditLogBeside(db: Db, clock: Clock = systemClock): AuditLog {
  return new AuditLog({ db, clock, key: loadOrCreateKey(new Layout(dirname(db.name)).auditKey) });
}
