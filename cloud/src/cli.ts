import { Command } from 'commander';
import { pino } from 'pino';
import { loadCloudConfig } from './config.ts';
import { Cloud } from './cloud.ts';
import { SystemdNotifier, openNotifySocket } from '@cunbox/shared';

/** `cunbox-cloud serve --config FILE`: runs until SIGINT/SIGTERM. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = new Command('cunbox-cloud').description('cunbox cloud: sync peer of village edges, pairing, phone API');
  program
    .command('serve')
    .requiredOption('-c, --config <file>', 'cloud config file')
    .action(async (opts: { config: string }) => {
      const log = pino({ level: process.env.CUNBOX_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'token', '*.token'] });
      const cloud = new Cloud({ config: loadCloudConfig(opts.config), log });
      const systemd = new SystemdNotifier({ transport: openNotifySocket(process.env, log), clock: { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) }, log, env: process.env, pid: process.pid, healthy: () => cloud.healthy() });
      await cloud.start();
      systemd.ready(cloud.statusLine());
      systemd.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      systemd.stopping();
      await cloud.stop();
      systemd.stop();
    });
  await program.parseAsync(argv, { from: 'user' });
  return 0;
}
