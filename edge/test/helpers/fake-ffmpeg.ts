import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ProcessHandle, Spawner } from '../../src/ffmpeg/process.ts';

/**
 * A stand-in for an ffmpeg child that speaks ffmpeg's real interface: stderr
 * lines, `-progress` key=value blocks on fd 1, segment-list CSV on fd 3, the
 * input script on fd 4, `q` on stdin, and signals. Tests script what it says and when it exits.
 */
export class FakeFfmpeg extends EventEmitter implements ProcessHandle {
  static nextPid = 40000;
  readonly pid = FakeFfmpeg.nextPid++;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly segmentList = new PassThrough();
  /** What the parent writes on fd 4 (the recorder's input script). */
  readonly inputPipe = new PassThrough();
  readonly stdio = [this.stdin, this.stdout, this.stderr, this.segmentList, this.inputPipe];
  inputText = '';
  readonly signals: string[] = [];
  stdinText = '';
  exited = false;
  /** Whether `q` on stdin makes it quit (false: blocked in a network read). */
  obeysQ = true;
  obeysTerm = true;
  #outTimeUs = 0;

  constructor(readonly args: readonly string[]) {
    super();
    this.inputPipe.on('data', (d: Buffer) => (this.inputText += d.toString()));
    this.stdin.on('data', (d: Buffer) => {
      this.stdinText += d.toString();
      if (this.obeysQ && this.stdinText.includes('q')) setImmediate(() => this.exit(0));
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && this.obeysTerm)) setImmediate(() => this.exit(signal === 'SIGKILL' ? null : 255, signal === 'SIGKILL' ? 'SIGKILL' : null));
    return true;
  }

  say(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  /** ffmpeg's input dump, as it prints it for the recorder's concat input. */
  opened(): void {
    this.say(`Input #0, concat, from 'async:pipe:4':`);
    this.say('  Duration: N/A, start: 0.000000, bitrate: N/A');
  }

  /** One progress block, as `-progress pipe:1` prints it every second. */
  progress(advanceUs = 1_000_000): void {
    this.#outTimeUs += advanceUs;
    this.stdout.write(`frame=25\nout_time_us=${this.#outTimeUs}\nprogress=continue\n`);
  }

  segmentClosed(name: string, start: number, end: number): void {
    this.segmentList.write(`${name},${start.toFixed(6)},${end.toFixed(6)}\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    for (const s of [this.stdout, this.stderr, this.segmentList, this.inputPipe]) s.end();
    this.emit('exit', code, signal);
  }

  /**
   * Exits as Node often reports a real child's end: 'exit' first, the last
   * segment-list line the child wrote as it quit read from the pipe afterwards.
   */
  exitBeforeLastSegment(code: number | null, segment: [name: string, start: number, end: number]): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', code, null);
    setImmediate(() => {
      this.segmentClosed(...segment);
      for (const s of [this.stdout, this.stderr, this.segmentList, this.inputPipe]) s.end();
    });
  }
}

export function fakeSpawner(onSpawn?: (p: FakeFfmpeg) => void) {
  const spawned: FakeFfmpeg[] = [];
  const spawner: Spawner = (_cmd, args) => {
    const p = new FakeFfmpeg(args);
    spawned.push(p);
    onSpawn?.(p);
    return p;
  };
  return { spawner, spawned };
}
