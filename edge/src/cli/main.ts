import { Command, CommanderError } from 'commander';
import { CunboxError } from '../errors.ts';
import type { CliContext, CliIo } from './command-context.ts';
import { detectLang, translator } from './i18n.ts';
import { localizeCommander } from '@cunbox/shared/cli';
import { exitCodesHelp } from './exit-codes.ts';
import { examplesHelp } from './commands/camera-support.ts';
import type { StoreOptions } from './context.ts';
import { registerServe } from './commands/serve.ts';
import { registerCameras } from './commands/cameras.ts';
import { registerCheck } from './commands/check.ts';
import { registerStorage } from './commands/storage.ts';
import { registerUsers } from './commands/users.ts';
import { registerKiosk } from './commands/kiosk.ts';
import { registerInit } from './commands/init.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerVideo } from './commands/video.ts';
import { registerCloud } from './commands/cloud.ts';
import { registerAudit } from './commands/audit.ts';
import { registerTls } from './commands/tls.ts';
import { registerBackup } from './commands/backup.ts';

export type { CliIo };

const EXAMPLES = [
  'cunbox init',
  'cunbox doctor',
  'cunbox serve --config /etc/cunbox/config.yaml',
  'cunbox cameras discover --interface eth1 --csv cameras.csv',
  'cunbox cameras import cameras.csv',
  "cunbox cameras add --onvif 192.0.2.10 --user admin --password '***' --name 路口卡口-东口 --zone 东口",
  'cunbox cameras test --all',
  'cunbox cameras list --json',
  'cunbox storage status',
  'cunbox check --repair',
  "cunbox export --camera 3 --from '2026-11-29 08:00' --to '2026-11-29 08:05' --out gate.mp4",
  'cunbox holds list',
  'cunbox backup --to /mnt/usb',
  'cunbox restore /mnt/usb/cunbox-backup-20261130-033000',
  'cunbox version',
];

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const lang = detectLang(io.env);
  const t = translator(lang);
  let exitCode = 0;
  const ctx: CliContext = {
    io,
    t,
    out: (s) => void io.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
    fail: (code) => void (exitCode = code),
    store: (cmd) => cmd.optsWithGlobals() as StoreOptions & Record<string, unknown>,
  };

  const program = new Command('cunbox');
  // Before any subcommand exists: they inherit the localised help and errors.
  localizeCommander(program, lang, t, { out: (s) => void io.stdout.write(s), err: (s) => void io.stderr.write(s) });
  program
    .description(t('cunbox edge: records village cameras and runs village governance'))
    .option('-c, --config <file>', t('config file (default: $CUNBOX_CONFIG or /etc/cunbox/config.yaml)'))
    .option('--data-dir <dir>', t('data directory, when there is no config file'))
    .addHelpText('after', examplesHelp(t, EXAMPLES) + exitCodesHelp(t))
    .exitOverride()
    .showHelpAfterError();

  // One module per command group; each registers its subcommands.
  registerServe(program, ctx);
  registerCameras(program, ctx);
  registerCheck(program, ctx);
  registerStorage(program, ctx);
  registerUsers(program, ctx);
  registerKiosk(program, ctx);
  registerInit(program, ctx);
  registerDoctor(program, ctx);
  registerVideo(program, ctx);
  registerCloud(program, ctx);
  registerAudit(program, ctx);
  registerTls(program, ctx);
  registerBackup(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 64;
    if (err instanceof CunboxError) {
      io.stderr.write(`${t('error')}: ${err.message}\n`);
      for (const d of err.details) io.stderr.write(`  ${d}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${t('error')}: ${(err as Error).message}\n`);
    return 70;
  }
}
