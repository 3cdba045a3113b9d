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
import { boxTimeZone } from '../../local-time.ts';
import { formatBitrate, formatBytes, formatTime, table, TABLE_WIDTH, wrapText } from '../format.ts';
import { tf } from '../i18n.ts';
import { act, localizedHelp } from './camera-support.ts';

export function registerStorage(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const storage = localizedHelp(ctx, program.command('storage').description(t('recording storage')), ['cunbox storage status']);
  localizedHelp(
    ctx,
    storage
      .command('status')
      .description(t('bytes, oldest and newest footage and bitrate per camera; days the disk holds'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox storage status', 'cunbox storage status --wide', 'cunbox storage status --json'],
  ).action(act(ctx, async (o: { json?: boolean; wide?: boolean }, cmd: Command) => {
    const config = resolveConfig(ctx.store(cmd), ctx.io.env);
    const zone = boxTimeZone(config.timezone, ctx.io.env);
    const layout = new Layout(config.dataDir);
    mkdirSync(layout.recordings, { recursive: true });
    const db = openDatabase(layout.database);
    try {
      const status = storageStatus({ db }, await statfsDiskUsage(layout.recordings), config.retention, await ownBytes(db, layout));
      if (o.json) return void ctx.out(JSON.stringify(status, null, 2));
      const short = !o.wide;
      ctx.out(
        table(
          [
            { head: t('id') },
            { head: t('name'), max: 16, min: 6 },
            { head: t('segments'), drop: 2 },
            { head: t('size'), drop: 4 },
            { head: t('oldest'), drop: 5 },
            { head: t('newest'), drop: 3 },
            { head: t('bitrate'), drop: 1 },
            { head: t('required days') },
            { head: t('days held') },
          ],
          status.cameras.map((c) => [
            c.cameraId,
            c.name ?? '?',
            c.segments,
            formatBytes(c.bytes),
            formatTime(c.oldestMs, zone, short),
            formatTime(c.newestMs, zone, short),
            formatBitrate(c.bitrateBps),
            c.requiredDays,
            c.holdsDays === null ? '-' : c.holdsDays.toFixed(1),
          ]),
          { wide: o.wide ?? false },
        ),
      );
      ctx.out(
        `${t('recordings')}: ${formatBytes(status.totalBytes)}  ${t('disk')}: ${formatBytes(status.disk.totalBytes)}, ${t('free')} ${formatBytes(status.disk.freeBytes)}, ${t('reserved')} ${formatBytes(status.reservedBytes)}`,
      );
      ctx.out(tf(t, 'used: cunbox {cunbox}, other programs {others}', { cunbox: formatBytes(status.cunboxBytes), others: formatBytes(status.foreignBytes) }));
      ctx.out(`${t('days at current bitrate')}: ${status.daysAtCurrentBitrate === null ? '-' : status.daysAtCurrentBitrate.toFixed(1)}`);
      // Warnings wrap inside the 80 columns the tables keep (unless --wide).
      const fit = (text: string, indent: string) => (o.wide ? `${indent}${text}` : wrapText(text, TABLE_WIDTH - indent.length).split('\n').map((l) => `${indent}${l}`).join('\n'));
      for (const w of status.warnings) ctx.out(`${fit(`⚠ ${tf(t, WARNING_TEXT[w.code].message, w.vars)}`, '')}\n${fit(`→ ${t(WARNING_TEXT[w.code].hint)}`, '  ')}`);
    } finally {
      db.close();
    }
  }));
}
