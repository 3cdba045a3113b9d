import { redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { FfmpegProcess, describeCommand, type Spawner } from '../ffmpeg/process.ts';
import { JpegSplitter } from '../ffmpeg/jpeg-splitter.ts';
import { Backoff, type BackoffPolicy } from '../recorder/backoff.ts';
import { motionCommand, type MotionMode } from './args.ts';
import { MotionDetector, type DetectorSettings, type Verdict } from './detector.ts';
import { ModePolicy, defaultModePolicySettings, type ModePolicySettings } from './mode-policy.ts';
import { MotionTracker, type MotionEvent, type TrackerSettings } from './tracker.ts';

export interface MotionFeedSettings {
  ffmpegPath: string;
  transport: 'tcp' | 'udp';
  /** Frames per second analysed while motion lasts. */
  activeFps: number;
  /** When to switch between key frames and `activeFps` (mode-policy.ts). */
  policy: ModePolicySettings;
  /** No frame for this long → restart (key frames come every GOP, a few seconds). */
  watchdogMs: number;
  thumbnailWidth: number;
  backoff: BackoffPolicy;
  stopGraceMs: number;
}

export const defaultMotionFeedSettings: MotionFeedSettings = {
  ffmpegPath: 'ffmpeg',
  transport: 'tcp',
  activeFps: 5,
  policy: defaultModePolicySettings,
  watchdogMs: 30_000,
  thumbnailWidth: 320,
  backoff: { baseMs: 2_000, maxMs: 120_000, budget: 10, windowMs: 10 * 60_000 },
  stopGraceMs: 2_000,
};

/** An event the tracker just opened: still going on, dated at its first frame with motion. */
export interface StartedMotion {
  cameraId: number;
  zone: string | null;
  startMs: number;
}

/** A finished event with the JPEG of its peak frame (null when none arrived). */
export interface FinishedMotion extends MotionEvent {
  cameraId: number;
  thumbnail: Buffer | null;
  /** What `motionStarted` returned for it (the start row's id); null when it stored nothing. */
  startEventId: number | null;
}

/** Where a camera's motion feed reports; never throws back into the feed. */
interface MotionSink {
  /** As soon as an event opens (not when it ends): returns the stored start's id, or null. */
  motionStarted(event: StartedMotion): number | null;
  motionEnded(event: FinishedMotion): void;
  /** Told of each mode change and ffmpeg start, for status and tests. */
  modeChanged?(cameraId: number, mode: MotionMode): void;
  /** Each analysed frame's verdict (diagnostics, benchmarks). */
  analysed?(cameraId: number, verdict: Verdict, mode: MotionMode): void;
}

export interface CameraMotionDeps {
  cameraId: number;
  /** The sub stream (credentials included); handed to ffmpeg on a pipe. */
  url: string;
  detector: Omit<DetectorSettings, 'width' | 'height'>;
  tracker: TrackerSettings;
  settings: MotionFeedSettings;
  clock: Clock;
  spawner: Spawner;
  log: Logger;
  sink: MotionSink;
  random?: () => number;
}

/** Analysis size: ~90 px high is what the detector is tuned for; 16:9 sub streams are scaled to it. */
export const ANALYSIS_WIDTH = 160;
export const ANALYSIS_HEIGHT = 90;
const KEPT_JPEGS = 8;

/**
 * Supervises the one ffmpeg that feeds one camera's detector. While the scene
 * is still it decodes key frames only; the first frame with motion restarts it
 * at `activeFps`, and it goes back to key frames when `ModePolicy` says so
 * (soon after the last confirmed motion, or after a look that confirmed
 * nothing). A restart, not a second process: one RTSP session per
 * camera for motion, and the detector's background survives the switch (see
 * docs/design/motion.md for the measured costs).
 *
 * Meant to be long-lived: after a failure it waits (backoff with jitter) and
 * starts again, until stop(). It never throws to its caller.
 */
export class CameraMotion {
  readonly #d: CameraMotionDeps;
  readonly #detector: MotionDetector;
  readonly #tracker: MotionTracker;
  readonly #policy: ModePolicy;
  readonly #backoff: Backoff;
  #proc: FfmpegProcess | undefined;
  #mode: MotionMode = 'still';
  #stopping = false;
  #switching = false;
  #restartTimer: unknown;
  #watchdog: unknown;
  #lastFrameAt = 0;
  /** Frames and JPEGs of the current run, numbered from 0 in arrival order. */
  #grayCount = 0;
  #jpegCount = 0;
  readonly #jpegs = new Map<number, Buffer>();
  /** Per zone: the frame number of its open event's peak, and the JPEG once it arrived. */
  readonly #peaks = new Map<string | null, { frame: number; run: number; jpeg: Buffer | null }>();
  /** Per zone with an open event: the id its start was stored under. */
  readonly #startIds = new Map<string | null, number | null>();
  #run = 0;
  #frameBuf: Buffer;
  #frameFill = 0;
  #stopped: Promise<void> | undefined;
  #latest: { jpeg: Buffer; atMs: number } | undefined;

  constructor(deps: CameraMotionDeps) {
    this.#d = deps;
    // Frames of an active stint must be close enough to be compared, whatever the rate.
    const persistMs = Math.max(deps.detector.persistMs, 1500 / deps.settings.activeFps);
    this.#detector = new MotionDetector({ ...deps.detector, persistMs, width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT });
    this.#tracker = new MotionTracker(deps.tracker);
    this.#policy = new ModePolicy(deps.settings.policy);
    this.#backoff = new Backoff(deps.settings.backoff, deps.random);
    this.#frameBuf = Buffer.alloc(ANALYSIS_WIDTH * ANALYSIS_HEIGHT);
  }

  get mode(): MotionMode {
    return this.#mode;
  }

  /** The newest JPEG this feed decoded (a key frame while still), for the snapshot wall. */
  get latestPicture(): { jpeg: Buffer; atMs: number } | undefined {
    return this.#latest;
  }

  get cameraId(): number {
    return this.#d.cameraId;
  }

  start(): void {
    this.#stopping = false;
    this.#stopped = undefined;
    this.#launch('still');
    const { clock, settings } = this.#d;
    this.#watchdog = clock.setInterval(() => this.#checkWatchdog(), Math.min(5_000, settings.watchdogMs / 4));
  }

  /** Stops ffmpeg; events still open end at their last motion and are reported. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const { clock, settings } = this.#d;
    this.#stopping = true;
    clock.clearTimeout(this.#restartTimer);
    clock.clearInterval(this.#watchdog);
    const proc = this.#proc;
    if (proc) await proc.stop(settings.stopGraceMs);
    this.#finish(this.#tracker.flush());
  }

  #launch(mode: MotionMode): void {
    if (this.#stopping) return;
    const { clock, settings, log, spawner } = this.#d;
    this.#mode = mode;
    this.#run++;
    this.#grayCount = 0;
    this.#jpegCount = 0;
    this.#jpegs.clear();
    this.#frameFill = 0;
    this.#backoff.recordStart(clock.now());
    this.#lastFrameAt = clock.now();
    const { args, inputScript } = motionCommand({
      inputUrl: this.#d.url,
      transport: settings.transport,
      socketTimeoutSeconds: Math.max(5, settings.watchdogMs / 1000),
      mode,
      activeFps: settings.activeFps,
      width: ANALYSIS_WIDTH,
      height: ANALYSIS_HEIGHT,
      thumbnailWidth: settings.thumbnailWidth,
    });
    log.debug({ mode, command: describeCommand(settings.ffmpegPath, args) }, 'starting motion ffmpeg');
    const jpegs = new JpegSplitter();
    const proc = new FfmpegProcess({
      spawner,
      clock,
      binary: settings.ffmpegPath,
      args,
      extraPipes: 1,
      inputText: inputScript,
      rawStdout: (chunk) => this.#onGray(proc, chunk),
      rawPipe: (_fd, chunk) => {
        if (this.#proc === proc) for (const j of jpegs.push(chunk)) this.#onJpeg(j);
      },
      onStderrLine: (line) => log.debug({ ffmpeg: redactUrls(line) }, 'motion ffmpeg'),
    });
    this.#proc = proc;
    this.#d.sink.modeChanged?.(this.#d.cameraId, mode);
    void proc.exited.then((info) => {
      if (this.#proc !== proc) return;
      this.#proc = undefined;
      if (this.#stopping) return;
      if (this.#switching) {
        this.#switching = false;
        this.#launch(this.#mode === 'still' ? 'active' : 'still');
        return;
      }
      log.info({ code: info.code, signal: info.signal, error: info.spawnError?.message }, 'motion ffmpeg exited; starting again later');
      // The camera is away: what was open ends at its last motion.
      this.#finish(this.#tracker.flush());
      this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    const { clock } = this.#d;
    const delay = this.#backoff.next(clock.now());
    this.#restartTimer = clock.setTimeout(() => this.#launch('still'), delay);
  }

  #checkWatchdog(): void {
    const { clock, settings, log } = this.#d;
    if (!this.#proc || this.#switching || this.#stopping) return;
    if (clock.now() - this.#lastFrameAt < settings.watchdogMs) return;
    log.warn({ silentMs: clock.now() - this.#lastFrameAt }, 'no frames for motion detection; restarting ffmpeg');
    void this.#proc.stop(settings.stopGraceMs);
  }

  /** Restarts ffmpeg in the other mode; the exit handler launches it. */
  #switchMode(): void {
    if (this.#switching || !this.#proc) return;
    this.#switching = true;
    void this.#proc.stop(this.#d.settings.stopGraceMs);
  }

  #onGray(proc: FfmpegProcess, chunk: Buffer): void {
    if (this.#proc !== proc) return;
    const size = this.#frameBuf.length;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - this.#frameFill, chunk.length - at);
      chunk.copy(this.#frameBuf, this.#frameFill, at, at + n);
      this.#frameFill += n;
      at += n;
      if (this.#frameFill === size) {
        this.#frameFill = 0;
        this.#onFrame();
      }
    }
  }

  #onFrame(): void {
    const { clock, log } = this.#d;
    const now = clock.now();
    this.#lastFrameAt = now;
    const frame = this.#grayCount++;
    let step;
    let wanted: MotionMode;
    try {
      const verdict = this.#detector.process(this.#frameBuf, now);
      step = this.#tracker.push(verdict);
      this.#d.sink.analysed?.(this.#d.cameraId, verdict, this.#mode);
      wanted = this.#policy.next(this.#mode, verdict);
    } catch (err) {
      log.error({ err }, 'motion detector failed on a frame');
      return;
    }
    // Ended first: an event cut at max length ends and reopens in the same frame.
    this.#finish(step.ended);
    this.#begin(step.started);
    for (const zone of step.peaked) this.#peaks.set(zone, { frame, run: this.#run, jpeg: this.#jpegs.get(frame) ?? null });
    if (!this.#switching && wanted !== this.#mode) this.#switchMode();
  }

  #onJpeg(jpeg: Buffer): void {
    const n = this.#jpegCount++;
    this.#latest = { jpeg, atMs: this.#d.clock.now() };
    this.#jpegs.set(n, jpeg);
    this.#jpegs.delete(n - KEPT_JPEGS);
    // The JPEG of a peak frame may come after its gray frame was analysed.
    for (const p of this.#peaks.values()) if (p.run === this.#run && p.frame === n && !p.jpeg) p.jpeg = jpeg;
  }

  /** Stored at once, so the village sees a hazard while it happens, not after it ended. */
  #begin(started: Array<string | null>): void {
    for (const zone of started) {
      const startMs = this.#tracker.openStart(zone);
      if (startMs === undefined) continue;
      let id: number | null = null;
      try {
        id = this.#d.sink.motionStarted({ cameraId: this.#d.cameraId, zone, startMs });
      } catch (err) {
        this.#d.log.error({ err }, 'storing a motion start failed');
      }
      this.#startIds.set(zone, id);
    }
  }

  #finish(ended: MotionEvent[]): void {
    for (const e of ended) {
      const peak = this.#peaks.get(e.zone);
      this.#peaks.delete(e.zone);
      const startEventId = this.#startIds.get(e.zone) ?? null;
      this.#startIds.delete(e.zone);
      try {
        this.#d.sink.motionEnded({ ...e, cameraId: this.#d.cameraId, thumbnail: peak?.jpeg ?? null, startEventId });
      } catch (err) {
        this.#d.log.error({ err }, 'storing a motion event failed');
      }
    }
  }
}
