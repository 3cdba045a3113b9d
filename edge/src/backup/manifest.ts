import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CunboxError } from '../errors.ts';

/** What each copied file is, so restore knows where it goes. */
export type BackupRole = 'database' | 'config' | 'credentials' | 'key' | 'tls-cert' | 'tls-key';

export interface BackupFile {
  /** Path inside the backup folder, e.g. `cunbox.db`, `keys/data.key`. */
  name: string;
  role: BackupRole;
  /** Where it was taken from (absolute). */
  source: string;
  bytes: number;
  sha256: string;
}

/** `manifest.json` of one backup folder. */
export interface BackupManifest {
  format: 1;
  /** cunbox version that took it. */
  version: string;
  /** The database's applied migrations at the moment of the copy. */
  schema: { count: number; last: string | null; migrations: string[] };
  /** ISO 8601, UTC. */
  createdAt: string;
  hostname: string;
  dataDir: string;
  configFile: string | null;
  files: BackupFile[];
}

export const MANIFEST = 'manifest.json';
const BACKUP_PREFIX = 'cunbox-backup-';
/** `cunbox-backup-YYYYMMDD-HHMMSS`, nothing else: a `.partial` folder is a backup that did not finish. */
const BACKUP_NAME = /^cunbox-backup-\d{8}-\d{6}$/;

/** The folder name of a backup taken at `ms`, in the box's local time. */
export function backupName(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${BACKUP_PREFIX}${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Finished backups under `dir`, oldest first (the names sort by time). */
export function listBackups(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => BACKUP_NAME.test(n) && statSync(join(dir, n)).isDirectory()).sort();
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

export function readManifest(dir: string): BackupManifest {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch (err) {
    throw new CunboxError('INVALID_INPUT', `${dir} is not a cunbox backup: ${MANIFEST} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not JSON'}`);
  }
  const m = data as Partial<BackupManifest>;
  const fileOk = (f: Partial<BackupFile>) =>
    typeof f.name === 'string' && !f.name.split('/').includes('..') && !f.name.startsWith('/') && typeof f.sha256 === 'string' && typeof f.bytes === 'number' && typeof f.role === 'string';
  if (m.format !== 1 || !Array.isArray(m.files) || !m.files.every(fileOk) || !m.files.some((f) => f.role === 'database')) {
    throw new CunboxError('INVALID_INPUT', `${dir}/${MANIFEST} is not a manifest this version reads`);
  }
  return m as BackupManifest;
}

/**
 * Checks every file against the manifest: size and SHA-256. Returns the
 * problems in words (empty: intact). Nothing is written.
 */
export async function verifyBackup(dir: string, manifest: BackupManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const f of manifest.files) {
    const path = join(dir, f.name);
    let bytes: number;
    try {
      bytes = statSync(path).size;
    } catch {
      problems.push(`${f.name}: missing`);
      continue;
    }
    if (bytes !== f.bytes) problems.push(`${f.name}: ${bytes} bytes, the manifest says ${f.bytes}`);
    else if ((await sha256File(path)) !== f.sha256) problems.push(`${f.name}: SHA-256 does not match the manifest`);
  }
  return problems;
}
