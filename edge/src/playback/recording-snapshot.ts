/**
 * A camera's newest picture taken from the recording being written, for a
 * request that finds no snapshot feed running: the feed needs RTSP setup,
 * probing and about two key frames (seconds) before its first picture, while
 * the recorder's current segment already holds a key frame from the last
 * GOP. The tail of the newest file in the camera's incoming directory is
 * scanned for its last complete key frame (ts-tail.ts), and ffmpeg decodes
 * that one frame to a JPEG.
 *
 * When the picture was taken: the file's mtime is when the recorder last
 * wrote to it, and the newest frame in the file is at most that recent; the
 * key frame is older than it by their PTS difference. So
 * `atMs = mtime − (newest PTS − key PTS)`. That is later than the true
 * capture by what the recorder's write buffer (256 KiB: about a second of a
 * 2 Mbit/s main stream) and the camera's own latency held back; a live feed's
 * time errs the same way (it stamps a picture when decoded).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { FfmpegProcess, type Spawner } from '../ffmpeg/process.ts';
import { JpegSplitter } from '../ffmpeg/jpeg-splitter.ts';
import { parseIncomingName, type Layout } from '../storage/layout.ts';
import { lastKeyFrame, TS_PACKET } from './ts-tail.ts';
import type { Snapshot } from './snapshots.ts';

export interface RecordingSnapshotOptions {
  /** A file not written for longer (the recorder is down or stalled) is not used. */
  maxAgeMs: number;
  /** How much of the file's end is scanned: a few GOPs of a main stream. */
  tailBytes: number;
  /** Pictures are scaled down to this width: a phone's or a tile's picture, as the sub stream gives. */
  maxWidth: number;
  /** Decodes at once; a request beyond them waits for the feed instead (a cold wall must not start 64 decodes). */
  maxConcurrent: number;
  /** ffmpeg that has not answered by then is stopped. */
  timeoutMs: number;
}

const defaults: RecordingSnapshotOptions = { maxAgeMs: 10_000, tailBytes: 4 * 1024 * 1024, maxWidth: 640, maxConcurrent: 2, timeoutMs: 3000 };

export interface RecordingSnapshotDeps {
  layout: Layout;
  spawner: Spawner;
  clock: Clock;
  log: Logger;
  ffmpegPath?: string;
  /** Absolute path of the camera's newest indexed segment, if any. */
  closedSegment?: (cameraId: number) => string | undefined;
  options?: Partial<RecordingSnapshotOptions>;
}

export class RecordingSnapshots {
  readonly #deps: RecordingSnapshotDeps;
  readonly #opts: RecordingSnapshotOptions;
  #running = 0;

  constructor(deps: RecordingSnapshotDeps) {
    this.#deps = deps;
    this.#opts = { ...defaults, ...deps.options };
  }

  /** The newest key frame of the camera's recording, or undefined (nothing fresh recorded, busy, or it failed). Never throws. */
  async latest(cameraId: number): Promise<Snapshot | undefined> {
    if (this.#running >= this.#opts.maxConcurrent) return undefined;
    this.#running++;
    try {
      return await this.#take(cameraId);
    } catch (err) {
      this.#deps.log.debug({ cameraId, err: (err as Error).message }, 'no picture from the recording');
      return undefined;
    } finally {
      this.#running--;
    }
  }

  async #take(cameraId: number): Promise<Snapshot | undefined> {
    for (const file of await this.#candidates(cameraId)) {
      const snap = await this.#fromFile(file);
      if (snap) return snap;
    }
    return undefined;
  }

  /**
   * The file the recorder writes now (the highest run, then sequence number), then the one before
   * it: the recorder's ffmpeg writes in 256-KiB blocks, so a file just begun is empty for about a
   * second. The one before may be closed and moved already: then the index's newest segment.
   */
  async #candidates(cameraId: number): Promise<string[]> {
    const dir = this.#deps.layout.incomingDir(cameraId);
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      // No recording of this camera yet.
    }
    const incoming = names
      .map((name) => ({ name, id: parseIncomingName(name) }))
      .filter((f): f is { name: string; id: { runId: number; seq: number } } => f.id !== undefined)
      .sort((a, b) => b.id.runId - a.id.runId || b.id.seq - a.id.seq)
      .slice(0, 2)
      .map((f) => join(dir, f.name));
    const closed = this.#deps.closedSegment?.(cameraId);
    return incoming.length < 2 && closed ? [...incoming, closed] : incoming;
  }

  async #fromFile(file: string): Promise<Snapshot | undefined> {
    let size: number, mtimeMs: number;
    try {
      ({ size, mtimeMs } = await stat(file));
    } catch {
      return undefined; // closed and moved meanwhile
    }
    if (this.#deps.clock.now() - mtimeMs > this.#opts.maxAgeMs) return undefined;
    const end = Math.floor(size / TS_PACKET) * TS_PACKET;
    const from = Math.max(0, end - Math.floor(this.#opts.tailBytes / TS_PACKET) * TS_PACKET);
    const tail = Buffer.alloc(end - from);
    const fh = await open(file, 'r');
    try {
      await fh.read(tail, 0, tail.length, from);
    } finally {
      await fh.close();
    }
    const key = lastKeyFrame(tail);
    if (!key) return undefined;
    const jpeg = await this.#decode(file, from + key.startOffset);
    return jpeg && { jpeg, atMs: Math.round(mtimeMs - key.ticksBeforeNewest / 90), source: 'recording' };
  }

  /** The first key frame from `offset` on, as a JPEG. */
  async #decode(file: string, offset: number): Promise<Buffer | undefined> {
    const { spawner, clock, log } = this.#deps;
    const splitter = new JpegSplitter();
    let jpeg: Buffer | undefined;
    const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-threads', '1', '-skip_frame', 'nokey',
      '-analyzeduration', '0', '-probesize', '65536', '-skip_initial_bytes', String(offset), '-i', file,
      '-map', '0:v:0', '-frames:v', '1', '-vf', `scale='min(${this.#opts.maxWidth},iw)':-2`, '-q:v', '5', '-huffman', 'default', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
    const proc = FfmpegProcess.spawn({
      spawner,
      clock,
      binary: this.#deps.ffmpegPath ?? 'ffmpeg',
      args,
      rawStdout: (chunk) => {
        for (const j of splitter.push(chunk)) jpeg ??= j;
      },
      onStderrLine: (line) => log.debug({ ffmpeg: line }, 'recording snapshot ffmpeg'),
    });
    const timer = clock.setTimeout(() => void proc.stop(500), this.#opts.timeoutMs);
    try {
      await proc.exited;
    } finally {
      clock.clearTimeout(timer);
    }
    return jpeg;
  }
}
