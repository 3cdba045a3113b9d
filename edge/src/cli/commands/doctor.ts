import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { tf } from '../i18n.ts';
import { padDisplay } from '../format.ts';
import { runDoctor, type CheckResult, type Verdict } from '../../doctor/checks.ts';
import { edgePorts, type PortUse } from '../../doctor/ports.ts';
import { act, localizedHelp, numberIn } from './camera-support.ts';

const MARK: Record<Verdict, string> = { pass: '✓', warn: '!', fail: '✗' };
const LABEL: Record<CheckResult['id'], string> = { ffmpeg: 'ffmpeg', disk: 'data disk', time: 'time sync', cameras: 'cameras', database: 'database', ports: 'ports', api: 'HTTP API', 'disk-health': 'disk health', inodes: 'inodes', watchdog: 'watchdog', backups: 'backups' };

export function registerDoctor(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    program
      .command('doctor')
      .description(t('check this box: ffmpeg, data disk, time sync, cameras, database, ports, disk health, inodes, watchdog, backups; each with a fix'))
      .option('--port <port...>', t('more ports to check (the HTTP API port of the config is always checked)'), collectPorts, [] as number[])
      .option('--json', t('machine-readable output')),
    ['cunbox doctor', 'cunbox doctor --json', 'cunbox doctor --port 8080 8443'],
  ).action(act(ctx, async (o: { port: number[]; json?: boolean }, cmd: Command) => {
    const config = resolveConfig(ctx.store(cmd), ctx.io.env);
    const ports: PortUse[] = [...edgePorts(config), ...o.port.map((port) => ({ port, use: 'edge' }))];
    const results = await runDoctor({ config, env: { ...process.env, ...ctx.io.env }, ports });
    const localized = results.map((r) => ({
      ...r,
      message: tf(t, r.message, r.vars),
      hint: r.hint === null ? null : tf(t, r.hint, r.vars),
    }));
    if (o.json) ctx.out(JSON.stringify(localized, null, 2));
    else {
      for (const r of localized) {
        ctx.out(`${MARK[r.verdict]} ${padDisplay(t(r.verdict), 6)} ${padDisplay(t(LABEL[r.id]), 10)} ${r.message}`);
        for (const d of r.details) ctx.out(`    ${d}`);
        if (r.hint && r.verdict !== 'pass') ctx.out(`    → ${r.hint}`);
      }
      const failed = results.filter((r) => r.verdict === 'fail').length;
      const warned = results.filter((r) => r.verdict === 'warn').length;
      ctx.out(tf(t, '{fail} failed, {warn} warnings, {pass} passed', { fail: failed, warn: warned, pass: results.length - failed - warned }));
    }
    if (results.some((r: CheckResult) => r.verdict === 'fail')) ctx.fail(1);
  }));
}

function collectPorts(v: string, acc: number[]): number[] {
  return [...acc, numberIn(1, 65535, true)(v)];
}
