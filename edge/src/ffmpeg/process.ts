import { spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';

/**
 * The part of a child process the supervisors use. Node's ChildProcess fits;
 * tests hand in a fake that speaks the same streams and events.
 */
export interface ProcessHandle {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdio: ReadonlyArray<Readable | Writable | null | undefined>;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', fn: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', fn: (err: Error) => void): unknown;
}

export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => ProcessHandle;

export const nodeSpawner: Spawner = (command, args, options) => nodeSpawn(command, args as string[], options);

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: Error;
}

export interface FfmpegOptions {
  spawner: Spawner;
  clock: Clock;
  args: readonly string[];
  /** ffmpeg binary; `ffmpeg` from PATH by default. */
  binary?: string;
  /** Extra pipes beyond stdio 0-2 (fd 3, 4, …), read line by line. */
  extraPipes?: number;
  onStderrLine?: (line: string) => void;
  /** Called with (fd, line) for stdout (fd 1, unless onProgress reads it) and each extra pipe. */
  onPipeLine?: (fd: number, line: string) => void;
  /**
   * A pipe Node writes into, on the fd after the extra pipes (3 + extraPipes):
   * an input ffmpeg reads as `pipe:N` (stdin stays free for `q`). See `feed()`.
   */
  feedPipe?: boolean;
  /**
   * Text handed to ffmpeg on the next fd after the extra pipes (and the feed pipe),
   * then closed: how secrets reach it without its command line.
   */
  inputText?: string;
  /**
   * Reads `-progress pipe:1` on stdout for its out_time_us alone: the last value in
   * each chunk, found without splitting the chunk into lines (a dozen keys a second
   * per camera, 64 cameras: line events were a visible part of the edge's CPU).
   */
  onProgress?: (outTimeUs: number) => void;
  /** Binary stdout (e.g. fragmented MP4, JPEG frames) instead of lines. */
  rawStdout?: (chunk: Buffer) => void;
  /** Binary extra pipes (fd 3, 4, …) instead of lines, e.g. a second output's pictures. */
  rawPipe?: (fd: number, chunk: Buffer) => void;
  env?: NodeJS.ProcessEnv;
  /** After the exit, how long to wait at most for the child's last pipe output to be read. */
  drainMs?: number;
}

const DEFAULT_DRAIN_MS = 2000;

/**
 * One ffmpeg child. Owns its pipes; knows how to stop it politely.
 *
 * ffmpeg finishes a file properly (trailer, last segment-list entry) only when
 * it quits on its own, so stop() asks with `q` on stdin first, then SIGTERM,
 * and SIGKILL only when it does not listen.
 *
 * `exited` settles once the child has exited AND its pipes have been read to
 * the end: Node reports the exit before it has read what the child wrote last
 * (the segment-list line of the file ffmpeg closed as it quit), and whoever
 * awaits the exit needs that line.
 */
export class FfmpegProcess {
  readonly exited: Promise<ExitInfo>;
  readonly #child: ProcessHandle;
  readonly #clock: Clock;
  readonly #feed: Writable | undefined;
  #done = false;

  /** Starts ffmpeg with `opts`: the one place a child is spawned (construction does no I/O). */
  static spawn(opts: FfmpegOptions): FfmpegProcess {
    const stdio: SpawnOptions['stdio'] = ['pipe', 'pipe', 'pipe'];
    for (let i = 0; i < (opts.extraPipes ?? 0); i++) (stdio as string[]).push('pipe');
    const feedFd = opts.feedPipe ? stdio.length : -1;
    if (feedFd >= 0) (stdio as string[]).push('pipe');
    if (opts.inputText !== undefined) (stdio as string[]).push('pipe');
    const child = opts.spawner(opts.binary ?? 'ffmpeg', opts.args, { stdio, env: opts.env ?? process.env });
    return new FfmpegProcess(child, opts);
  }

  /** Wraps a started child: watches its exit and reads its pipes as `opts` says. */
  private constructor(child: ProcessHandle, opts: FfmpegOptions) {
    this.#clock = opts.clock;
    this.#child = child;
    // The feed pipe follows the extra pipes, the input text's pipe comes last (see spawn).
    const feedFd = opts.feedPipe ? 3 + (opts.extraPipes ?? 0) : -1;
    const inputFd = opts.inputText === undefined ? -1 : 3 + (opts.extraPipes ?? 0) + (opts.feedPipe ? 1 : 0);
    const exit = new Promise<ExitInfo>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#done = true;
        resolve({ code, signal });
      });
      this.#child.once('error', (err) => {
        // 'error' without 'exit' means the spawn itself failed.
        this.#done = true;
        resolve({ code: null, signal: null, spawnError: err });
      });
    });
    // A write to a dead ffmpeg's stdin must not crash the edge.
    this.#child.stdin?.on('error', () => {});
    const drained: Promise<void>[] = [];
    const stderr = this.#child.stdio[2] as Readable | null | undefined;
    if (stderr && opts.onStderrLine) drained.push(readLines(stderr, opts.onStderrLine));
    else if (stderr) drained.push(drain(stderr));
    if (inputFd >= 0) {
      const input = this.#child.stdio[inputFd] as Writable | null | undefined;
      // ffmpeg that died before reading it must not crash the edge.
      input?.on('error', () => {});
      input?.end(opts.inputText);
    }
    if (feedFd >= 0) {
      this.#feed = (this.#child.stdio[feedFd] as Writable | null | undefined) ?? undefined;
      this.#feed?.on('error', () => {});
    }
    for (let fd = 1; fd < this.#child.stdio.length; fd++) {
      if (fd === 2 || fd === inputFd || fd === feedFd) continue;
      const stream = this.#child.stdio[fd] as Readable | null | undefined;
      if (!stream) continue;
      if (fd === 1 && opts.onProgress) {
        drained.push(readProgress(stream, opts.onProgress));
        continue;
      }
      if (fd === 1 && opts.rawStdout) {
        const onChunk = opts.rawStdout;
        stream.on('data', (d: Buffer) => onChunk(d));
        drained.push(ended(stream));
        continue;
      }
      if (fd > 2 && opts.rawPipe) {
        const onChunk = opts.rawPipe;
        stream.on('data', (d: Buffer) => onChunk(fd, d));
        drained.push(ended(stream));
        continue;
      }
      if (opts.onPipeLine) {
        const onLine = opts.onPipeLine;
        drained.push(readLines(stream, (line) => onLine(fd, line)));
      } else drained.push(drain(stream));
    }
    const drainMs = opts.drainMs ?? DEFAULT_DRAIN_MS;
    this.exited = exit.then(async (info) => {
      // Bounded: a pipe someone else still holds open must not keep the exit from being reported.
      let timer: unknown;
      const late = new Promise<void>((resolve) => (timer = this.#clock.setTimeout(resolve, drainMs)));
      await Promise.race([Promise.all(drained), late]);
      this.#clock.clearTimeout(timer);
      return info;
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return !this.#done;
  }

  /**
   * Writes to the feed pipe; false once ffmpeg is gone or has not read the last
   * `maxQueued` bytes (a decoder that stopped reading must not grow Node's memory).
   */
  feed(chunk: Buffer, maxQueued = 8 * 1024 * 1024): boolean {
    const feed = this.#feed;
    if (this.#done || !feed || feed.destroyed || feed.writableEnded) return false;
    if (feed.writableLength > maxQueued) return false;
    feed.write(chunk);
    return true;
  }

  /** Closes the feed pipe: ffmpeg reads to the end of its input and quits. */
  endFeed(): void {
    if (this.#feed && !this.#feed.writableEnded) this.#feed.end();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.#done) this.#child.kill(signal);
  }

  /** q, then SIGTERM after `graceMs`, then SIGKILL after another `graceMs`. */
  async stop(graceMs = 3000): Promise<ExitInfo> {
    if (this.#done) return this.exited;
    try {
      this.#child.stdin?.write('q');
      this.#child.stdin?.end();
    } catch {
      // stdin already closed: fall through to signals.
    }
    if (await this.#exitsWithin(graceMs)) return this.exited;
    this.#child.kill('SIGTERM');
    if (await this.#exitsWithin(graceMs)) return this.exited;
    this.#child.kill('SIGKILL');
    return this.exited;
  }

  #exitsWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        this.#clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** Reads a pipe line by line; settles once the last line has been handed on. */
function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  stream.on('error', () => {});
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => {
    // ffmpeg separates in-place stats updates with \r; treat them as lines.
    for (const part of line.split('\r')) if (part.length > 0) onLine(part);
  });
  return new Promise((resolve) => rl.once('close', () => resolve()));
}

const OUT_TIME = 'out_time_us=';

function readProgress(stream: Readable, onValue: (outTimeUs: number) => void): Promise<void> {
  stream.setEncoding('latin1');
  let carry = '';
  stream.on('data', (chunk: string) => {
    const text = carry + chunk;
    const end = text.lastIndexOf('\n');
    // A partial last line waits for the next chunk (bounded: a runaway line is dropped).
    carry = text.slice(end + 1);
    if (carry.length > 4096) carry = '';
    let at = end < 0 ? -1 : text.lastIndexOf(OUT_TIME, end);
    while (at > 0 && text[at - 1] !== '\n') at = text.lastIndexOf(OUT_TIME, at - 1);
    if (at < 0) return;
    onValue(Number(text.slice(at + OUT_TIME.length, text.indexOf('\n', at))));
  });
  return ended(stream);
}

function drain(stream: Readable): Promise<void> {
  stream.resume();
  return ended(stream);
}

/** Settles when a readable is done, whichever way (end, close, error). */
function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    stream.on('error', () => resolve());
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
  });
}

/** The command line as it may be logged: credentials removed from every URL. */
export function describeCommand(binary: string, args: readonly string[]): string {
  return redactUrls([binary, ...args].join(' '));
}
