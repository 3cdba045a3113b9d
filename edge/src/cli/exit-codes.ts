/**
 * Every exit status the CLI can end with, for `cunbox --help` and the README.
 * Statuses follow sysexits(3) where one fits; the error table
 * (`errors.ts`) maps each error code to one of these.
 */
import { exitCodesHelp as describeExitCodes } from '@cunbox/shared/cli';

const EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'success'],
  [1, 'a check found problems, or some cameras or rows failed (each says why)'],
  [64, 'bad input: a wrong option, value, time or file'],
  [65, 'conflict: the name or camera exists already, or a step not allowed now'],
  [66, 'not found: no such camera, user, hold or footage'],
  [69, 'unavailable: the cloud or another service cannot be reached or refused the request'],
  [70, 'internal error'],
  [74, 'input/output error: disk, file or export'],
  [75, 'the edge is running (stop it first) or try again later'],
  [77, 'permission denied: pairing code refused, login or role not allowed'],
  [78, 'bad config file'],
  [80, 'camera unreachable'],
  [81, 'ONVIF login refused'],
  [82, 'RTSP login refused'],
  [83, 'no H.264/H.265 stream'],
  [84, 'camera clock more than 10 s off'],
  [85, 'malformed ONVIF reply'],
  [86, 'stream unreadable (wrong path, no video)'],
  [130, 'interrupted (Ctrl-C): what was done is kept and the summary says what was not'],
];

/** The "Exit codes:" block at the end of `cunbox --help`. */
export function exitCodesHelp(t: (key: string) => string): string {
  return describeExitCodes(t, EXIT_CODES);
}
