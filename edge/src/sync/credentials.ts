import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { CunboxError } from '../errors.ts';
import type { SyncCredentials } from './client.ts';

/**
 * The credentials `cunbox cloud pair` got from the cloud: kept in their own
 * file (mode 0600), never in the config, never logged.
 */
export function readCredentials(file: string): SyncCredentials {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CunboxError('CONFIG_INVALID', `cannot read cloud credentials ${file}: ${(err as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  const c = data as Partial<SyncCredentials>;
  if (typeof c.edgeId !== 'string' || typeof c.mqttUrl !== 'string' || typeof c.username !== 'string' || typeof c.password !== 'string') {
    throw new CunboxError('CONFIG_INVALID', `cloud credentials ${file}: needs edgeId, mqttUrl, username, password`);
  }
  return { edgeId: c.edgeId, mqttUrl: c.mqttUrl, username: c.username, password: c.password };
}

export function writeCredentials(file: string, c: SyncCredentials): void {
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
