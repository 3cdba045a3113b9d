import { PassThrough, Readable } from 'node:stream';
import { run } from '../../src/cli/main.ts';

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
