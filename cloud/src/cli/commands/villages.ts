/** `cunbox-cloud villages add|list` and `cunbox-cloud pair-code <village>`. */
import type { Command } from 'commander';
import { examplesHelp, formatTime, table, tf } from '@cunbox/shared/cli';
import type { CloudCliContext } from '../context.ts';

export function registerVillages(program: Command, ctx: CloudCliContext): void {
  const { t } = ctx;
  const villages = program
    .command('villages')
    .description(t('villages: the tenants edges pair into'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud villages add 匡村', 'cunbox-cloud villages list']));

  villages
    .command('add')
    .description(t('create a village'))
    .argument('<name>', t('its name, e.g. 匡村'))
    .option('--json', t('machine-readable output'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud villages add 匡村', 'cunbox-cloud villages add 匡村 --json']))
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const v = await ctx.client(cmd).addVillage(name);
      if (o.json) return void ctx.out(JSON.stringify(v, null, 2));
      ctx.out(tf(t, 'village #{id} {name} created', { id: v.id, name: v.name }));
      ctx.out(`${t('next')}: cunbox-cloud pair-code ${v.id}`);
    });

  villages
    .command('list')
    .description(t('list villages with their number of paired edges'))
    .option('--json', t('machine-readable output'))
    .option('--wide', t('do not fit the table to 80 columns'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud villages list', 'cunbox-cloud villages list --json']))
    .action(async (o: { json?: boolean; wide?: boolean }, cmd: Command) => {
      const list = await ctx.client(cmd).villages();
      if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return void ctx.out(`${t('no villages yet')}\n${t('next')}: cunbox-cloud villages add <name>`);
      ctx.out(
        table(
          [{ head: 'id' }, { head: t('name'), min: 8, max: 40 }, { head: t('edges') }, { head: t('created'), drop: 1 }],
          list.map((v) => [v.id, v.name, v.edges, formatTime(v.createdAt, ctx.zone)]),
          { wide: o.wide },
        ),
      );
    });

  program
    .command('pair-code')
    .description(t('issue a one-time pairing code for a village (an edge trades it with cunbox cloud pair)'))
    .argument('<village>', t('village id or name'))
    .option('--json', t('machine-readable output'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud pair-code 3', 'cunbox-cloud pair-code 匡村 --json']))
    .action(async (ref: string, o: { json?: boolean }, cmd: Command) => {
      const client = ctx.client(cmd);
      const village = await client.village(ref);
      const code = await client.pairCode(village.id);
      if (o.json) return void ctx.out(JSON.stringify({ villageId: village.id, ...code }, null, 2));
      ctx.out(tf(t, 'pairing code for village #{id} {name}: {code}', { id: village.id, name: village.name, code: code.code }));
      ctx.out(tf(t, 'valid once, until {at}', { at: formatTime(code.expiresAt, ctx.zone) }));
      ctx.out(`${t('on the edge')}: cunbox cloud pair --url <${t('cloud address')}> --code ${code.code}`);
    });
}
