import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { createLogger } from '../../log.ts';
import { act, localizedHelp } from './camera-support.ts';
import { systemClock } from '../../clock.ts';
import { SystemdNotifier, openNotifySocket } from '@cunbox/shared';

/** How often `systemctl status` learns how many cameras record (only changes are sent). */
const STATUS_EVERY_MS = 10_000;

export function registerServe(program: Command, ctx: CliContext): void {
  localizedHelp(ctx, program.command('serve').description(ctx.t('run the edge: record every enabled camera, keep the ring buffer')), ['cunbox serve --config /etc/cunbox/config.yaml']).action(
    act(ctx, async (_o: unknown, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const log = createLogger({ level: config.logLevel });
      // Loaded here, not at the top: the edge pulls in fastify, MQTT, sharp… which no other command needs.
      const { Edge } = await import('../../edge.ts');
      const edge = new Edge({ config, log });
      const systemd = new SystemdNotifier({ transport: openNotifySocket(ctx.io.env, log), clock: systemClock, log: log.child({ module: 'systemd' }), env: ctx.io.env, pid: process.pid, healthy: () => edge.healthy() });
      await edge.start();
      // READY only now: reconciliation is done, the recorders and the API are up.
      systemd.ready(edge.statusLine());
      systemd.start();
      const statusTimer = setInterval(() => systemd.status(edge.statusLine()), STATUS_EVERY_MS);
      const signal = await (ctx.io.shutdownSignal ?? waitForSignal)();
      log.info({ signal }, 'stopping');
      systemd.stopping();
      clearInterval(statusTimer);
      const { pending } = await edge.stop();
      systemd.stop();
      if (pending.length > 0) {
        // Parts still running hold the event loop open: exit so systemd can restart a clean edge.
        log.error({ pending, stopTimeoutSeconds: (config.stopTimeoutMs ?? 0) / 1000 }, `stop deadline passed with work pending: ${pending.join('; ')}`);
        ctx.fail(1);
        (ctx.io.exit ?? process.exit)(1);
        return;
      }
      log.info('stopped');
    }),
  );

}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => resolve(sig);
    process.once('SIGINT', () => on('SIGINT'));
    process.once('SIGTERM', () => on('SIGTERM'));
  });
}
