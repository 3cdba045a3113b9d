import { Command, CommanderError, Option } from 'commander';
import type { Writable } from 'node:stream';
import { Edge } from '../edge.ts';
import { createLogger, silentLogger } from '../log.ts';
import { systemClock } from '../clock.ts';
import { openDatabase } from '../db/database.ts';
import { CameraRegistry, type Camera } from '../cameras/registry.ts';
import { CunboxError } from '../errors.ts';
import { Layout } from '../storage/layout.ts';
import { SegmentIndex } from '../storage/segment-index.ts';
import { reconcile } from '../storage/reconcile.ts';
import { lockHolder } from '../storage/lock.ts';
import { storageStatus } from '../storage/status.ts';
import { statfsDiskUsage } from '../storage/disk.ts';
import { resolveConfig, type StoreOptions } from './context.ts';
import { detectLang, translator } from './i18n.ts';
import { formatBitrate, formatBytes, formatTime, table } from './format.ts';
import { mkdirSync } from 'node:fs';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process should stop (serve); SIGINT/SIGTERM by default. */
  shutdownSignal?: () => Promise<string>;
}

const EXAMPLES = `
Examples:
  cunbox serve --config /etc/cunbox/config.yaml
  cunbox cameras add --name 路口卡口-东口 --main rtsp://192.0.2.10/main --user admin --password '***' --zone 东口
  cunbox cameras list --json
  cunbox storage status
  cunbox check --repair`;

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const t = translator(detectLang(io.env));
  const out = (s: string) => io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  let exitCode = 0;

  const program = new Command('cunbox')
    .description('cunbox edge: records village cameras and runs village governance')
    .option('-c, --config <file>', 'config file (default: $CUNBOX_CONFIG or /etc/cunbox/config.yaml)')
    .option('--data-dir <dir>', 'data directory, when there is no config file')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  const store = (cmd: Command) => cmd.optsWithGlobals() as StoreOptions & Record<string, unknown>;

  program
    .command('serve')
    .description('run the edge: record every enabled camera, keep the ring buffer')
    .action(async (_o, cmd: Command) => {
      const config = resolveConfig(store(cmd), io.env);
      const log = createLogger({ level: config.logLevel });
      const edge = new Edge({ config, log });
      await edge.start();
      const signal = await (io.shutdownSignal ?? waitForSignal)();
      log.info({ signal }, 'stopping');
      await edge.stop();
      log.info('stopped');
    });

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
      withRegistry(store(cmd), (registry) => {
        const cam = registry.add({
          name: String(o.name),
          mainUrl: String(o.main),
          subUrl: (o.sub as string | undefined) ?? null,
          username: (o.user as string | undefined) ?? null,
          password: (o.password as string | undefined) ?? null,
          zone: (o.zone as string | undefined) ?? null,
          retentionDays: (o.retentionDays as number | undefined) ?? null,
        });
        if (o.json) out(JSON.stringify(cam, null, 2));
        else out(`${t('camera added')}: #${cam.id} ${cam.name}`);
      });
    });
  cameras
    .command('list')
    .description('list cameras (passwords are never shown)')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }, cmd: Command) => {
      withRegistry(store(cmd), (registry) => {
        const list = registry.list();
        if (o.json) return void out(JSON.stringify(list, null, 2));
        if (list.length === 0) return void out(t('no cameras'));
        out(
          table(
            [t('id'), t('name'), t('zone'), t('main URL'), t('user'), t('enabled'), t('retention')],
            list.map((c: Camera) => [c.id, c.name, c.zone ?? '', c.mainUrl, c.username ?? '', c.enabled ? t('yes') : t('no'), c.retentionDays ?? t('default')]),
          ),
        );
      });
    });

  program
    .command('check')
    .description('verify that the segment index and the files on disk agree')
    .option('--repair', 'mend what is wrong (the edge must be stopped)')
    .option('--json', 'machine-readable output')
    .action(async (o: { repair?: boolean; json?: boolean }, cmd: Command) => {
      const config = resolveConfig(store(cmd), io.env);
      const layout = new Layout(config.dataDir);
      const running = lockHolder(layout.lockFile);
      if (o.repair && running !== undefined) {
        throw new CunboxError('EDGE_RUNNING', `the edge (pid ${running}) is running; stop it first (systemctl stop cunbox-edge): it repairs at start-up by itself`);
      }
      const db = openDatabase(layout.database);
      try {
        const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
        const report = await reconcile({ db, layout, index, log: silentLogger() }, { repair: o.repair ?? false, skipIncoming: running !== undefined });
        const open = report.findings.filter((f) => !f.repaired);
        if (o.json) out(JSON.stringify({ ...report, ok: open.length === 0, edgeRunning: running !== undefined }, null, 2));
        else {
          if (running !== undefined) out(t('edge running; incoming segments skipped'));
          if (report.findings.length === 0) out(`${t('check passed')} (${report.rowsChecked} rows, ${report.filesChecked} files)`);
          else {
            out(table(['', 'camera', 'path', 'detail'], report.findings.map((f) => [f.repaired ? t('repaired') : '✗', f.cameraId ?? '', f.path, `${f.kind}: ${f.detail}`])));
            if (open.length > 0) out(`${t('problems found')}: ${open.length}. ${t('run with --repair to mend them (stop the edge first)')}`);
          }
        }
        if (open.length > 0) exitCode = 1;
      } finally {
        db.close();
      }
    });

  const storage = program.command('storage').description('recording storage');
  storage
    .command('status')
    .description('bytes, oldest and newest footage and bitrate per camera; days the disk holds')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const config = resolveConfig(store(cmd), io.env);
      const layout = new Layout(config.dataDir);
      mkdirSync(layout.recordings, { recursive: true });
      const db = openDatabase(layout.database);
      try {
        const status = storageStatus({ db }, await statfsDiskUsage(layout.recordings), config.retention);
        if (o.json) return void out(JSON.stringify(status, null, 2));
        out(
          table(
            [t('id'), t('name'), t('segments'), t('size'), t('oldest'), t('newest'), t('bitrate')],
            status.cameras.map((c) => [c.cameraId, c.name ?? '?', c.segments, formatBytes(c.bytes), formatTime(c.oldestMs), formatTime(c.newestMs), formatBitrate(c.bitrateBps)]),
          ),
        );
        out(
          `${t('recordings')}: ${formatBytes(status.totalBytes)}  ${t('disk')}: ${formatBytes(status.disk.totalBytes)}, ${t('free')} ${formatBytes(status.disk.freeBytes)}, ${t('reserved')} ${formatBytes(status.reservedBytes)}`,
        );
        out(`${t('days at current bitrate')}: ${status.daysAtCurrentBitrate === null ? '-' : status.daysAtCurrentBitrate.toFixed(1)}`);
      } finally {
        db.close();
      }
    });

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

function withRegistry(opts: StoreOptions, fn: (r: CameraRegistry) => void): void {
  const config = resolveConfig(opts);
  const db = openDatabase(new Layout(config.dataDir).database);
  try {
    fn(new CameraRegistry({ db, clock: systemClock }));
  } finally {
    db.close();
  }
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => resolve(sig);
    process.once('SIGINT', () => on('SIGINT'));
    process.once('SIGTERM', () => on('SIGTERM'));
  });
}
