/** What one doctor check answers, what every check is given, and how checks run the box's tools. */
import { execFile } from 'node:child_process';
import type { EdgeConfig } from '../config/load.ts';
import type { PortUse } from './ports.ts';

export type Verdict = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  id: 'ffmpeg' | 'disk' | 'time' | 'cameras' | 'database' | 'ports' | 'api' | 'disk-health' | 'inodes' | 'watchdog' | 'backups';
  verdict: Verdict;
  message: string;
  hint: string | null;
  vars: Record<string, string | number>;
  /** One line each (a camera that does not answer, a busy port). Not translated: names and addresses. */
  details: string[];
}

export interface DoctorDeps {
  config: EdgeConfig;
  /** Environment for the tools doctor runs (PATH decides which ffmpeg, timedatectl). */
  env: NodeJS.ProcessEnv;
  ports: PortUse[];
  /** Seconds to wait for each camera's TCP connect. */
  cameraTimeoutMs?: number;
  /** This box's addresses other than loopback; os.networkInterfaces() when absent. */
  lanAddresses?: string[];
  /** Runs timedatectl, chronyc, smartctl, systemctl; tests answer with the tools' real output. */
  runCommand?: CommandRunner;
  /** The whole disk under the data directory (/dev/sda); null when it has none. */
  dataDevice?: (dir: string) => string | null;
  statfs?: (dir: string) => Promise<{ type: number; files: number; ffree: number }>;
  now?: () => number;
}

export function result(id: CheckResult['id'], verdict: Verdict, message: string, hint: string | null = null, vars: Record<string, string | number> = {}, details: string[] = []): CheckResult {
  return { id, verdict, message, hint, vars, details };
}

export interface Ran {
  /** Exit status 0. */
  ok: boolean;
  stdout: string;
  /** The tool is not installed. */
  missing: boolean;
}

export type CommandRunner = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => Promise<Ran>;

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 5000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) => {
      resolve({ ok: !err, stdout: String(stdout), missing: (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' });
    });
  });
}
