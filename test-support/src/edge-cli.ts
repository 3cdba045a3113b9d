import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../edge/src/cli/main.ts';

/** Runs the CLI in-process and captures its output; `stdin` is fed as the command's standard input. */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await run(args, { stdout, stderr, env, ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }) });
  return { code, out, err };
}

const BIN = join(import.meta.dirname, '../../edge/bin/cunbox.js');

export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Output so far; complete once `done` resolves. */
  out: () => string;
  err: () => string;
  done: Promise<{ code: number | null; out: string; err: string }>;
}

/** The CLI as its own process (as a technician runs it: signals, exit paths); killed after `timeoutMs`. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LANG: 'C', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
  return { child, out: () => out, err: () => err, done };
}
