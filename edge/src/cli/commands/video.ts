import type { Command } from 'commander';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { openDatabase, type Db } from '../../db/database.ts';
import { systemClock } from '../../clock.ts';
import { silentLogger } from '../../log.ts';
import { CunboxError } from '../../errors.ts';
import { CameraRegistry } from '../../cameras/registry.ts';
import { TemplatedError } from '../../probe/problem.ts';
import { boxTimeZone, formatLocal, parseLocalTime } from '../../local-time.ts';
import { Layout } from '../../storage/layout.ts';
import { HoldStore } from '../../storage/holds.ts';
import { SegmentIndex } from '../../storage/segment-index.ts';
import { ExportQueue } from '../../playback/exports.ts';
import { parseRange } from '../../playback/range.ts';
import { tf } from '../i18n.ts';
import { nodeSpawner } from '../../ffmpeg/process.ts';
import { table, formatTime } from '../format.ts';
import { act, localizedHelp, resolveCamera } from './camera-support.ts';
import type { EdgeConfig } from '../../config/load.ts';

function open(ctx: CliContext, cmd: Command) {
  const config = resolveConfig(ctx.store(cmd), ctx.io.env);
  const layout = new Layout(config.dataDir);
  const db = openDatabase(layout.database);
  return { config, layout, db };
}

function withDb<T>(ctx: CliContext, cmd: Command, fn: (x: ReturnType<typeof open>) => Promise<T> | T): Promise<T> {
  const x = open(ctx, cmd);
  return Promise.resolve(fn(x)).finally(() => x.db.close());
}

/** --from/--to as a technician types them, read in the box's zone; errors show local times too. */
function cliRange(ctx: CliContext, config: EdgeConfig, o: { from: string; to: string }, oldestMs?: number | null) {
  const zone = boxTimeZone(config.timezone, ctx.io.env);
  const nowMs = Date.now();
  const from = parseLocalTime(o.from, { zone, nowMs, name: '--from' });
  const to = parseLocalTime(o.to, { zone, nowMs, name: '--to' });
  return { zone, range: parseRange(from, to, nowMs, { oldestMs, show: (ms) => formatLocal(ms, zone) }) };
}

function oldestFootage(db: Db): number | null {
  return (db.prepare('SELECT MIN(start_ms) AS m FROM segments').get() as { m: number | null }).m;
}

/** `cunbox holds …` and `cunbox export …`: evidence kept from the ring buffer, and cut out of it. */
export function registerVideo(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const timeHelp = t('time in the box\'s zone: 17:00 (today), 2026-11-30 17:00, 2026-11-30T17:00:00+08:00, -2h');
  const holds = localizedHelp(ctx, program.command('holds').description(t('evidence holds: footage the ring buffer must keep')), ['cunbox holds list', "cunbox holds add --camera 3 --from 08:00 --to 08:30 --reason '随手拍 #12'"]);
  localizedHelp(
    ctx,
    holds
      .command('list')
      .description(t('active holds (--all: released ones too)'))
      .option('--all', t('include released holds'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox holds list', 'cunbox holds list --all --wide', 'cunbox holds list --json'],
  ).action(act(ctx, (o: { all?: boolean; json?: boolean; wide?: boolean }, cmd: Command) =>
    withDb(ctx, cmd, ({ db, config }) => {
      const zone = boxTimeZone(config.timezone, ctx.io.env);
      const list = new HoldStore({ db, clock: systemClock }).list({ includeReleased: o.all ?? false });
      if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return void ctx.out(t('no holds'));
      const show = (ms: number | null) => formatTime(ms, zone, !o.wide);
      ctx.out(
        table(
          [{ head: '#' }, { head: t('camera') }, { head: t('from') }, { head: t('to') }, { head: t('reason'), max: 24, min: 6 }, { head: t('by'), drop: 2, max: 12 }, { head: t('released'), drop: 1 }],
          list.map((h) => [h.id, h.cameraId, show(h.startMs), show(h.endMs), h.reason, h.createdBy ?? '', show(h.releasedAt)]),
          { wide: o.wide ?? false },
        ),
      );
    }),
  ));
  localizedHelp(
    ctx,
    holds
      .command('add')
      .description(t("keep a camera's footage for a time range"))
      .requiredOption('--camera <id|name>', t('id or name'))
      .requiredOption('--from <time>', `${t('start')}: ${timeHelp}`)
      .requiredOption('--to <time>', t('end: same forms as --from'))
      .requiredOption('--reason <text>', t('why, e.g. 随手拍 #12 or a police request number'))
      .option('--json', t('print the hold as JSON')),
    ["cunbox holds add --camera 3 --from 08:00 --to 08:30 --reason '随手拍 #12'", "cunbox holds add --camera 东口 --from '2026-11-29 20:00' --to '2026-11-29 21:00' --reason '派出所调取'"],
  ).action(act(ctx, (o: { camera: string; from: string; to: string; reason: string; json?: boolean }, cmd: Command) =>
    withDb(ctx, cmd, ({ db, config }) => {
      const cam = resolveCamera(new CameraRegistry({ db, clock: systemClock }), o.camera);
      const { range } = cliRange(ctx, config, o);
      const h = new HoldStore({ db, clock: systemClock }).add({ cameraId: cam.id, startMs: range.fromMs, endMs: range.toMs, reason: o.reason, createdBy: `cli:${ctx.io.env.USER ?? 'unknown'}` });
      ctx.out(o.json ? JSON.stringify(h, null, 2) : `${t('hold added')}: #${h.id}`);
    }),
  ));
  localizedHelp(ctx, holds.command('release').argument('<id>', t('hold number (holds list shows them)')).description(t('release a hold (the record stays for the audit trail)')), ['cunbox holds release 4']).action(
    act(ctx, (id: string, _o: unknown, cmd: Command) =>
      withDb(ctx, cmd, ({ db }) => {
        if (!/^\d+$/.test(id)) throw new CunboxError('INVALID_INPUT', t('hold id: a number'));
        new HoldStore({ db, clock: systemClock }).release(Number(id));
        ctx.out(`${t('hold released')}: #${id}`);
      }),
    ),
  );

  localizedHelp(
    ctx,
    program
      .command('export')
      .description(t('cut an evidence MP4 (with a SHA-256 manifest) from recorded footage; puts a hold on the range'))
      .requiredOption('--camera <id|name>', t('id or name'))
      .requiredOption('--from <time>', `${t('start')}: ${timeHelp}`)
      .requiredOption('--to <time>', t('end: same forms as --from'))
      .requiredOption('--out <file>', t('MP4 to write; the manifest goes beside it as FILE.manifest.json'))
      .option('--reason <text>', t('why (kept with the hold and in the manifest)'), 'exported by a technician')
      .option('--json', t('print the finished job as JSON')),
    ["cunbox export --camera 3 --from 08:00 --to 08:05 --out /media/usb/gate.mp4 --reason '随手拍 #12'", "cunbox export --camera 东口 --from '2026-11-29 20:00' --to '2026-11-29 20:10' --out gate.mp4"],
  ).action(act(ctx, (o: { camera: string; from: string; to: string; out: string; reason: string; json?: boolean }, cmd: Command) =>
    withDb(ctx, cmd, async ({ db, layout, config }) => {
      const registry = new CameraRegistry({ db, clock: systemClock });
      const cam = resolveCamera(registry, o.camera);
      const { range, zone } = cliRange(ctx, config, o, oldestFootage(db));
      const holdStore = new HoldStore({ db, clock: systemClock });
      const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
      const queue = new ExportQueue({ db, layout, clock: systemClock, spawner: nodeSpawner, log: silentLogger(), holds: holdStore, index, cameraName: (id) => registry.get(id), ffmpegPath: config.recorder.ffmpegPath, maxActivePerUser: 100 });
      const job = (() => {
        try {
          return queue.enqueue({ cameraIds: [cam.id], range, reason: o.reason, createdBy: `cli:${ctx.io.env.USER ?? 'unknown'}` });
        } catch (err) {
          // The queue speaks UTC for the API; a technician reads the range in local time, as typed.
          if (err instanceof CunboxError && err.code === 'NO_FOOTAGE') {
            throw new TemplatedError('NO_FOOTAGE', 'camera {camera} has no footage between {from} and {to}', { camera: `#${cam.id} ${cam.name}`, from: formatLocal(range.fromMs, zone), to: formatLocal(range.toMs, zone) });
          }
          throw err;
        }
      })();
      const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true;
      const bar = tty ? new SingleBar({ format: `${t('export')} #${job.id} [{bar}] {percentage}%`, stream: ctx.io.stderr as never, hideCursor: true }) : undefined;
      bar?.start(100, 0);
      const timer = setInterval(() => {
        const p = Math.round((queue.get(job.id)?.progress ?? 0) * 100);
        if (bar) bar.update(p);
        else ctx.io.stderr.write(`export #${job.id}: ${p}%\n`);
      }, 500);
      queue.start({ recoverRunning: false });
      await queue.idle();
      clearInterval(timer);
      const done = queue.get(job.id)!;
      if (bar) {
        bar.update(Math.round(done.progress * 100));
        bar.stop();
      } else ctx.io.stderr.write(`export #${job.id}: ${Math.round(done.progress * 100)}%\n`);
      if (done.status !== 'done') throw new CunboxError('EXPORT_FAILED', done.error ?? `export ${done.status}`);
      const dir = queue.directory(job.id);
      await mkdir(dirname(o.out), { recursive: true });
      await copyFile(join(dir, `camera-${cam.id}.mp4`), o.out);
      await copyFile(join(dir, 'manifest.json'), `${o.out}.manifest.json`);
      if (o.json) ctx.out(JSON.stringify({ ...done, file: o.out, manifest: `${o.out}.manifest.json` }, null, 2));
      else {
        ctx.out(tf(t, 'export written: {file} ({bytes} bytes), manifest {manifest}', { file: o.out, bytes: (await stat(o.out)).size, manifest: `${o.out}.manifest.json` }));
        ctx.out(`  ${t('from')} ${formatLocal(range.fromMs, zone)} ${t('to')} ${formatLocal(range.toMs, zone)} (${zone})`);
      }
    }),
  ));
}
