/**
 * What the cloud's CLI reports to the operator: an English template with
 * `{name}` values (translated, then filled, by main.ts) and the exit status
 * of its kind (exit-codes.ts).
 */
const CLI_EXIT = {
  INVALID_INPUT: 64,
  NOT_FOUND: 66,
  UNAVAILABLE: 69,
  INTERNAL: 70,
  FORBIDDEN: 77,
  CONFIG_INVALID: 78,
} as const;
export type CliErrorCode = keyof typeof CLI_EXIT;

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    readonly template: string,
    readonly vars: Record<string, string | number> = {},
    readonly hint?: string,
  ) {
    super(template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)));
  }
  get exitCode(): number {
    return CLI_EXIT[this.code];
  }
}
