import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CameraWithSecrets } from '../cameras/registry.ts';
import { authenticatedUrl } from '../cameras/registry.ts';
import { FfmpegProcess, describeCommand, type ExitInfo, type Spawner } from '../ffmpeg/process.ts';
import { classifyStderrLine, isNoise, type Failure } from '../ffmpeg/stderr.ts';
import type { Layout } from '../storage/layout.ts';
import { parseIncomingName } from '../storage/layout.ts';
import { recordCommand, staggerOffsetSeconds } from './args.ts';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import { StreamClock } from './stream-clock.ts';
import type { CameraStatus, RecorderSink, RecorderState } from './types.ts';

export interface RecorderSettings {
  ffmpegPath: string;
  segmentSeconds: number;
  /** No new data for this long while recording → stalled, restart. */
  watchdogMs: number;
  /** No first data for this long after a start → treated like a stall. */
  connectTimeoutMs: number;
  transport: 'tcp' | 'udp';
  backoff: BackoffPolicy;
  /** Floor for the delay after an auth failure: cameras lock accounts after repeated bad logins. */
  authRetryMinMs: number;
  /** Recording this long counts as healthy and resets the backoff. */
  healthyAfterMs: number;
  stopGraceMs: number;
}

export const defaultRecorderSettings: RecorderSettings = {
  ffmpegPath: 'ffmpeg',
  segmentSeconds: 60,
  watchdogMs: 10_000,
  connectTimeoutMs: 20_000,
  transport: 'tcp',
  backoff: { baseMs: 1_000, maxMs: 60_000, budget: 10, windowMs: 10 * 60_000 },
  authRetryMinMs: 60_000,
  healthyAfterMs: 30_000,
  stopGraceMs: 3_000,
};

export interface CameraRecorderDeps {
  camera: CameraWithSecrets;
  clock: Clock;
  spawner: Spawner;
  log: Logger;
  layout: Layout;
  settings: RecorderSettings;
  sink: RecorderSink;
  random?: () => number;
}

const STDERR_TAIL = 20;

/**
 * Supervises the one ffmpeg that records one camera.
 *
 * Meant to be long-lived: after any failure it waits (backoff with jitter,
 * failure budget) and starts ffmpeg again, until stop(). It never throws to its
 * caller; a bad camera only ever changes its own state.
 */
export class CameraRecorder {
  readonly #deps: CameraRecorderDeps;
  readonly #backoff: Backoff;
  #camera: CameraWithSecrets;
  #state: RecorderState = 'idle';
  #since: number;
  #proc: FfmpegProcess | undefined;
  #runId: number | undefined;
  #streamClock = new StreamClock();
  /** The offset last stored for the run, to date files a crash leaves behind. */
  #storedAnchorMs: number | undefined;
  #lastDataAt = 0;
  #lastOutTimeUs = -1;
  #recordingSince: number | undefined;
  #watchdog: unknown;
  #restartTimer: unknown;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #online: boolean | undefined;
  #runFailure: Failure | undefined;
  #lastError: Failure | null = null;
  #lastSegmentAt: number | null = null;
  #starts = 0;
  #nextAttemptAt: number | null = null;
  #stderrTail: string[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: CameraRecorderDeps) {
    this.#deps = deps;
    this.#camera = deps.camera;
    this.#backoff = new Backoff(deps.settings.backoff, deps.random);
    this.#since = deps.clock.now();
  }

  get cameraId(): number {
    return this.#camera.id;
  }

  get camera(): CameraWithSecrets {
    return this.#camera;
  }

  /** Takes a new description of the same camera whose stream did not change (see Recorder). */
  updateCamera(camera: CameraWithSecrets): void {
    this.#camera = camera;
  }

  status(): CameraStatus {
    return {
      cameraId: this.#camera.id,
      name: this.#camera.name,
      state: this.#state,
      since: this.#since,
      lastError: this.#lastError,
      lastSegmentAt: this.#lastSegmentAt,
      starts: this.#starts,
      nextAttemptAt: this.#nextAttemptAt,
    };
  }

  /** Last stderr lines of the current or last ffmpeg run, redacted. */
  stderrTail(): readonly string[] {
    return this.#stderrTail;
  }

  start(): void {
    this.#stopping = false;
    this.#stopped = undefined;
    this.#online = this.#deps.sink.lastKnownOnline(this.#camera.id);
    this.#launch();
  }

  /**
   * Quits ffmpeg (q, SIGTERM, SIGKILL) and waits until the segment it closed
   * on its way out is indexed. From the first line on, nothing starts ffmpeg
   * again: not a pending backoff, not the exit handler, not the watchdog.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#deps.clock.clearTimeout(this.#restartTimer);
    this.#nextAttemptAt = null;
    const proc = this.#proc;
    if (proc) await proc.stop(this.#deps.settings.stopGraceMs);
    // The last segment is announced as ffmpeg quits (its exit handler has run by now); let its indexing finish.
    await Promise.allSettled([...this.#pending]);
    this.#setState('stopped');
  }

  /** True between stop() and the end of the last indexing. */
  get stopping(): boolean {
    return this.#stopping && this.#state !== 'stopped';
  }

  #launch(): void {
    if (this.#stopping) return;
    const { clock, layout, settings, sink, log } = this.#deps;
    const cam = this.#camera;
    const now = clock.now();
    this.#nextAttemptAt = null;
    this.#backoff.recordStart(now);
    this.#starts++;
    this.#runFailure = undefined;
    this.#streamClock = new StreamClock();
    this.#storedAnchorMs = undefined;
    this.#lastOutTimeUs = -1;
    this.#recordingSince = undefined;
    this.#stderrTail = [];

    let runId: number;
    try {
      mkdirSync(layout.incomingDir(cam.id), { recursive: true });
      runId = sink.beginRun(cam.id, now);
    } catch (err) {
      // Disk or database trouble: retry later like any other failure.
      this.#lastError = { kind: 'unknown', message: `cannot prepare recording: ${(err as Error).message}` };
      log.error({ err }, 'cannot prepare recording');
      this.#scheduleRestart(0);
      return;
    }
    this.#runId = runId;
    const { args, inputScript } = recordCommand({
      inputUrl: authenticatedUrl(cam.mainUrl, cam.username, cam.password),
      outputPattern: layout.incomingPattern(cam.id, runId),
      segmentSeconds: settings.segmentSeconds,
      clocktimeOffsetSeconds: staggerOffsetSeconds(cam.id, settings.segmentSeconds),
      socketTimeoutSeconds: Math.max(5, (settings.watchdogMs / 1000) * 2),
      transport: settings.transport,
    });
    log.debug({ runId, command: describeCommand(settings.ffmpegPath, args) }, 'starting ffmpeg');
    const proc = FfmpegProcess.spawn({
      spawner: this.#deps.spawner,
      clock,
      binary: settings.ffmpegPath,
      args,
      extraPipes: 1,
      inputText: inputScript,
      onStderrLine: (line) => this.#onStderr(line),
      onProgress: (outTimeUs) => this.#onProgress(outTimeUs),
      onPipeLine: (fd, line) => (fd === 3 ? this.#onSegmentLine(runId, line) : undefined),
      // Segment clock times are computed in local time; UTC keeps them aligned.
      env: { ...process.env, TZ: 'UTC' },
    });
    this.#proc = proc;
    if (proc.pid !== undefined) sink.setRunPid(runId, proc.pid);
    this.#lastDataAt = now;
    this.#setState('connecting');
    this.#watchdog = clock.setInterval(() => this.#checkWatchdog(), Math.min(1000, settings.watchdogMs / 4));
    void proc.exited.then((info) => this.#onExit(proc, runId, info));
  }

  #checkWatchdog(): void {
    const { clock, settings, log } = this.#deps;
    // A camera being stopped goes quiet because we asked it to: not a stall, not an offline camera.
    if (!this.#proc || this.#state === 'stalled' || this.#stopping) return;
    const limit = this.#state === 'connecting' ? settings.connectTimeoutMs : settings.watchdogMs;
    const silentMs = clock.now() - this.#lastDataAt;
    if (silentMs < limit) return;
    const seconds = Math.round(silentMs / 1000);
    this.#runFailure = {
      kind: 'timeout',
      message: this.#state === 'connecting' ? `no video from the camera ${seconds} s after connecting` : `camera stopped sending video ${seconds} s ago`,
    };
    log.warn({ silentMs }, 'stream stalled; restarting ffmpeg');
    this.#lastError = this.#runFailure;
    this.#setState('stalled');
    this.#goOffline(this.#runFailure);
    void this.#proc.stop(settings.stopGraceMs);
  }

  #onProgress(value: number): void {
    if (!Number.isFinite(value) || value <= this.#lastOutTimeUs) return;
    this.#lastOutTimeUs = value;
    this.#lastDataAt = this.#deps.clock.now();
    // ffmpeg reports out_time 0 once before it has written anything, while the
    // packets read during probing still wait: that line is no clock sample.
    if (value > 0) {
      this.#streamClock.observe(this.#lastDataAt, value / 1e6);
      if (this.#storedAnchorMs === undefined) this.#storeAnchor();
    }
    // Not from 'stalled': that process is being stopped, and the progress it
    // prints while flushing on its way out is not the camera coming back.
    if (this.#state === 'connecting') this.#becomeRecording();
  }

  #becomeRecording(): void {
    this.#recordingSince = this.#deps.clock.now();
    this.#lastError = null;
    this.#setState('recording');
    if (this.#online !== true) {
      this.#online = true;
      this.#deps.sink.cameraEvent(this.#camera.id, 'camera.online', {});
    }
  }

  #goOffline(failure: Failure): void {
    if (this.#online === false) return;
    this.#online = false;
    this.#deps.sink.cameraEvent(this.#camera.id, 'camera.offline', { reason: failure.kind, message: failure.message });
  }

  #onStderr(rawLine: string): void {
    const line = redactUrls(rawLine);
    this.#stderrTail.push(line);
    if (this.#stderrTail.length > STDERR_TAIL) this.#stderrTail.shift();
    const failure = classifyStderrLine(line);
    // The first specific cause wins: "401" is the news, the "End of file" after it is not.
    if (failure && (!this.#runFailure || this.#runFailure.kind === 'ended')) this.#runFailure = failure;
    if (failure) this.#deps.log.warn({ ffmpeg: line }, 'ffmpeg');
    else if (!isNoise(line)) this.#deps.log.debug({ ffmpeg: line }, 'ffmpeg');
  }

  #onSegmentLine(runId: number, line: string): void {
    const [name, start, end] = line.split(',');
    const parsed = name ? parseIncomingName(basename(name)) : undefined;
    const relStart = Number(start);
    const relEnd = Number(end);
    if (!parsed || !Number.isFinite(relStart) || !Number.isFinite(relEnd)) {
      this.#deps.log.warn({ line }, 'unexpected segment list line');
      return;
    }
    const now = this.#deps.clock.now();
    // The segmenter closes a file when the first packet of the next one
    // arrives, so this line is a clock sample too, and the freshest one.
    this.#streamClock.observe(now, relEnd);
    const { startMs, endMs } = this.#streamClock.place(relStart, relEnd, now - relEnd * 1000);
    this.#storeAnchor();
    this.#lastSegmentAt = now;
    const p = this.#deps.sink
      .segmentClosed({
        cameraId: this.#camera.id,
        runId,
        seq: parsed.seq,
        file: join(this.#deps.layout.incomingDir(this.#camera.id), basename(name!)),
        startMs,
        endMs,
        announcedAt: now,
      })
      .catch((err: unknown) => this.#deps.log.error({ err }, 'indexing a segment failed; reconciliation will retry'));
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Keeps the run's stored offset near the one in use: a crash's partial file is dated by it. */
  #storeAnchor(): void {
    const offset = this.#streamClock.offsetMs;
    if (offset === undefined || this.#runId === undefined) return;
    if (this.#storedAnchorMs !== undefined && Math.abs(offset - this.#storedAnchorMs) < 5) return;
    this.#storedAnchorMs = offset;
    try {
      this.#deps.sink.setRunAnchor(this.#runId, offset);
    } catch (err) {
      this.#deps.log.error({ err }, 'cannot store the run anchor');
    }
  }

  #onExit(proc: FfmpegProcess, runId: number, info: ExitInfo): void {
    const { clock, sink, log } = this.#deps;
    if (this.#proc !== proc) return;
    this.#proc = undefined;
    clock.clearInterval(this.#watchdog);
    try {
      sink.endRun(runId, clock.now());
    } catch (err) {
      log.error({ err }, 'cannot close recorder run');
    }
    if (this.#stopping) return;

    const failure: Failure =
      this.#runFailure ??
      (info.spawnError
        ? { kind: 'unknown', message: `cannot start ffmpeg: ${info.spawnError.message}` }
        : { kind: 'ended', message: `ffmpeg exited (${info.signal ?? `code ${info.code}`})` });
    this.#lastError = failure;
    if (this.#recordingSince !== undefined && clock.now() - this.#recordingSince >= this.#deps.settings.healthyAfterMs) {
      this.#backoff.reset();
    }
    if (this.#state !== 'stalled') this.#setState(failure.kind === 'auth' ? 'auth-failed' : 'offline');
    this.#goOffline(failure);
    log.info({ reason: failure.kind, detail: failure.message, code: info.code, signal: info.signal }, 'ffmpeg exited');
    this.#scheduleRestart(failure.kind === 'auth' ? this.#deps.settings.authRetryMinMs : 0);
  }

  #scheduleRestart(minMs: number): void {
    const { clock } = this.#deps;
    const now = clock.now();
    const delay = this.#backoff.next(now, minMs);
    this.#nextAttemptAt = now + delay;
    this.#restartTimer = clock.setTimeout(() => this.#launch(), delay);
  }

  #setState(state: RecorderState): void {
    if (state === this.#state) return;
    this.#deps.log.info({ from: this.#state, to: state }, 'camera state');
    this.#state = state;
    this.#since = this.#deps.clock.now();
  }
}
