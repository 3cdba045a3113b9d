import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { tf } from '../i18n.ts';
import { progress, table, wrapText } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import type { CameraDetails, CameraInput, CameraRegistry, CameraWithSecrets } from '../../cameras/registry.ts';
import { camerasToCsv, parseCameraCsv, type CsvCamera } from '../../cameras/csv.ts';
import { provisionCamera, type Provisioned } from '../../probe/provision.ts';
import { mapLimit } from '../../probe/pool.ts';
import { act, localizeError, localizedHelp, numberIn, probeSettings, withStore } from './camera-support.ts';
import { EXIT_INTERRUPTED, trapInterrupt, unlessAborted } from '../interrupt.ts';

interface ImportOptions {
  user?: string;
  password?: string;
  parallel: number;
  probe?: boolean;
  probeSeconds?: number;
  timeout?: number;
  ignoreClock?: boolean;
  json?: boolean;
  wide?: boolean;
}

/** skipped: not processed, the import was interrupted (Ctrl-C) first. */
type RowResult = 'added' | 'updated' | 'unchanged' | 'failed' | 'skipped';

interface ImportRow {
  line: number;
  name: string;
  result: RowResult;
  id: number | null;
  code: string | null;
  message: string | null;
  hint: string | null;
}

export function registerCameraImportExport(cameras: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    cameras
      .command('import')
      .description(t('add or update cameras from a CSV file (name,zone,onvif,main,sub,user,password); importing again updates, never duplicates'))
      .argument('<file>', t('CSV file; the first line names the columns'))
      .option('--user <user>', t('user for rows that have none'))
      .option('--password <password>', t('password for rows that have none (never shown)'))
      .addOption(new Option('--parallel <n>', t('cameras provisioned at once')).argParser(numberIn(1, 128, true)).default(16))
      .option('--no-probe', t('save without probing the streams (ONVIF is still read)'))
      .option('--ignore-clock', t('add even if the camera clock is more than 10 s off'))
      .addOption(new Option('--probe-seconds <s>', t('seconds of video to read from each stream')).argParser(numberIn(1, 60)).default(5))
      .addOption(new Option('--timeout <s>', t('seconds to wait for each ONVIF reply')).argParser(numberIn(1, 60)).default(5))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    [
      'cunbox cameras import cameras.csv',
      "cunbox cameras import cameras.csv --user admin --password '***' --parallel 32",
      'cunbox cameras export > cameras.csv   # edit, then import again',
    ],
  ).action(act(ctx, async (file: string, o: ImportOptions, cmd: Command) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CunboxError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', tf(t, 'cannot read {file}: {reason}', { file, reason: code ?? (err as Error).message }));
    }
    const { rows } = parseCameraCsv(bytes, file);
    // Ctrl-C stops the probing, not the import: the rows that passed are still
    // saved and the summary says what was not done, so the file can be run again.
    const interrupt = trapInterrupt();
    const stop = interrupt.signal;
    try {
      await withStore(ctx, cmd, async ({ registry, config, db }) => {
        const settings = { ...probeSettings(o, config), signal: stop };
        const bar = progress(ctx.io.stderr, rows.length, t('importing'));
        // Probing runs in parallel; writes follow in file order, so ids follow the file.
        const probed = await mapLimit(rows, o.parallel, async (row) => {
          if (stop.aborted) return { row, skipped: true as const };
          try {
            const existing = matchExisting(ctx, registry, row, config.file);
            const creds = {
              username: row.user ?? o.user ?? existing?.username ?? null,
              // Empty in the file (an export without secrets): keep what is stored.
              password: row.password ?? o.password ?? existing?.password ?? null,
            };
            const source = row.onvif ? { kind: 'onvif' as const, target: row.onvif } : { kind: 'rtsp' as const, main: row.main!, sub: row.sub };
            // ONVIF requests cannot be cancelled: a row in progress is left to finish unobserved.
            const got = await unlessAborted(provisionCamera(source, creds, settings), stop, () => null);
            if (!got) return { row, skipped: true as const };
            bar.done(row.name, true);
            return { row, got };
          } catch (err) {
            if (stop.aborted) return { row, skipped: true as const };
            bar.done(row.name, false);
            // One camera's failure is its row's result; anything else is a bug and stops the import.
            if (err instanceof CunboxError) return { row, err };
            throw err;
          }
        });
        const applied = new Set<number>();
        // One commit for the whole file (each row a savepoint): a running edge sees one change.
        const results = db.transaction(() => probed.map((p): ImportRow => {
          const base = { line: p.row.line, name: p.row.name };
          if ('skipped' in p) return { ...base, result: 'skipped', id: null, code: null, message: null, hint: null };
          try {
            if ('err' in p) throw p.err;
            const { id, result } = db.transaction(() => {
              // Matched again: an earlier row of this file may have changed the table.
              const target = matchExisting(ctx, registry, p.row, config.file);
              if (target && applied.has(target.id)) throw new CunboxError('CONFLICT', tf(t, 'another row of this file already changed camera #{id} {name}', { id: target.id, name: target.name }));
              return apply(registry, p.row, p.got, target);
            })();
            applied.add(id);
            return { ...base, result, id, code: null, message: null, hint: null };
          } catch (err) {
            if (err instanceof CunboxError) return { ...base, result: 'failed', id: null, ...localizeError(ctx, err) };
            throw err;
          }
        }))();
        bar.stop();
        const count = (r: RowResult) => results.filter((x) => x.result === r).length;
        const interrupted = count('skipped') > 0;
        if (o.json) ctx.out(JSON.stringify(results, null, 2));
        else {
          ctx.out(
            table(
              [{ head: t('line') }, { head: t('name'), max: 16, min: 6 }, { head: t('result') }, { head: t('id') }, { head: t('what to do'), wrap: true, min: 20 }],
              results.map((r) => [r.line, r.name, r.result === 'failed' ? `✗ ${r.code}` : r.result === 'skipped' ? `- ${t('not processed')}` : `✓ ${t(r.result)}`, r.id ?? '-', r.message ? wrapText(`${r.message}${r.hint ? `\n${t('hint')}: ${r.hint}` : ''}`, 60) : '']),
              { wide: o.wide ?? false },
            ),
          );
          ctx.out(tf(t, '{n} rows: {added} added, {updated} updated, {unchanged} unchanged, {failed} failed', { n: results.length, added: count('added'), updated: count('updated'), unchanged: count('unchanged'), failed: count('failed') }));
          if (count('added') + count('updated') > 0) ctx.out(t('a running edge picks the changes up within seconds'));
          if (count('failed') > 0) ctx.out(t('fix the failed rows and import the same file again: rows already done stay as they are'));
        }
        if (interrupted) {
          // On stderr: it is seen with --json as well, right under the progress lines.
          ctx.io.stderr.write(`${tf(t, 'interrupted: {imported} imported, {failed} failed, {skipped} not processed', { imported: count('added') + count('updated') + count('unchanged'), failed: count('failed'), skipped: count('skipped') })}\n`);
          ctx.io.stderr.write(`${t('the rows marked ✓ are saved; import the same file again to do the rest')}\n`);
          ctx.fail(EXIT_INTERRUPTED);
        } else if (count('failed') > 0) ctx.fail(1);
      });
    } finally {
      interrupt.dispose();
    }
  }));

  localizedHelp(
    ctx,
    cameras
      .command('export')
      .description(t('write all cameras as CSV in the import format (passwords only with --with-secrets)'))
      .option('-o, --output <file>', t('write to this file instead of stdout'))
      .option('--with-secrets', t('include camera passwords (keep the file safe)')),
    ['cunbox cameras export > cameras.csv', 'cunbox cameras export --with-secrets -o /root/cameras-backup.csv'],
  ).action(act(ctx, async (o: { output?: string; withSecrets?: boolean }, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry }) => {
      const csv = camerasToCsv(registry.listWithSecrets(), o.withSecrets ?? false);
      if (!o.output) return void ctx.io.stdout.write(csv);
      try {
        // A BOM, so spreadsheet programs on Chinese Windows read it as UTF-8.
        writeFileSync(o.output, `\ufeff${csv}`, { mode: o.withSecrets ? 0o600 : 0o644 });
      } catch (err) {
        throw new CunboxError('IO_ERROR', tf(t, 'cannot write {file}: {reason}', { file: o.output, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message }));
      }
      ctx.io.stderr.write(`${tf(t, 'wrote {n} cameras to {file}', { n: registry.list().length, file: o.output })}\n`);
    });
  }));
}

type Existing = CameraDetails & CameraWithSecrets;

/** The camera a row describes: same name, else same ONVIF address, else same main URL. */
function matchExisting(ctx: CliContext, registry: CameraRegistry, row: CsvCamera, configFile: string | null): Existing | null {
  const all = registry.listWithSecrets();
  const byName = all.find((c) => c.name === row.name);
  const byAddress = all.find((c) => (row.onvif ? c.onvifUrl === row.onvif.url : c.mainUrl === row.main));
  if (byName && byAddress && byName.id !== byAddress.id) {
    throw new CunboxError('CONFLICT', tf(ctx.t, 'this camera is already added as #{id} {name}; rename that one or change this row', { id: byAddress.id, name: byAddress.name }));
  }
  const hit = byName ?? byAddress ?? null;
  if (hit?.source === 'config') throw new CunboxError('CONFLICT', tf(ctx.t, 'camera "{name}" comes from the config file {file}; change it there', { name: hit.name, file: configFile ?? '-' }));
  return hit;
}

function apply(registry: CameraRegistry, row: CsvCamera, got: Provisioned, existing: Existing | null): { id: number; result: RowResult } {
  const input: CameraInput = {
    name: row.name,
    zone: row.zone,
    mainUrl: got.mainUrl,
    subUrl: got.subUrl,
    username: got.username,
    password: got.password,
    device: got.device,
  };
  if (!existing) {
    const cam = registry.add(input);
    if (got.probe) registry.setProbe(cam.id, got.probe);
    return { id: cam.id, result: 'added' };
  }
  if (got.probe) registry.setProbe(existing.id, got.probe);
  if (sameAs(existing, input)) return { id: existing.id, result: 'unchanged' };
  registry.update(existing.id, input);
  return { id: existing.id, result: 'updated' };
}

function sameAs(c: Existing, i: CameraInput): boolean {
  const d = i.device;
  return (
    c.name === i.name &&
    (c.zone ?? null) === (i.zone ?? null) &&
    c.mainUrl === i.mainUrl &&
    (c.subUrl ?? null) === (i.subUrl ?? null) &&
    (c.username ?? null) === (i.username ?? null) &&
    (c.password ?? null) === (i.password ?? null) &&
    (c.onvifUrl ?? null) === (d?.onvifUrl ?? null) &&
    (c.manufacturer ?? null) === (d?.manufacturer ?? null) &&
    (c.model ?? null) === (d?.model ?? null) &&
    (c.firmware ?? null) === (d?.firmware ?? null) &&
    (c.serialNumber ?? null) === (d?.serialNumber ?? null) &&
    (c.mainProfile ?? null) === (d?.mainProfile ?? null) &&
    (c.subProfile ?? null) === (d?.subProfile ?? null)
  );
}
