import { Command } from 'commander';
import { pino } from 'pino';
import { loadCloudConfig } from './config.ts';
import { Cloud } from './cloud.ts';

/** `cunbox-cloud serve --config FILE`: runs until SIGINT/SIGTERM. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = new Command('cunbox-cloud').description('cunbox cloud: sync peer of village edges, pairing, phone API');
  program
    .command('serve')
    .requiredOption('-c, --config <file>', 'cloud config file')
    .action(async (opts: { config: string }) => {
      const log = pino({ level: process.env.CUNBOX_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'token', '*.token'] });
      const cloud = new Cloud({ config: loadCloudConfig(opts.config), log });
      await cloud.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await cloud.stop();
    });
  await program.parseAsync(argv, { from: 'user' });
  return 0;
}
