import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { tf } from '../i18n.ts';
import { formatBytes } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import { systemClock } from '../../clock.ts';
import { takeBackup, pruneBackups, appliedIn } from '../../backup/backup.ts';
import { restoreBackup } from '../../backup/restore.ts';
import { catchUpWithCloud } from '../../backup/catch-up.ts';
import { loadConfigFile } from '../../config/load.ts';
import { silentLogger } from '../../log.ts';
import { migrations } from '../../db/migrations.ts';
import { Layout } from '../../storage/layout.ts';
import { CUNBOX_VERSION } from '../../version.ts';
import type { EdgeConfig } from '../../config/load.ts';
import { act, localizedHelp, numberIn } from './camera-support.ts';

/** How long a restore waits for the cloud (default) before leaving the catch-up to the edge's first connect. */
const CLOUD_CATCH_UP_MS = 30_000;

/**
 * `backup`, `restore` and `version`: what an installer needs to move a box to a
 * new disk and to know what runs on it. Footage is never in a backup.
 */
export function registerBackup(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    program
      .command('backup')
      .description(t('copy the database, config, cloud credentials and keys (not footage) while the edge runs'))
      .option('--to <dir>', t('where the backup folder goes (default: backup.dir of the config)'))
      .option('--json', t('machine-readable output')),
    ['cunbox backup', 'cunbox backup --to /mnt/usb', 'cunbox backup --json'],
  ).action(act(ctx, async (o: { to?: string; json?: boolean }, cmd: Command) => {
    const config = resolveConfig(ctx.store(cmd), ctx.io.env);
    const dir = o.to ?? config.backup?.dir;
    if (!dir) throw new CunboxError('INVALID_INPUT', t('where to? pass --to DIR, or set backup.dir in the config'));
    const r = await takeBackup({
      config,
      toDir: dir,
      clock: systemClock,
      onStep: (s) => o.json || ctx.out(s.step === 'file' ? `… ${s.name}` : s.step === 'database' ? `… ${t('database (online copy)')}` : `… manifest.json`),
    });
    // Into the configured folder the count kept applies, as for the daily backup.
    const removed = !o.to && config.backup ? pruneBackups(config.backup.dir, config.backup.keep) : [];
    if (o.json) return void ctx.out(JSON.stringify({ dir: r.dir, removed, manifest: r.manifest }, null, 2));
    for (const f of r.manifest.files) ctx.out(`  ${f.name.padEnd(28)} ${formatBytes(f.bytes).padStart(10)}  sha256 ${f.sha256.slice(0, 16)}…`);
    ctx.out(`${t('backup')}: ${r.dir}`);
    if (removed.length > 0) ctx.out(tf(t, 'removed {n} older backups (keeping {keep})', { n: removed.length, keep: config.backup!.keep }));
    ctx.out(t('footage is not in the backup; copy evidence exports and held footage separately (see README)'));
  }));

  localizedHelp(
    ctx,
    program
      .command('restore')
      .description(t('put a backup back (the edge must be stopped): every SHA-256 is checked before anything is written'))
      .argument('<dir>', t('the backup folder (cunbox-backup-…)'))
      .option('--force', t('replace an existing database, and config, credentials or keys that differ'))
      .option('--no-cloud', t('do not fetch from the cloud what this edge made after the backup (the edge does it when it starts)'))
      .option('--cloud-wait <seconds>', t('how long to wait for the cloud'), numberIn(1, 600), CLOUD_CATCH_UP_MS / 1000)
      .option('--json', t('machine-readable output')),
    ['cunbox restore /mnt/usb/cunbox-backup-20261130-033000', 'cunbox restore /mnt/usb/cunbox-backup-20261130-033000 --data-dir /srv/cunbox --config /etc/cunbox/config.yaml'],
  ).action(act(ctx, async (from: string, o: { force?: boolean; cloud: boolean; cloudWait: number; json?: boolean }, cmd: Command) => {
    const g = ctx.store(cmd);
    const r = await restoreBackup({
      from,
      ...(g.dataDir ? { dataDir: g.dataDir } : {}),
      ...(g.config ? { configFile: g.config } : {}),
      force: o.force ?? false,
      onStep: (s) => o.json || ctx.out(s.step === 'verify' ? `… ${t('checking SHA-256 of every file')}` : `… ${s.name} → ${s.to}`),
    });
    // Before the edge starts: what it made after the backup comes back from the cloud, so its next op cannot reuse a number.
    const config = r.configFile ? loadConfigFile(r.configFile) : null;
    if (!o.json && o.cloud && config?.cloud) ctx.out(`… ${t('fetching from the cloud what this edge made after the backup')}`);
    const cloud = o.cloud && config?.cloud ? await catchUpWithCloud({ config, clock: systemClock, log: silentLogger(), timeoutMs: o.cloudWait * 1000 }) : null;
    if (o.json) return void ctx.out(JSON.stringify({ dataDir: r.dataDir, configFile: r.configFile, written: r.written, createdAt: r.manifest.createdAt, schema: r.manifest.schema, cloud }, null, 2));
    ctx.out(tf(t, 'restored the backup of {at} ({n} files) to {dir}', { at: new Date(r.manifest.createdAt).toLocaleString(), n: r.written.length, dir: r.dataDir }));
    if (cloud?.reached) ctx.out(tf(t, 'the cloud returned {n} ops this edge made after the backup', { n: cloud.recovered }));
    else if (cloud) ctx.out(t('the cloud did not answer: start the edge with the cloud reachable before anyone uses it, so that it fetches what it made after the backup'));
    ctx.out(t('footage is not in the backup; cameras start recording afresh'));
    ctx.out(t('start the edge: systemctl start cunbox-edge; it fetches from the cloud what was synced after the backup'));
  }));

  localizedHelp(
    ctx,
    program
      .command('version')
      .description(t('version, database schema and runtime'))
      .option('--json', t('machine-readable output')),
    ['cunbox version', 'cunbox version --json'],
  ).action(act(ctx, (o: { json?: boolean }, cmd: Command) => {
    let config: EdgeConfig | null = null;
    try {
      config = resolveConfig(ctx.store(cmd), ctx.io.env);
    } catch {
      // No installation here: the program's own facts still print.
    }
    const dbFile = config ? new Layout(config.dataDir).database : null;
    const applied = dbFile && existsSync(dbFile) ? appliedIn(dbFile) : null;
    const info = {
      version: CUNBOX_VERSION,
      schema: { known: migrations.length, lastKnown: migrations.at(-1)!.name, applied: applied?.length ?? null, lastApplied: applied?.at(-1) ?? null, database: dbFile },
      node: process.version,
      ffmpeg: ffmpegVersion(config?.recorder.ffmpegPath ?? 'ffmpeg'),
      platform: `${process.platform}-${process.arch}`,
    };
    if (o.json) return void ctx.out(JSON.stringify(info, null, 2));
    ctx.out(`cunbox ${info.version}`);
    ctx.out(`${t('schema')}: ${applied ? tf(t, '{applied} migrations applied (last {last})', { applied: applied.length, last: info.schema.lastApplied ?? '-' }) : t('no database')}; ${tf(t, 'this version knows {known}', { known: info.schema.known })}`);
    ctx.out(`node: ${info.node}`);
    ctx.out(`ffmpeg: ${info.ffmpeg ?? t('not found')}`);
    ctx.out(`${t('platform')}: ${info.platform}`);
  }));
}

/** The first line of `ffmpeg -version`, or null when it cannot run. */
function ffmpegVersion(path: string): string | null {
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  return r.stdout.split('\n')[0]!.trim() || null;
}
