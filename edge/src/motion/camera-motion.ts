import { redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { FfmpegProcess, describeCommand, type Spawner } from '../ffmpeg/process.ts';
import { JpegSplitter } from '../ffmpeg/jpeg-splitter.ts';
import { Backoff, type BackoffPolicy } from '../recorder/backoff.ts';
import { AccessUnitSplitter, accessUnitDelimiter, type VideoCodec } from './access-units.ts';
import { ACTIVE_JPEG_EVERY, activeDecoderCommand, motionCommand, type MotionMode } from './args.ts';
import { MotionDetector, type DetectorSettings, type Verdict } from './detector.ts';
import { GopBuffer } from './gop-buffer.ts';
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
  /**
   * Go active without a new RTSP session: the still ffmpeg also copies the
   * stream out, and a second decoder is fed from the last key frame on. Off, or
   * after it failed, going active restarts ffmpeg in active mode.
   */
  sharedSession: boolean;
  /** The active decoder must deliver a frame within this long, or the feed falls back to a restart. */
  decoderFirstFrameMs: number;
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
  sharedSession: true,
  decoderFirstFrameMs: 5_000,
};

/** A GOP longer or bigger than this is not kept (the decoder would start too far back). */
const GOP_LIMITS = { maxMs: 4_000, maxBytes: 2 * 1024 * 1024 };
/** After this many failed active decoders the feed goes back to restarting for good. */
const DECODER_FAILURE_LIMIT = 3;

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
  /** The stream's codec when known (probe); null: never share the session, always restart. */
  codec?: VideoCodec | null;
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

/** One ffmpeg's gray frames and JPEGs, numbered from 0 in arrival order. */
interface FrameSource {
  proc: FfmpegProcess;
  frame: Buffer;
  fill: number;
  grayCount: number;
  /** JPEG n is of gray frame n × this (the active decoder JPEGs every other frame). */
  jpegEvery: number;
  jpegCount: number;
  jpegs: Map<number, Buffer>;
  splitter: JpegSplitter;
  startedAt: number;
}

/**
 * Supervises the ffmpeg that feeds one camera's detector. While the scene is
 * still it decodes key frames only and copies the stream it receives to Node;
 * the first frame with motion starts a second ffmpeg (the active decoder) on
 * that copy, from the kept GOP, at `activeFps`: one RTSP session per camera
 * for motion, and no wait for the next key frame. It goes back to key frames
 * (the decoder stops) when `ModePolicy` says so (soon after the last confirmed
 * motion, or after a look that confirmed nothing). When the decoder cannot
 * run, the still ffmpeg restarts in active mode instead. The detector's
 * background survives every switch (docs/design/motion.md has the numbers).
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
  /** The active decoder fed from the still ffmpeg's copy of the stream, while it runs. */
  #decoder: FfmpegProcess | undefined;
  /** Whose frames the detector analyses: the still ffmpeg's, or the active decoder's. */
  #analysing: FrameSource | undefined;
  #procSource: FrameSource | undefined;
  #units: AccessUnitSplitter | undefined;
  readonly #gop = new GopBuffer(GOP_LIMITS);
  #decoderFailures = 0;
  /** Pictures of the copied stream not yet written to the active decoder, and when the first came. */
  #decoderQueue: Buffer[] = [];
  #decoderQueueSince = 0;
  #mode: MotionMode = 'still';
  #stopping = false;
  #switching = false;
  #restartTimer: unknown;
  #watchdog: unknown;
  #lastFrameAt = 0;
  /** Per zone: which JPEG of its source shows its open event's peak, and that JPEG once it arrived. */
  readonly #peaks = new Map<string | null, { jpegOf: number; source: FrameSource; jpeg: Buffer | null }>();
  /** Per zone with an open event: the id its start was stored under. */
  readonly #startIds = new Map<string | null, number | null>();
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
    await Promise.all([this.#stopDecoder(), proc?.stop(settings.stopGraceMs)]);
    this.#finish(this.#tracker.flush());
  }

  #launch(mode: MotionMode): void {
    if (this.#stopping) return;
    const { clock, settings, log, spawner } = this.#d;
    this.#mode = mode;
    const codec = this.#d.codec === undefined ? 'h264' : this.#d.codec;
    const copy = mode === 'still' && settings.sharedSession && codec !== null && this.#decoderFailures < DECODER_FAILURE_LIMIT;
    this.#units = copy ? new AccessUnitSplitter(codec) : undefined;
    this.#gop.clear();
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
      copyStream: copy,
    });
    log.debug({ mode, command: describeCommand(settings.ffmpegPath, args) }, 'starting motion ffmpeg');
    const proc: FfmpegProcess = FfmpegProcess.spawn({
      spawner,
      clock,
      binary: settings.ffmpegPath,
      args,
      extraPipes: copy ? 2 : 1,
      inputText: inputScript,
      rawStdout: (chunk) => {
        if (this.#proc === proc) this.#onGray(source, chunk);
      },
      rawPipe: (fd, chunk) => {
        if (this.#proc !== proc) return;
        if (fd === 3) this.#onJpegChunk(source, chunk);
        else this.#onCopy(chunk);
      },
      onStderrLine: (line) => log.debug({ ffmpeg: redactUrls(line) }, 'motion ffmpeg'),
    });
    const source = this.#newSource(proc);
    this.#proc = proc;
    this.#procSource = source;
    // A restarted ffmpeg starts at the next key frame, a fresh picture: compared as it comes.
    this.#analysing = source;
    this.#d.sink.modeChanged?.(this.#d.cameraId, mode);
    void proc.exited.then(async (info) => {
      if (this.#proc !== proc) return;
      this.#proc = undefined;
      // The decoder lives on this ffmpeg's copy of the stream.
      await this.#stopDecoder();
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

  #newSource(proc: FfmpegProcess, jpegEvery = 1): FrameSource {
    const now = this.#d.clock.now();
    return { proc, frame: Buffer.alloc(ANALYSIS_WIDTH * ANALYSIS_HEIGHT), fill: 0, grayCount: 0, jpegEvery, jpegCount: 0, jpegs: new Map(), splitter: new JpegSplitter(), startedAt: now };
  }

  #checkWatchdog(): void {
    const { clock, settings, log } = this.#d;
    if (!this.#proc || this.#switching || this.#stopping) return;
    const a = this.#analysing;
    if (this.#decoder && a && a.proc === this.#decoder && a.grayCount === 0 && clock.now() - a.startedAt >= settings.decoderFirstFrameMs) {
      log.warn({ waitedMs: clock.now() - a.startedAt }, 'active motion decoder gave no frame; restarting ffmpeg in active mode instead');
      this.#decoderFailed();
      return;
    }
    if (clock.now() - this.#lastFrameAt < settings.watchdogMs) return;
    log.warn({ silentMs: clock.now() - this.#lastFrameAt }, 'no frames for motion detection; restarting ffmpeg');
    void this.#proc.stop(settings.stopGraceMs);
  }

  /**
   * To active: start a decoder on the copied stream when there is one (same
   * RTSP session, from the last key frame), else restart ffmpeg in active mode.
   * To still: stop that decoder (the still ffmpeg never stopped), else restart.
   */
  #switchMode(): void {
    if (this.#switching || !this.#proc) return;
    if (this.#mode === 'still' && this.#startDecoder()) return;
    if (this.#mode === 'active' && this.#decoder) {
      void this.#stopDecoder();
      this.#mode = 'still';
      this.#analyse(this.#procSource);
      this.#d.sink.modeChanged?.(this.#d.cameraId, 'still');
      return;
    }
    this.#switching = true;
    void this.#proc.stop(this.#d.settings.stopGraceMs);
  }

  /** The still ffmpeg's copy of the stream: kept from the last key frame on, and fed to the decoder. */
  #onCopy(chunk: Buffer): void {
    const splitter = this.#units;
    if (!splitter) return;
    let units;
    try {
      units = splitter.push(chunk);
    } catch (err) {
      this.#d.log.warn({ err }, 'the copied stream cannot be split into pictures; going active by restart');
      this.#units = undefined;
      this.#gop.clear();
      this.#decoderFailures = DECODER_FAILURE_LIMIT;
      if (this.#decoder) this.#decoderFailed();
      return;
    }
    const now = this.#d.clock.now();
    for (const unit of units) {
      this.#gop.push(unit, now);
      if (!this.#decoder) continue;
      if (this.#decoderQueue.length === 0) this.#decoderQueueSince = now;
      this.#decoderQueue.push(unit.data);
    }
    // Pictures go to the decoder a few at a time, half an analysis interval's worth: each
    // write is a syscall and a wakeup of the decoder, and it analyses one picture an interval
    // anyway (the first of a batch: they arrive together, and `select` keeps one an interval).
    if (this.#decoder && this.#decoderQueue.length > 0 && now - this.#decoderQueueSince >= 500 / this.#d.settings.activeFps) {
      const batch = this.#decoderQueue;
      this.#decoderQueue = [];
      if (!this.#feedDecoder(batch)) this.#decoderFailed();
    }
  }

  /** One write: the pictures, each followed by a delimiter (the decoder's parser then ends it at once). */
  #feedDecoder(units: readonly Buffer[]): boolean {
    const aud = accessUnitDelimiter(this.#d.codec ?? 'h264');
    return this.#decoder!.feed(Buffer.concat(units.flatMap((u) => [u, aud])));
  }

  #startDecoder(): boolean {
    const { clock, settings, log, spawner } = this.#d;
    const codec = this.#d.codec ?? 'h264';
    if (!this.#units || !this.#gop.ready || this.#decoderFailures >= DECODER_FAILURE_LIMIT) return false;
    // The first comparison (rule 11) between two kept pictures an active interval apart: no wait for the next.
    const kept = this.#gop.start(1000 / settings.activeFps);
    const args = activeDecoderCommand({ codec, activeFps: settings.activeFps, width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT, thumbnailWidth: settings.thumbnailWidth, analyseKept: kept.analyse });
    log.debug({ kept: kept.units.length, analyse: kept.analyse, command: describeCommand(settings.ffmpegPath, args) }, 'starting active motion decoder');
    const dec: FfmpegProcess = FfmpegProcess.spawn({
      spawner,
      clock,
      binary: settings.ffmpegPath,
      args,
      extraPipes: 1,
      feedPipe: true,
      rawStdout: (chunk) => {
        if (this.#decoder === dec) this.#onGray(source, chunk);
      },
      rawPipe: (_fd, chunk) => {
        if (this.#decoder === dec) this.#onJpegChunk(source, chunk);
      },
      onStderrLine: (line) => log.debug({ ffmpeg: line }, 'active motion decoder'),
    });
    const source = this.#newSource(dec, ACTIVE_JPEG_EVERY);
    this.#decoder = dec;
    void dec.exited.then((info) => {
      if (this.#decoder !== dec) return;
      log.warn({ code: info.code, signal: info.signal, error: info.spawnError?.message }, 'active motion decoder exited; restarting ffmpeg in active mode instead');
      this.#decoderFailed();
    });
    if (!this.#feedDecoder(kept.units)) {
      this.#decoderFailed();
      return this.#switching;
    }
    this.#mode = 'active';
    this.#analyse(source);
    this.#d.sink.modeChanged?.(this.#d.cameraId, 'active');
    return true;
  }

  /**
   * Between the still ffmpeg and the active decoder: from now on the detector reads `source`,
   * and its first frame is not compared with the last one read (their pictures are seconds apart).
   */
  #analyse(source: FrameSource | undefined): void {
    if (source !== this.#analysing) this.#detector.unlinkPrevious();
    this.#analysing = source;
  }

  /** Today's way as the fallback: the still ffmpeg restarts in active mode (a new RTSP session). */
  #decoderFailed(): void {
    this.#decoderFailures++;
    void this.#stopDecoder();
    this.#mode = 'still';
    this.#analyse(this.#procSource);
    if (this.#stopping || !this.#proc || this.#switching) return;
    this.#switching = true;
    void this.#proc.stop(this.#d.settings.stopGraceMs);
  }

  async #stopDecoder(): Promise<void> {
    const dec = this.#decoder;
    if (!dec) return;
    this.#decoder = undefined;
    this.#decoderQueue = [];
    dec.endFeed();
    await dec.stop(this.#d.settings.stopGraceMs);
  }

  #onGray(source: FrameSource, chunk: Buffer): void {
    const size = source.frame.length;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - source.fill, chunk.length - at);
      // A source not analysed now (the still ffmpeg while the decoder runs) is only counted.
      if (source === this.#analysing) chunk.copy(source.frame, source.fill, at, at + n);
      source.fill += n;
      at += n;
      if (source.fill === size) {
        source.fill = 0;
        const frame = source.grayCount++;
        if (frame === 0 && source.proc === this.#decoder) this.#d.log.debug({ afterMs: this.#d.clock.now() - source.startedAt }, 'active motion decoder: first frame');
        if (source === this.#analysing) this.#onFrame(source, frame);
      }
    }
  }

  #onFrame(source: FrameSource, frame: number): void {
    const { clock, log } = this.#d;
    const now = clock.now();
    this.#lastFrameAt = now;
    let step;
    let wanted: MotionMode;
    try {
      const verdict = this.#detector.process(source.frame, now);
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
    // The JPEG of this frame, or of the nearest one before it that has one.
    const jpegOf = Math.floor(frame / source.jpegEvery);
    for (const zone of step.peaked) this.#peaks.set(zone, { jpegOf, source, jpeg: source.jpegs.get(jpegOf) ?? null });
    if (!this.#switching && wanted !== this.#mode) this.#switchMode();
  }

  #onJpegChunk(source: FrameSource, chunk: Buffer): void {
    for (const jpeg of source.splitter.push(chunk)) {
      const n = source.jpegCount++;
      // The wall shows what is analysed: key frames while still, the decoder's frames while active.
      if (source === this.#analysing) this.#latest = { jpeg, atMs: this.#d.clock.now() };
      source.jpegs.set(n, jpeg);
      source.jpegs.delete(n - KEPT_JPEGS);
      // The JPEG of a peak frame may come after its gray frame was analysed.
      for (const p of this.#peaks.values()) if (p.source === source && p.jpegOf === n && !p.jpeg) p.jpeg = jpeg;
    }
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
