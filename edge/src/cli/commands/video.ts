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
import { Layout } from '../../storage/layout.ts';
import { HoldStore } from '../../storage/holds.ts';
import { SegmentIndex } from '../../storage/segment-index.ts';
import { ExportQueue } from '../../playback/exports.ts';
import { parseRange } from '../../playback/range.ts';
import { nodeSpawner } from '../../ffmpeg/process.ts';
import { table, formatTime } from '../format.ts';

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

function oldestFootage(db: Db): number | null {
  return (db.prepare('SELECT MIN(start_ms) AS m FROM segments').get() as { m: number | null }).m;
}

/** `cunbox holds …` and `cunbox export …`: evidence kept from the ring buffer, and cut out of it. */
export function registerVideo(program: Command, ctx: CliContext): void {
  const holds = program.command('holds').description(ctx.t('evidence holds: footage the ring buffer must keep'));
  holds
    .command('list')
    .description(ctx.t('active holds (--all: released ones too)'))
    .option('--all', 'include released holds')
    .option('--json', 'machine-readable output')
    .action((o: { all?: boolean; json?: boolean }, cmd: Command) =>
      withDb(ctx, cmd, ({ db }) => {
        const list = new HoldStore({ db, clock: systemClock }).list({ includeReleased: o.all ?? false });
        if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return void ctx.out(ctx.t('no holds'));
        ctx.out(table(['#', 'camera', 'from', 'to', 'reason', 'by', 'released'], list.map((h) => [h.id, h.cameraId, formatTime(h.startMs), formatTime(h.endMs), h.reason, h.createdBy ?? '', formatTime(h.releasedAt)])));
      }),
    );
  holds
    .command('add')
    .description(ctx.t('keep a camera\'s footage for a time range'))
    .requiredOption('--camera <id|name>', 'camera')
    .requiredOption('--from <time>', 'start: ISO 8601 with zone, or epoch ms')
    .requiredOption('--to <time>', 'end')
    .requiredOption('--reason <text>', 'why, e.g. 随手拍 #12 or a police request number')
    .option('--json', 'print the hold as JSON')
    .action((o: { camera: string; from: string; to: string; reason: string; json?: boolean }, cmd: Command) =>
      withDb(ctx, cmd, ({ db }) => {
        const cam = new CameraRegistry({ db, clock: systemClock }).resolve(o.camera);
        const range = parseRange(o.from, o.to, Date.now());
        const h = new HoldStore({ db, clock: systemClock }).add({ cameraId: cam.id, startMs: range.fromMs, endMs: range.toMs, reason: o.reason, createdBy: `cli:${ctx.io.env.USER ?? 'unknown'}` });
        ctx.out(o.json ? JSON.stringify(h, null, 2) : `${ctx.t('hold added')}: #${h.id}`);
      }),
    );
  holds
    .command('release <id>')
    .description(ctx.t('release a hold (the record stays for the audit trail)'))
    .action((id: string, _o: unknown, cmd: Command) =>
      withDb(ctx, cmd, ({ db }) => {
        if (!/^\d+$/.test(id)) throw new CunboxError('INVALID_INPUT', 'hold id: a number');
        new HoldStore({ db, clock: systemClock }).release(Number(id));
        ctx.out(`${ctx.t('hold released')}: #${id}`);
      }),
    );

  program
    .command('export')
    .description(ctx.t('cut an evidence MP4 (with a SHA-256 manifest) from recorded footage; puts a hold on the range'))
    .requiredOption('--camera <id|name>', 'camera')
    .requiredOption('--from <time>', 'start: ISO 8601 with zone, or epoch ms')
    .requiredOption('--to <time>', 'end')
    .requiredOption('--out <file>', 'MP4 to write; the manifest goes beside it as FILE.manifest.json')
    .option('--reason <text>', 'why (kept with the hold and in the manifest)', 'exported by a technician')
    .option('--json', 'print the finished job as JSON')
    .addHelpText('after', '\nExample:\n  cunbox export --camera 3 --from 2026-11-29T08:00:00+08:00 --to 2026-11-29T08:05:00+08:00 --out /media/usb/gate.mp4 --reason "随手拍 #12"')
    .action((o: { camera: string; from: string; to: string; out: string; reason: string; json?: boolean }, cmd: Command) =>
      withDb(ctx, cmd, async ({ db, layout, config }) => {
        const registry = new CameraRegistry({ db, clock: systemClock });
        const cam = registry.resolve(o.camera);
        const range = parseRange(o.from, o.to, Date.now(), { oldestMs: oldestFootage(db) });
        const holdStore = new HoldStore({ db, clock: systemClock });
        const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
        const queue = new ExportQueue({ db, layout, clock: systemClock, spawner: nodeSpawner, log: silentLogger(), holds: holdStore, index, cameraName: (id) => registry.get(id), ffmpegPath: config.recorder.ffmpegPath, maxActivePerUser: 100 });
        const job = queue.enqueue({ cameraIds: [cam.id], range, reason: o.reason, createdBy: `cli:${ctx.io.env.USER ?? 'unknown'}` });
        const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true;
        const bar = tty ? new SingleBar({ format: `export #${job.id} [{bar}] {percentage}%`, stream: ctx.io.stderr as never, hideCursor: true }) : undefined;
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
        else ctx.out(`${ctx.t('export written')}: ${o.out} (${(await stat(o.out)).size} bytes), manifest ${o.out}.manifest.json`);
      }),
    );
}
