import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig, type EdgeConfig } from '../config/load.ts';
import { CunboxError } from '../errors.ts';
import { Layout } from '../storage/layout.ts';
import { lockHolder } from '../storage/lock.ts';
import { fsyncDir, fsyncFile } from '../storage/durable.ts';
import { readManifest, verifyBackup, type BackupFile, type BackupManifest } from './manifest.ts';

export interface RestoreOptions {
  /** The backup folder (the one holding manifest.json). */
  from: string;
  /** Where the database and keys go; default: the restored config's data_dir, else the backed-up one. */
  dataDir?: string;
  /** Where the config goes; default: where it was backed up from. */
  configFile?: string;
  /** Replace an existing database, and config, credentials or keys that differ. */
  force?: boolean;
  onStep?: (s: { step: 'verify' } | { step: 'file'; name: string; to: string }) => void;
}

export interface RestoreResult {
  manifest: BackupManifest;
  dataDir: string;
  configFile: string | null;
  written: Array<{ name: string; to: string }>;
}

/**
 * Puts a backup back onto a (fresh) box. Every file is checked against the
 * manifest first: a damaged backup is refused before anything is written. The
 * edge must be stopped (its lock), and an existing database is replaced only
 * with `force`. The database goes in last, after the keys it needs, and any
 * WAL beside the old one is removed: replayed over the restored file it would
 * corrupt it.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const from = resolve(opts.from);
  const manifest = readManifest(from);
  opts.onStep?.({ step: 'verify' });
  const problems = await verifyBackup(from, manifest);
  if (problems.length > 0) throw new CunboxError('INVALID_INPUT', `backup ${from} is damaged; nothing was restored`, problems);

  const configEntry = manifest.files.find((f) => f.role === 'config');
  const configFile = configEntry ? resolve(opts.configFile ?? manifest.configFile ?? configEntry.source) : null;
  let configText: string | null = null;
  let config: EdgeConfig | null = null;
  if (configEntry && configFile) {
    configText = readFileSync(join(from, configEntry.name), 'utf8');
    if (opts.dataDir) {
      // The data disk is mounted elsewhere now: the restored config must point at it.
      const doc = parseDocument(configText);
      doc.set('data_dir', resolve(opts.dataDir));
      configText = doc.toString();
    }
    config = parseConfig(configText, configFile);
  }
  const dataDir = resolve(opts.dataDir ?? config?.dataDir ?? manifest.dataDir);
  const layout = new Layout(dataDir);

  const holder = lockHolder(layout.lockFile);
  if (holder !== undefined) throw new CunboxError('EDGE_RUNNING', `an edge (pid ${holder}) is running on ${dataDir}; stop it first (systemctl stop cunbox-edge)`);

  // Where each file goes.
  const targets: Array<{ file: BackupFile; to: string; content?: string }> = [];
  for (const f of manifest.files) {
    const to = targetOf(f, { layout, config, configFile });
    if (to === null) continue;
    targets.push({ file: f, to, ...(f.role === 'config' && configText !== null ? { content: configText } : {}) });
  }
  const refusals: string[] = [];
  for (const t of targets) {
    if (!existsSync(t.to)) continue;
    if (t.file.role === 'database') refusals.push(`${t.to}: a database is there`);
    else if (!sameContent(t.to, t.content ?? readFileSync(join(from, t.file.name)))) refusals.push(`${t.to}: exists and differs from the backup`);
  }
  if (refusals.length > 0 && !opts.force) throw new CunboxError('CONFLICT', 'refusing to overwrite; pass --force to replace these with the backup', refusals);

  const written: RestoreResult['written'] = [];
  const dbLast = [...targets.filter((t) => t.file.role !== 'database'), ...targets.filter((t) => t.file.role === 'database')];
  for (const t of dbLast) {
    opts.onStep?.({ step: 'file', name: t.file.name, to: t.to });
    const dir = dirname(t.to);
    const secret = t.file.role !== 'config' && t.file.role !== 'tls-cert';
    mkdirSync(dir, { recursive: true, ...(t.file.role === 'key' ? { mode: 0o700 } : {}) });
    if (t.file.role === 'key') chmodSync(dir, 0o700);
    const tmp = `${t.to}.restore-${process.pid}`;
    if (t.content !== undefined) writeFileSync(tmp, t.content);
    else copyFileSync(join(from, t.file.name), tmp);
    chmodSync(tmp, secret ? 0o600 : 0o644);
    await fsyncFile(tmp);
    if (t.file.role === 'database') for (const side of ['-wal', '-shm', '-journal']) rmSync(`${t.to}${side}`, { force: true });
    renameSync(tmp, t.to);
    await fsyncDir(dir);
    written.push({ name: t.file.name, to: t.to });
  }
  return { manifest, dataDir, configFile, written };
}

function targetOf(f: BackupFile, where: { layout: Layout; config: EdgeConfig | null; configFile: string | null }): string | null {
  switch (f.role) {
    case 'database':
      return where.layout.database;
    case 'config':
      return where.configFile;
    case 'key':
      return join(where.layout.keysDir, f.name.slice('keys/'.length));
    // The restored config says where these live; without one, where they were.
    case 'credentials':
      return where.config?.cloud?.credentialsFile ?? f.source;
    case 'tls-cert':
      return where.config?.http?.tls?.certFile ?? f.source;
    case 'tls-key':
      return where.config?.http?.tls?.keyFile ?? f.source;
    default:
      return null;
  }
}

function sameContent(file: string, content: string | Buffer): boolean {
  try {
    return readFileSync(file).equals(typeof content === 'string' ? Buffer.from(content) : content);
  } catch {
    return false;
  }
}
