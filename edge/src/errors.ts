/**
 * One table of the errors the edge reports to people (CLI, API). Each has a
 * stable code, so scripts and the API can match on it, and an exit code for the
 * CLI. Messages are English here; the CLI translates by code.
 */
export const errorTable = {
  CONFIG_INVALID: { exit: 78, status: 400 },
  INVALID_INPUT: { exit: 64, status: 400 },
  NOT_FOUND: { exit: 66, status: 404 },
  CONFLICT: { exit: 65, status: 409 },
  EDGE_RUNNING: { exit: 75, status: 409 },
  IO_ERROR: { exit: 74, status: 500 },
  CHECK_FAILED: { exit: 1, status: 500 },
  // Playback and export (issue #6).
  INVALID_RANGE: { exit: 64, status: 400 },
  NO_FOOTAGE: { exit: 66, status: 404 },
  EXPORT_FAILED: { exit: 74, status: 500 },
  RATE_LIMITED: { exit: 75, status: 429 },
  INVALID_TRANSITION: { exit: 65, status: 409 },
} as const;

export type ErrorCode = keyof typeof errorTable;

export class CunboxError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];
  constructor(code: ErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'CunboxError';
    this.code = code;
    this.details = details;
  }
  get exitCode(): number {
    return errorTable[this.code].exit;
  }
}
