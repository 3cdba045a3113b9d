import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { mkdirSync } from 'node:fs';
import { openDatabase } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { storageStatus } from '../../storage/status.ts';
import { statfsDiskUsage } from '../../storage/disk.ts';
import { ownBytes } from '../../storage/own-files.ts';
import { WARNING_TEXT } from '../../storage/capacity.ts';
import { formatBitrate, formatBytes, formatTime, table } from '../format.ts';
import { tf } from '../i18n.ts';

export function registerStorage(program: Command, ctx: CliContext): void {
  const storage = program.command('storage').description(ctx.t('recording storage'));
  storage
    .command('status')
    .description(ctx.t('bytes, oldest and newest footage and bitrate per camera; days the disk holds'))
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const layout = new Layout(config.dataDir);
      mkdirSync(layout.recordings, { recursive: true });
      const db = openDatabase(layout.database);
      try {
        const status = storageStatus({ db }, await statfsDiskUsage(layout.recordings), config.retention, await ownBytes(db, layout));
        if (o.json) return void ctx.out(JSON.stringify(status, null, 2));
        ctx.out(
          table(
            [ctx.t('id'), ctx.t('name'), ctx.t('segments'), ctx.t('size'), ctx.t('oldest'), ctx.t('newest'), ctx.t('bitrate'), ctx.t('required days'), ctx.t('days held')],
            status.cameras.map((c) => [c.cameraId, c.name ?? '?', c.segments, formatBytes(c.bytes), formatTime(c.oldestMs), formatTime(c.newestMs), formatBitrate(c.bitrateBps), c.requiredDays, c.holdsDays === null ? '-' : c.holdsDays.toFixed(1)]),
          ),
        );
        ctx.out(
          `${ctx.t('recordings')}: ${formatBytes(status.totalBytes)}  ${ctx.t('disk')}: ${formatBytes(status.disk.totalBytes)}, ${ctx.t('free')} ${formatBytes(status.disk.freeBytes)}, ${ctx.t('reserved')} ${formatBytes(status.reservedBytes)}`,
        );
        ctx.out(tf(ctx.t, 'used: cunbox {cunbox}, other programs {others}', { cunbox: formatBytes(status.cunboxBytes), others: formatBytes(status.foreignBytes) }));
        ctx.out(`${ctx.t('days at current bitrate')}: ${status.daysAtCurrentBitrate === null ? '-' : status.daysAtCurrentBitrate.toFixed(1)}`);
        for (const w of status.warnings) ctx.out(`⚠ ${tf(ctx.t, WARNING_TEXT[w.code].message, w.vars)}\n  → ${ctx.t(WARNING_TEXT[w.code].hint)}`);
      } finally {
        db.close();
      }
    });

}
