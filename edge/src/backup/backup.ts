import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { EdgeConfig } from '../config/load.ts';
import { CunboxError } from '../errors.ts';
import { Layout } from '../storage/layout.ts';
import { fsyncDir, fsyncFile } from '../storage/durable.ts';
import { CUNBOX_VERSION } from '../version.ts';
import { MANIFEST, backupName, listBackups, sha256File, type BackupFile, type BackupManifest, type BackupRole } from './manifest.ts';

/** What a backup is taking now, for the CLI's progress lines. */
export type BackupStep = { step: 'database' } | { step: 'file'; name: string } | { step: 'manifest' };

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
}

/**
 * Takes one consistent copy of what the box cannot rebuild: the database
 * (SQLite's online backup, page by page, while the edge goes on writing: the
 * copy is the database as of one transaction), the config, the cloud
 * credentials, the keys (without data.key the encrypted fields are unreadable,
 * without audit.key the audit chain cannot be verified) and the TLS files.
 * Footage is not copied: it is too large and the ring buffer replaces it.
 *
 * Written under `<toDir>/cunbox-backup-…​.partial/` and renamed when every
 * file and the manifest are on disk, so a backup folder with its final name is
 * always complete. Files 0600, folder 0700: it holds secrets.
 */
export async function takeBackup(opts: {
  config: EdgeConfig;
  toDir: string;
  clock: Clock;
  /** The database connection of the edge taking it; absent: a read-only one of our own. */
  db?: Db;
  onStep?: (s: BackupStep) => void;
}): Promise<BackupResult> {
  const { config, toDir, clock } = opts;
  const layout = new Layout(config.dataDir);
  if (!existsSync(layout.database)) throw new CunboxError('NOT_FOUND', `no database at ${layout.database}: nothing to back up`);
  const createdMs = clock.now();
  const name = backupName(createdMs);
  const final = join(toDir, name);
  if (existsSync(final)) throw new CunboxError('CONFLICT', `${final} already exists (a backup in the same second); try again`);
  const partial = `${final}.partial`;
  mkdirSync(toDir, { recursive: true });
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { mode: 0o700 });
  chmodSync(partial, 0o700);
  try {
    const files: BackupFile[] = [];
    const add = async (role: BackupRole, name: string, source: string) => {
      const path = join(partial, name);
      const bytes = statSync(path).size;
      chmodSync(path, 0o600);
      await fsyncFile(path);
      files.push({ name, role, source, bytes, sha256: await sha256File(path) });
    };

    opts.onStep?.({ step: 'database' });
    const dbCopy = join(partial, 'cunbox.db');
    if (opts.db) {
      // The edge's own connection: its writes during the copy go into the copy as well
      // (SQLite updates a backup made through the writing connection), so it never restarts,
      // and small steps keep the recorders' event loop moving.
      await opts.db.backup(dbCopy);
    } else {
      // Another process (a running edge) writes meanwhile: copied in one step, inside one
      // read transaction. Stepwise, every write between steps would restart the copy.
      const src = new Database(layout.database, { readonly: true, fileMustExist: true });
      try {
        src.pragma('busy_timeout = 5000');
        await src.backup(dbCopy, { progress: () => 0x7fffffff });
      } finally {
        src.close();
      }
    }
    const migrations = appliedIn(dbCopy);
    await add('database', 'cunbox.db', layout.database);

    const copy = async (role: BackupRole, name: string, source: string) => {
      opts.onStep?.({ step: 'file', name });
      mkdirSync(join(partial, name, '..'), { recursive: true, mode: 0o700 });
      copyFileSync(source, join(partial, name));
      await add(role, name, source);
    };
    if (config.file) await copy('config', 'config.yaml', config.file);
    if (config.cloud && existsSync(config.cloud.credentialsFile)) await copy('credentials', 'cloud-credentials.json', config.cloud.credentialsFile);
    if (existsSync(layout.keysDir)) {
      for (const key of readdirSync(layout.keysDir).filter((n) => n.endsWith('.key')).sort()) await copy('key', `keys/${key}`, join(layout.keysDir, key));
    }
    if (config.http?.tls) {
      await copy('tls-cert', 'tls/cert.pem', config.http.tls.certFile);
      await copy('tls-key', 'tls/key.pem', config.http.tls.keyFile);
    }

    opts.onStep?.({ step: 'manifest' });
    const manifest: BackupManifest = {
      format: 1,
      version: CUNBOX_VERSION,
      schema: { count: migrations.length, last: migrations.at(-1) ?? null, migrations },
      createdAt: new Date(createdMs).toISOString(),
      hostname: hostname(),
      dataDir: config.dataDir,
      configFile: config.file,
      files,
    };
    writeFileSync(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await fsyncFile(join(partial, MANIFEST));
    for (const sub of ['keys', 'tls']) if (existsSync(join(partial, sub))) await fsyncDir(join(partial, sub));
    await fsyncDir(partial);
    renameSync(partial, final);
    await fsyncDir(toDir);
    return { dir: final, manifest };
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}

/** The migration names recorded in a database file (read-only). */
export function appliedIn(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    return has ? (db.prepare('SELECT name FROM schema_migrations ORDER BY rowid').all() as Array<{ name: string }>).map((r) => r.name) : [];
  } finally {
    db.close();
  }
}

/** Deletes all but the newest `keep` finished backups under `dir`; returns the names removed. */
export function pruneBackups(dir: string, keep: number): string[] {
  const all = listBackups(dir);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const name of old) rmSync(join(dir, name), { recursive: true, force: true });
  return old;
}
