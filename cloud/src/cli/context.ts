import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { OperatorClient } from './operator-client.ts';
import { resolveTarget, type TargetOptions } from './target.ts';

export interface CloudCliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** What every command module of `cunbox-cloud` gets. */
export interface CloudCliContext {
  io: CloudCliIo;
  t: (key: string) => string;
  out: (text: string) => void;
  /** The zone times are shown in: TZ when it names one, else Asia/Shanghai. */
  zone: string;
  /** The running cloud, found from the global options (target.ts). */
  client: (cmd: Command) => OperatorClient;
}

export function operatorClient(cmd: Command, env: NodeJS.ProcessEnv): OperatorClient {
  return new OperatorClient(resolveTarget(cmd.optsWithGlobals() as TargetOptions, env));
}
