/** `cunbox-cloud serve --config FILE`: runs the cloud until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { SystemdNotifier, openNotifySocket } from '@cunbox/shared';
import { examplesHelp } from '@cunbox/shared/cli';
import { loadCloudConfig } from '../../config.ts';
import { createCloudLogger } from '../../log.ts';
import { Cloud } from '../../cloud.ts';
import type { CloudCliContext } from '../context.ts';
import { CliError } from '../cli-error.ts';

export function registerServe(program: Command, ctx: CloudCliContext): void {
  const { t } = ctx;
  program
    .command('serve')
    .description(t('run the cloud: HTTP API, MQTT broker, sync with the edges'))
    .addHelpText('after', examplesHelp(t, ['cunbox-cloud serve --config /etc/cunbox-cloud/config.yaml']))
    .action(async (_o: unknown, cmd: Command) => {
      // The global --config, required here: serve never guesses which data directory to open.
      const file = (cmd.optsWithGlobals() as { config?: string }).config;
      if (!file) throw new CliError('INVALID_INPUT', 'serve needs --config FILE');
      const log = createCloudLogger();
      const cloud = new Cloud({ config: loadCloudConfig(file), log });
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
}
