/** What the camera commands share: the registry, option parsing, problem messages. */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { tf } from '../i18n.ts';
import { examplesHelp } from '@cunbox/shared/cli';
import { CunboxError } from '../../errors.ts';
import { openDatabase, type Db } from '../../db/database.ts';
import { CameraRegistry, type CameraDetails } from '../../cameras/registry.ts';
import type { EdgeConfig } from '../../config/load.ts';
import { systemClock } from '../../clock.ts';
import { Layout } from '../../storage/layout.ts';
import { TemplatedError, isTemplate, type Vars } from '../../probe/problem.ts';
import { DEFAULT_PROBE_SECONDS } from '../../probe/stream.ts';
import type { ProbeSettings } from '../../probe/provision.ts';

export interface Store {
  config: EdgeConfig;
  db: Db;
  registry: CameraRegistry;
}

/** Opens the installation's database for one command and closes it after, whatever happens. */
export async function withStore<T>(ctx: CliContext, cmd: Command, fn: (s: Store) => Promise<T> | T): Promise<T> {
  const config = resolveConfig(ctx.store(cmd), ctx.io.env);
  const db = openDatabase(new Layout(config.dataDir).database);
  try {
    return await fn({ config, db, registry: new CameraRegistry({ db, clock: systemClock }) });
  } finally {
    db.close();
  }
}

/** A template in the reader's language; nested templates in its vars are translated first. */
function tr(t: (key: string) => string, text: string, vars: Vars = {}): string {
  const flat: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(vars)) flat[k] = isTemplate(v) ? tr(t, v.text, v.vars) : v;
  return tf(t, text, flat);
}

/** A failed camera or row, for a results table: in the reader's language, hint apart. */
export function localizeError(ctx: CliContext, err: CunboxError): { code: string; message: string; hint: string | null } {
  if (err instanceof TemplatedError) {
    return { code: err.code, message: tr(ctx.t, err.template, err.vars), hint: err.hintTemplate ? tr(ctx.t, err.hintTemplate, err.vars) : null };
  }
  return { code: err.code, message: ctx.t(err.message), hint: null };
}

/** An error → the CunboxError main() prints, in the reader's language, with the exit code of its kind. */
function toCliError(ctx: CliContext, err: unknown): unknown {
  const { t } = ctx;
  if (err instanceof TemplatedError) {
    const details = err.detailTemplates.map((d) => tr(t, d.text, d.vars));
    if (err.hintTemplate) details.push(`${t('hint')}: ${tr(t, err.hintTemplate, err.vars)}`);
    return new CunboxError(err.code, tr(t, err.template, err.vars), details);
  }
  // Other modules' fixed messages are looked up as they are; the rest stay English.
  if (err instanceof CunboxError) return new CunboxError(err.code, t(err.message), err.details.map((d) => t(d)));
  return err;
}

/** Wraps a command action so every error it throws reaches main() translated. */
export function act<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      throw toCliError(ctx, err);
    }
  };
}

/** A technician's reference, an id or a name, → the camera. */
export function resolveCamera(registry: CameraRegistry, ref: string): CameraDetails {
  const cam = /^\d+$/.test(ref) ? registry.get(Number(ref)) : registry.getByName(ref);
  if (!cam) throw new TemplatedError('NOT_FOUND', 'no camera with id or name "{ref}"', { ref }, { hint: 'cunbox cameras list shows them' });
  return cam;
}

/** Config-file cameras are re-synced from the file at every start: an edit here would not last. */
export function refuseConfigCamera(ctx: CliContext, cam: CameraDetails, config: EdgeConfig): void {
  if (cam.source === 'config') {
    throw new CunboxError('CONFLICT', tf(ctx.t, 'camera "{name}" comes from the config file {file}; change it there', { name: cam.name, file: config.file ?? '-' }));
  }
}

export function probeSettings(o: { probe?: boolean; probeSeconds?: number; timeout?: number; ignoreClock?: boolean }, config: EdgeConfig): ProbeSettings {
  return {
    probe: o.probe !== false,
    probeSeconds: o.probeSeconds ?? DEFAULT_PROBE_SECONDS,
    transport: config.recorder.transport,
    onvifTimeoutMs: (o.timeout ?? 5) * 1000,
    ignoreClock: o.ignoreClock ?? false,
  };
}

/** A commander parser for a number in [min, max]. */
export function numberIn(min: number, max: number, integer = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return n;
  };
}

/** An Examples block for a command's help (titles and commander's words are localised once, in main). */
export function localizedHelp(ctx: CliContext, cmd: Command, examples: string[]): Command {
  if (examples.length > 0) cmd.addHelpText('after', examplesHelp(ctx.t, examples));
  return cmd;
}

export { examplesHelp } from '@cunbox/shared/cli';

export function yesNo(ctx: CliContext, v: boolean): string {
  return v ? ctx.t('yes') : ctx.t('no');
}
