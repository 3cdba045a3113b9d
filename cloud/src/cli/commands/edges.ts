/** `cunbox-cloud edges [--village]`: paired edges, their presence and how far behind they are. */
import type { Command } from 'commander';
import { examplesHelp, formatTime, table, tf } from '@cunbox/shared/cli';
import type { CloudCliContext } from '../context.ts';

export function registerEdges(program: Command, ctx: CloudCliContext): void {
  const { t } = ctx;
  program
    .command('edges')
    .description(t('paired edges: online or offline since when, ops received, cloud ops not yet confirmed by the edge'))
    .option('--village <village>', t('only this village (id or name)'))
    .option('--json', t('machine-readable output'))
    .option('--wide', t('do not fit the table to 80 columns'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud edges', 'cunbox-cloud edges --village 匡村', 'cunbox-cloud edges --json']))
    .action(async (o: { village?: string; json?: boolean; wide?: boolean }, cmd: Command) => {
      const client = ctx.client(cmd);
      const village = o.village === undefined ? undefined : await client.village(o.village);
      const edges = await client.edges(village?.id);
      if (o.json) return void ctx.out(JSON.stringify(edges, null, 2));
      if (edges.length === 0) return void ctx.out(`${t('no paired edges')}\n${t('next')}: cunbox-cloud pair-code <${t('village')}>`);
      ctx.out(
        table(
          [
            { head: t('edge') },
            { head: t('village'), min: 6, max: 16 },
            { head: t('state') },
            // The presence's time: an offline edge was last seen then; an online one is connected since then.
            { head: t('since') },
            { head: t('ops in') },
            { head: t('to send') },
            { head: t('paired'), drop: 1 },
          ],
          edges.map((e) => [
            e.edgeId,
            `${e.villageId} ${e.villageName}`,
            e.revokedAt !== null ? t('revoked') : e.presenceAt === 0 ? t('never connected') : e.online ? t('online') : t('offline'),
            e.presenceAt === 0 ? '-' : formatTime(e.presenceAt, ctx.zone, true),
            e.opsCommitted,
            e.downPending,
            formatTime(e.pairedAt, ctx.zone, true),
          ]),
          { wide: o.wide },
        ),
      );
    });

  program
    .command('revoke <edge-id>')
    .description(t('unpair an edge: the broker and the media routes refuse it from now on; its data stays'))
    .option('--json', t('machine-readable output'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud revoke 00000000000000e1']))
    .action(async (edgeId: string, o: { json?: boolean }, cmd: Command) => {
      const r = await ctx.client(cmd).revoke(edgeId);
      if (o.json) return void ctx.out(JSON.stringify(r, null, 2));
      ctx.out(tf(t, r.revoked ? 'edge {edgeId} revoked: its next login is refused' : 'edge {edgeId} was revoked before: nothing changed', { edgeId: r.edgeId }));
      ctx.out(`${t('to pair it again')}: cunbox-cloud pair-code <${t('village')}>`);
    });
}
