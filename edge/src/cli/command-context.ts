import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import type { StoreOptions } from './context.ts';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Where `init` reads answers from; process.stdin when absent. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Resolves when the process should stop (serve); SIGINT/SIGTERM by default. */
  shutdownSignal?: () => Promise<string>;
  /** Ends the process (serve, when its stop misses the deadline); process.exit when absent. */
  exit?: (code: number) => void;
}

/** What every command module gets: output, translation, exit status, global options. */
export interface CliContext {
  io: CliIo;
  t: (key: string) => string;
  out: (text: string) => void;
  fail: (exitCode: number) => void;
  store: (cmd: Command) => StoreOptions & Record<string, unknown>;
}
