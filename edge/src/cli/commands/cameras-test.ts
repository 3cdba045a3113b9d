import { Option, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { tf } from '../i18n.ts';
import { formatOffset, progress, table, TABLE_WIDTH, truncateDisplay, wrapText } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import { testCamera } from '../../probe/provision.ts';
import { describeProbe } from '../../probe/stream.ts';
import { mapLimit } from '../../probe/pool.ts';
import type { StreamProbe } from '../../probe/types.ts';
import { act, resolveCamera, localizeError, localizedHelp, numberIn, probeSettings, withStore } from './camera-support.ts';

interface TestOptions {
  all?: boolean;
  wide?: boolean;
  json?: boolean;
  parallel: number;
  probeSeconds?: number;
  timeout?: number;
}

interface TestRow {
  id: number;
  name: string;
  enabled: boolean;
  ok: boolean;
  /** Error code of the problem (same as the exit code table), null when ok. */
  code: string | null;
  message: string | null;
  hint: string | null;
  main: StreamProbe | null;
  sub: StreamProbe | null;
  clockOffsetMs: number | null;
}

export function registerCameraTest(cameras: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    cameras
      .command('test')
      .description(t('probe cameras now, in parallel: streams (codec, size, fps, bitrate, GOP, B-frames) and camera clock'))
      .argument('[cameras...]', t('ids or names'))
      .option('--all', t('every camera'))
      .addOption(new Option('--parallel <n>', t('cameras probed at once')).argParser(numberIn(1, 128, true)).default(16))
      .addOption(new Option('--probe-seconds <s>', t('seconds of video to read from each stream')).argParser(numberIn(1, 60)).default(5))
      .addOption(new Option('--timeout <s>', t('seconds to wait for each ONVIF reply')).argParser(numberIn(1, 60)).default(5))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox cameras test --all', 'cunbox cameras test 3 cam04', 'cunbox cameras test --all --wide', 'cunbox cameras test --all --json'],
  ).action(act(ctx, async (refs: string[], o: TestOptions, cmd: Command) => {
    if (refs.length === 0 && !o.all) throw new CunboxError('INVALID_INPUT', t('name the cameras to test, or pass --all'));
    if (refs.length > 0 && o.all) throw new CunboxError('INVALID_INPUT', t('give camera names or --all, not both'));
    await withStore(ctx, cmd, async ({ registry, config }) => {
      const ids = o.all ? registry.list().map((c) => c.id) : [...new Set(refs.map((r) => resolveCamera(registry, r).id))];
      if (ids.length === 0) return void ctx.out(t('no cameras'));
      const settings = { ...probeSettings(o, config), ignoreClock: false };
      const bar = progress(ctx.io.stderr, ids.length, t('testing'));
      const rows = await mapLimit(ids, o.parallel, async (id): Promise<TestRow> => {
        const cam = registry.withSecrets(id)!;
        const base = { id, name: cam.name, enabled: cam.enabled };
        try {
          const r = await testCamera(cam, settings);
          registry.setProbe(id, r.probe);
          bar.done(cam.name, true);
          return { ...base, ok: true, code: null, message: null, hint: null, main: r.probe.main, sub: r.probe.sub, clockOffsetMs: r.clockOffsetMs };
        } catch (err) {
          bar.done(cam.name, false);
          if (!(err instanceof CunboxError)) throw err;
          return { ...base, ok: false, ...localizeError(ctx, err), main: null, sub: null, clockOffsetMs: null };
        }
      });
      bar.stop();
      const failed = rows.filter((r) => !r.ok);
      if (o.json) ctx.out(JSON.stringify(rows, null, 2));
      else {
        ctx.out(o.wide ? wideResults(ctx, rows) : narrowResults(ctx, rows));
        ctx.out(tf(t, '{ok} of {n} cameras ok', { ok: rows.length - failed.length, n: rows.length }));
      }
      if (failed.length > 0) ctx.fail(1);
    });
  }));
}

const nameOf = (ctx: CliContext, r: TestRow) => (r.enabled ? r.name : `${r.name} (${ctx.t('disabled')})`);

/** Every column, the problem and its fix in the last one: for a wide terminal or a file. */
function wideResults(ctx: CliContext, rows: TestRow[]): string {
  const { t } = ctx;
  return table(
    [t('id'), t('name'), t('result'), t('main stream'), t('sub stream'), t('camera clock'), t('what to do')],
    rows.map((r) => [
      r.id,
      nameOf(ctx, r),
      r.ok ? `✓ ${t('ok')}` : `✗ ${r.code}`,
      r.main ? describeProbe(r.main) : '-',
      r.sub ? describeProbe(r.sub) : '-',
      r.clockOffsetMs === null ? '-' : formatOffset(r.clockOffsetMs),
      r.ok ? '' : wrapText(`${r.message}${r.hint ? `\n${t('hint')}: ${r.hint}` : ''}`, 60),
    ]),
    { wide: true },
  );
}

/** 80 columns: a short table, then each failed camera's problem and fix as wrapped lines below it. */
function narrowResults(ctx: CliContext, rows: TestRow[]): string {
  const { t } = ctx;
  const summary = table(
    [
      { head: t('id') },
      { head: t('name'), max: 16, min: 6 },
      { head: t('result') },
      { head: t('main stream'), wrap: true, max: 30, min: 12 },
      { head: t('sub stream'), wrap: true, max: 30, drop: 2 },
      { head: t('camera clock'), drop: 1 },
    ],
    rows.map((r) => [
      r.id,
      nameOf(ctx, r),
      r.ok ? `✓ ${t('ok')}` : `✗ ${t('fail')}`,
      r.main ? describeProbe(r.main) : '-',
      r.sub ? describeProbe(r.sub) : '-',
      r.clockOffsetMs === null ? '-' : formatOffset(r.clockOffsetMs),
    ]),
  );
  const notes = rows
    .filter((r) => !r.ok)
    .map((r) => {
      const body = wrapText(`${r.message}${r.hint ? `\n${t('hint')}: ${r.hint}` : ''}`, TABLE_WIDTH - 2)
        .split('\n')
        .map((l) => `  ${truncateDisplay(l, TABLE_WIDTH - 2)}`);
      return [truncateDisplay(`✗ #${r.id} ${nameOf(ctx, r)}  ${r.code}`, TABLE_WIDTH), ...body].join('\n');
    });
  return [summary, ...notes].join('\n');
}
