import { redactUrls } from '@cunbox/shared';
import { CunboxError, type ErrorCode } from '../errors.ts';

/**
 * Errors whose text is an English template with `{name}` placeholders. The
 * template is the i18n key: the CLI translates it and then fills in `vars`,
 * so a technician reads it in their language, while an API can send the
 * English text (`message`) with the same stable code and exit status.
 */
export interface Template {
  text: string;
  vars: Vars;
}

/** A value may itself be a template (a nested reason), translated on its own. */
export type Vars = { [name: string]: string | number | Template };

export function isTemplate(v: unknown): v is Template {
  return typeof v === 'object' && v !== null && typeof (v as Template).text === 'string';
}

export class TemplatedError extends CunboxError {
  readonly template: string;
  readonly vars: Vars;
  readonly hintTemplate: string | null;
  readonly detailTemplates: readonly Template[];
  constructor(code: ErrorCode, template: string, vars: Vars = {}, opts: { hint?: string; details?: Template[] } = {}) {
    const details = (opts.details ?? []).map((d) => fill(d.text, d.vars));
    if (opts.hint) details.push(`hint: ${fill(opts.hint, vars)}`);
    super(code, fill(template, vars), details);
    this.name = 'TemplatedError';
    this.template = template;
    this.vars = vars;
    this.hintTemplate = opts.hint ?? null;
    this.detailTemplates = opts.details ?? [];
  }
}

/** Something wrong with a camera that a technician can fix: always with a hint. */
export interface CameraProblem {
  code: ErrorCode;
  message: string;
  hint: string;
  vars: Vars;
}

export class CameraProblemError extends TemplatedError {
  constructor(p: CameraProblem) {
    super(p.code, p.message, p.vars, { hint: p.hint });
    this.name = 'CameraProblemError';
  }
  get problem(): CameraProblem {
    return { code: this.code, message: this.template, hint: this.hintTemplate ?? '', vars: this.vars };
  }
}

export function problem(code: ErrorCode, message: string, hint: string, vars: Vars = {}): CameraProblemError {
  // Anything a camera or ffprobe said may echo a URL with credentials.
  const clean: Vars = {};
  for (const [k, v] of Object.entries(vars)) clean[k] = typeof v === 'string' ? redactUrls(v) : v;
  return new CameraProblemError({ code, message, hint, vars: clean });
}

/** Replaces `{name}` with vars.name (nested templates filled too); unknown placeholders stay visible. */
function fill(template: string, vars: Vars): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => {
    const v = vars[k];
    return v === undefined ? m : isTemplate(v) ? fill(v.text, v.vars) : String(v);
  });
}

/** A nested reason from any error: its template when it has one, else its text. */
export function templateOf(err: unknown): Template {
  if (err instanceof TemplatedError) return { text: err.template, vars: err.vars };
  return { text: err instanceof Error ? err.message : String(err), vars: {} };
}

/** A short, single-line, bounded reason from a library error or a reply, safe to print. */
export function reasonOf(err: unknown, max = 160): string {
  const raw = err instanceof Error ? err.message : String(err);
  const line = raw.split('\n').find((l) => l.trim()) ?? raw;
  // eslint-disable-next-line no-control-regex
  const printable = line.replace(/[\u0000-\u001f\u007f]/g, '?').trim();
  return redactUrls(printable.length > max ? `${printable.slice(0, max)}…` : printable);
}
