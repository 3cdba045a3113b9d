/** `cunbox-cloud move-village --from-config OLD --to-config NEW --village ID`: an offline move from SQLite to PostgreSQL (move-village.ts). */
import type { Command } from 'commander';
import { examplesHelp, tf } from '@cunbox/shared/cli';
import { loadCloudConfig } from '../../config.ts';
import { LEFT_BEHIND, MoveRefused, moveVillage } from '../../move-village.ts';
import type { CloudCliContext } from '../context.ts';
import { CliError } from '../cli-error.ts';

export function registerMoveVillage(program: Command, ctx: CloudCliContext): void {
  const { t } = ctx;
  program
    .command('move-village')
    .description(t('move one village from a stopped cloud on SQLite to a cloud on PostgreSQL'))
    .requiredOption('--from-config <file>', t('the old cloud\'s config (SQLite; the cloud stopped)'))
    .requiredOption('--to-config <file>', t('the new cloud\'s config (store.kind postgres)'))
    .requiredOption('--village <id>', t('the village id (it keeps it: edge configs name it)'))
    .option('--json', t('machine-readable output'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud move-village --from-config /etc/cunbox-cloud/config.yaml --to-config /etc/cunbox-cloud/pg.yaml --village 3']))
    .action(async (o: { fromConfig: string; toConfig: string; village: string; json?: boolean }) => {
      const villageId = Number(o.village);
      if (!Number.isSafeInteger(villageId) || villageId < 1) throw new CliError('INVALID_INPUT', 'village must be a number, got {value}', { value: o.village });
      const load = (file: string) => {
        try {
          return loadCloudConfig(file);
        } catch (err) {
          throw new CliError('CONFIG_INVALID', '{message}', { message: (err as Error).message });
        }
      };
      const from = load(o.fromConfig);
      const to = load(o.toConfig);
      try {
        const report = await moveVillage({ from, to, villageId, progress: (table, rows) => void (o.json || ctx.out(tf(t, '{table}: {rows} rows copied', { table, rows }))) });
        if (o.json) return void ctx.out(JSON.stringify({ ...report, leftBehind: LEFT_BEHIND }, null, 2));
        ctx.out(tf(t, 'village #{id} {name} moved: {ops} ops, last seq {seq}, states verified', { id: report.villageId, name: report.name, ops: report.verified.ops, seq: report.verified.lastSeq }));
        ctx.out(tf(t, 'media files: {copied} copied, {present} already there', report.mediaFiles));
        if (report.keyCopied) ctx.out(t('the data key was copied to the new cloud'));
        ctx.out(tf(t, 'left behind: {tables} (phones sign in again)', { tables: LEFT_BEHIND.join(', ') }));
        ctx.out(`${t('next')}: cunbox-cloud serve --config ${o.toConfig}`);
      } catch (err) {
        if (!(err instanceof MoveRefused)) throw err;
        throw new CliError(err.reason === 'missing' ? 'NOT_FOUND' : err.reason === 'in-use' ? 'UNAVAILABLE' : err.reason === 'verify' ? 'INTERNAL' : 'INVALID_INPUT', err.template, err.vars);
      }
    });
}
