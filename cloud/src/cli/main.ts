/**
 * `cunbox-cloud`: the cloud operator's CLI. `serve` runs the cloud; the other
 * commands talk to a running one over its operator HTTP API (operator-client.ts).
 * Same conventions as the edge's `cunbox` (docs/design/cli.md): zh-CN under a
 * Chinese LANG, English otherwise; local time; 80-column tables; --json;
 * documented exit statuses.
 */
import { Command, CommanderError } from 'commander';
import { boxTimeZone, detectLang, examplesHelp, exitCodesHelp, localizeCommander, tf } from '@cunbox/shared/cli';
import { cloudTranslator } from './i18n.ts';
import { CliError } from './cli-error.ts';
import { CLOUD_EXIT_CODES } from './exit-codes.ts';
import { operatorClient, type CloudCliContext, type CloudCliIo } from './context.ts';
import { registerServe } from './commands/serve.ts';
import { registerVillages } from './commands/villages.ts';
import { registerEdges } from './commands/edges.ts';
import { registerMoveVillage } from './commands/move-village.ts';

const EXAMPLES = [
  'cunbox-cloud serve --config /etc/cunbox-cloud/config.yaml',
  'cunbox-cloud villages add 匡村',
  'cunbox-cloud villages list',
  'cunbox-cloud pair-code 匡村',
  'cunbox-cloud edges --village 匡村',
  'cunbox-cloud revoke 00000000000000e1',
  'cunbox-cloud move-village --from-config old.yaml --to-config pg.yaml --village 3',
  'cunbox-cloud edges --url http://127.0.0.1:8090 --token-file var/demo/cloud/operator-token',
];

/** Runs the CLI; returns the exit status instead of exiting, so tests can call it. */
export async function run(argv: readonly string[], io: CloudCliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const lang = detectLang(io.env);
  const t = cloudTranslator(lang);
  const ctx: CloudCliContext = {
    io,
    t,
    out: (s) => void io.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
    zone: boxTimeZone(undefined, io.env),
    client: (cmd) => operatorClient(cmd, io.env),
  };
  const program = new Command('cunbox-cloud');
  // Before any subcommand exists: they inherit the localised help and errors.
  localizeCommander(program, lang, t, { out: (s) => void io.stdout.write(s), err: (s) => void io.stderr.write(s) });
  program
    .description(t('cunbox cloud: villages, pairing of edges, sync, phone API'))
    .option('-c, --config <file>', t('cloud config file: the address and operator token of the cloud (default: $CUNBOX_CLOUD_CONFIG or /etc/cunbox-cloud/config.yaml)'))
    .option('--url <url>', t('the running cloud, e.g. http://127.0.0.1:8090 (default: $CUNBOX_CLOUD_URL, or from the config)'))
    .option('--token-file <file>', t('file holding the operator token (default: $CUNBOX_CLOUD_TOKEN_FILE, or from the config)'))
    .addHelpText('after', examplesHelp(t, EXAMPLES) + exitCodesHelp(t, CLOUD_EXIT_CODES))
    .exitOverride()
    .showHelpAfterError();

  registerServe(program, ctx);
  registerVillages(program, ctx);
  registerEdges(program, ctx);
  registerMoveVillage(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 64;
    if (err instanceof CliError) {
      io.stderr.write(`${t('error')}: ${tf(t, err.template, err.vars)}\n`);
      if (err.hint) io.stderr.write(`  ${t('hint')}: ${t(err.hint)}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${t('error')}: ${(err as Error).message}\n`);
    return 70;
  }
}
