/**
 * Runs a script in a private network namespace (unshare -n) whose only
 * interface is its own loopback, with multicast routed to it. WS-Discovery
 * multicast sent there never reaches a real network. Needs root (or
 * unprivileged user namespaces); `netnsProblem()` says why it cannot run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SETUP = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec "$0" "$@"';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** Why a private namespace cannot be made here, or null when it can. */
export function netnsProblem(): string | null {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', SETUP, 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare: ${r.error.message}`;
  return r.status === 0 ? null : `unshare -n failed: ${r.stderr.trim()}`;
}

export interface NsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx SCRIPT ARGS` inside a fresh namespace; killed after `timeoutMs`. */
export function runTsInNetns(script: string, args: string[], timeoutMs: number): Promise<NsResult> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', SETUP, process.execPath, '--import', 'tsx', script, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
