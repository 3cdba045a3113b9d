import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { Option } from 'commander';
import { openDatabase } from '../../db/database.ts';
import { CameraRegistry, type Camera } from '../../cameras/registry.ts';
import { systemClock } from '../../clock.ts';
import { Layout } from '../../storage/layout.ts';
import type { StoreOptions } from '../context.ts';
import { table } from '../format.ts';

export function registerCameras(program: Command, ctx: CliContext): void {
  const cameras = program.command('cameras').description('manage cameras');
  cameras
    .command('add')
    .description('add a camera by its RTSP URLs')
    .requiredOption('--name <name>', 'unique name, e.g. 路口卡口-东口')
    .requiredOption('--main <url>', 'main stream rtsp:// URL (recorded)')
    .option('--sub <url>', 'sub stream rtsp:// URL (snapshots, motion)')
    .option('--user <user>', 'camera user name')
    .option('--password <password>', 'camera password (stored, never shown)')
    .option('--zone <zone>', 'place label, e.g. 东口')
    .addOption(new Option('--retention-days <days>', 'keep this camera this many days').argParser(Number))
    .option('--json', 'print the camera as JSON')
    .action((o: Record<string, string | number | boolean | undefined>, cmd: Command) => {
      withRegistry(ctx.store(cmd), ctx.io.env, (registry) => {
        const cam = registry.add({
          name: String(o.name),
          mainUrl: String(o.main),
          subUrl: (o.sub as string | undefined) ?? null,
          username: (o.user as string | undefined) ?? null,
          password: (o.password as string | undefined) ?? null,
          zone: (o.zone as string | undefined) ?? null,
          retentionDays: (o.retentionDays as number | undefined) ?? null,
        });
        if (o.json) ctx.out(JSON.stringify(cam, null, 2));
        else ctx.out(`${ctx.t('camera added')}: #${cam.id} ${cam.name}`);
      });
    });
  cameras
    .command('list')
    .description('list cameras (passwords are never shown)')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }, cmd: Command) => {
      withRegistry(ctx.store(cmd), ctx.io.env, (registry) => {
        const list = registry.list();
        if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return void ctx.out(ctx.t('no cameras'));
        ctx.out(
          table(
            [ctx.t('id'), ctx.t('name'), ctx.t('zone'), ctx.t('main URL'), ctx.t('user'), ctx.t('enabled'), ctx.t('retention')],
            list.map((c: Camera) => [c.id, c.name, c.zone ?? '', c.mainUrl, c.username ?? '', c.enabled ? ctx.t('yes') : ctx.t('no'), c.retentionDays ?? ctx.t('default')]),
          ),
        );
      });
    });

}

function withRegistry(opts: StoreOptions, env: NodeJS.ProcessEnv, fn: (r: CameraRegistry) => void): void {
  const config = resolveConfig(opts, env);
  const db = openDatabase(new Layout(config.dataDir).database);
  try {
    fn(new CameraRegistry({ db, clock: systemClock }));
  } finally {
    db.close();
  }
}

