import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { CunboxError } from '../errors.ts';
import { rtspInput } from '../ffmpeg/rtsp-input.ts';
import { FfmpegProcess, type Spawner } from '../ffmpeg/process.ts';
import { JpegSplitter } from '../ffmpeg/jpeg-splitter.ts';

export interface Snapshot {
  jpeg: Buffer;
  /** When the picture was taken (for a feed's picture: when it was decoded). */
  atMs: number;
  /** Where it came from, when not a snapshot feed: the motion feed, or the recording being written. */
  source?: 'motion' | 'recording';
}

interface Feed {
  proc: FfmpegProcess;
  latest: Snapshot | undefined;
  waiters: Array<(s: Snapshot) => void>;
  idleTimer: unknown;
}

export interface SnapshotDeps {
  spawner: Spawner;
  clock: Clock;
  log: Logger;
  ffmpegPath?: string;
  /** A feed nobody asked for this long is stopped. */
  idleMs?: number;
  /** How long the first request waits for a picture. */
  firstFrameTimeoutMs?: number;
  /**
   * A picture another feed of the same camera already decoded (motion
   * detection's key frames, 320 px wide): used while fresh, instead of a
   * second RTSP session and decode.
   */
  shared?: (cameraId: number) => Snapshot | undefined;
  /**
   * The newest key frame of the recording being written (recording-snapshot.ts):
   * answers a request that opens a feed at once, instead of after the feed's
   * seconds of RTSP setup and probing. Undefined: wait for the feed.
   */
  recorded?: (cameraId: number) => Promise<Snapshot | undefined>;
}

/** A shared picture older than this (a stalled feed) is not used. */
const SHARED_FRESH_MS = 10_000;

/**
 * The latest JPEG of each camera for a 64-camera wall, without decoding 64
 * streams continuously: a feed reads the camera's sub stream and decodes key
 * frames only (`-skip_frame nokey`) and encodes every other one (a picture
 * per two GOPs, ~4 s: the wall refreshes a tile every 5 s against a 10-s age
 * goal, and the JPEG encoder is a third of a feed's CPU), and it runs
 * only while someone keeps asking — it stops after `idleMs` without requests.
 */
export class SnapshotService {
  readonly #feeds = new Map<number, Feed>();
  /** Each camera's newest picture, kept when its feed ends (camera offline): a wall shows it with its age instead of waiting. */
  readonly #last = new Map<number, Snapshot>();
  readonly #deps: SnapshotDeps;

  constructor(deps: SnapshotDeps) {
    this.#deps = deps;
  }

  active(): number[] {
    return [...this.#feeds.keys()];
  }

  /**
   * `url` (credentials included) may be a function: it is called only when a feed has to be
   * opened, so the wall's steady refreshes (a feed already running, or the motion feed's
   * picture) do not read every camera's secrets per tile.
   */
  async latest(cameraId: number, url: string | (() => string)): Promise<Snapshot> {
    const { clock } = this.#deps;
    const shared = this.#deps.shared?.(cameraId);
    if (shared && clock.now() - shared.atMs <= SHARED_FRESH_MS) return { ...shared, source: 'motion' };
    const previous = this.#last.get(cameraId);
    // No picture from a running feed, and none a feed left lately: the recording's newest key frame is
    // the freshest to be had. It is decoded before the feed opens (which it then does, so the next
    // requests are warm): on a small box the feed's RTSP setup and probing would slow this decode.
    if (this.#deps.recorded && !this.#feeds.get(cameraId)?.latest && (!previous || clock.now() - previous.atMs > SHARED_FRESH_MS)) {
      // The motion feed's stale picture counts too: it and the recording can hold the same key
      // frame, stamped tens of ms apart (decoded vs written), and the wall must not step back.
      const recorded = newestOf(await this.#deps.recorded(cameraId), shared && { ...shared, source: 'motion' });
      if (recorded && (!previous || recorded.atMs > previous.atMs)) {
        this.#feedFor(cameraId, url);
        return recorded;
      }
    }
    const f = this.#feedFor(cameraId, url);
    // The motion feed's picture, gone stale (the camera went away), may be newer than this
    // service's own: the wall must not step back to an older picture.
    const newest = (own: Snapshot): Snapshot => newestOf(own, shared && { ...shared, source: 'motion' })!;
    if (f.latest) return newest(f.latest);
    const last = this.#last.get(cameraId);
    if (last) return newest(last);
    return new Promise<Snapshot>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        f.waiters = f.waiters.filter((w) => w !== done);
        reject(new CunboxError('UNAVAILABLE', 'no picture from the camera yet; it may be offline'));
      }, this.#deps.firstFrameTimeoutMs ?? 8000);
      const done = (s: Snapshot) => {
        clock.clearTimeout(timer);
        resolve(s);
      };
      f.waiters.push(done);
    });
  }

  /** The camera's running feed, opened if there is none; either way kept from idling out for now. */
  #feedFor(cameraId: number, url: string | (() => string)): Feed {
    const feed = this.#feeds.get(cameraId) ?? this.#open(cameraId, typeof url === 'string' ? url : url());
    this.#armIdle(cameraId, feed);
    return feed;
  }

  /** Stop the feed `idleMs` after the last request, but never while a request still waits for its first picture. */
  #armIdle(cameraId: number, f: Feed): void {
    const { clock } = this.#deps;
    clock.clearTimeout(f.idleTimer);
    f.idleTimer = clock.setTimeout(() => {
      if (f.waiters.length > 0) this.#armIdle(cameraId, f);
      else void this.#close(cameraId, f);
    }, this.#deps.idleMs ?? 60_000);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#feeds.entries()].map(([id, f]) => this.#close(id, f)));
  }

  #open(cameraId: number, url: string): Feed {
    const { spawner, clock, log } = this.#deps;
    const splitter = new JpegSplitter();
    const feed: Feed = { proc: undefined as unknown as FfmpegProcess, latest: undefined, waiters: [], idleTimer: undefined };
    // The URL, credentials included, goes on a pipe: the command line is public to local users.
    const input = rtspInput({ url, transport: 'tcp', socketTimeoutSeconds: 10 }, 3);
    // One decoder thread: a key frame every ~2 s needs no frame threading, and with 64 feeds the
    // threads' wake-ups cost more than the decoding (measured: a quarter less CPU per feed).
    const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-threads', '1', '-skip_frame', 'nokey', ...input.args,
      '-map', '0:v:0', '-vf', 'select=not(mod(n\\,2))', '-fps_mode', 'passthrough', '-q:v', '5', '-huffman', 'default', '-flush_packets', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
    feed.proc = FfmpegProcess.spawn({
      spawner,
      clock,
      binary: this.#deps.ffmpegPath ?? 'ffmpeg',
      args,
      inputText: input.script,
      rawStdout: (chunk) => {
        for (const jpeg of splitter.push(chunk)) {
          feed.latest = { jpeg, atMs: clock.now() };
          this.#last.set(cameraId, feed.latest);
          for (const w of feed.waiters.splice(0)) w(feed.latest);
        }
      },
      onStderrLine: (line) => log.debug({ cameraId, ffmpeg: line }, 'snapshot ffmpeg'),
    });
    this.#feeds.set(cameraId, feed);
    void feed.proc.exited.then(() => {
      if (this.#feeds.get(cameraId) === feed) this.#feeds.delete(cameraId);
      clock.clearTimeout(feed.idleTimer);
    });
    return feed;
  }

  async #close(cameraId: number, feed: Feed): Promise<void> {
    this.#deps.clock.clearTimeout(feed.idleTimer);
    if (this.#feeds.get(cameraId) === feed) this.#feeds.delete(cameraId);
    await feed.proc.stop(1000);
  }
}

/** The later of two pictures; the first on a tie (a feed's own picture is preferred to the same moment seen elsewhere). */
function newestOf(a: Snapshot | undefined, b: Snapshot | undefined): Snapshot | undefined {
  if (!a) return b;
  return b && b.atMs > a.atMs ? b : a;
}
