import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { rtspInput } from '../ffmpeg/rtsp-input.ts';
import { FfmpegProcess, type Spawner } from '../ffmpeg/process.ts';
import { Fmp4FanOut } from '@cunbox/shared/fmp4';

type LiveStream = 'main' | 'sub';

export interface LiveSource {
  cameraId: number;
  stream: LiveStream;
  /** Input URL with credentials; never logged. */
  url: string;
}

export interface LiveViewer {
  /** Called with the init segment first, then fragments, starting at a key frame. */
  write(chunk: Buffer): void;
  close(): void;
}

interface Channel {
  key: string;
  proc: FfmpegProcess;
  fanOut: Fmp4FanOut<LiveViewer>;
  idleTimer: unknown;
}

/**
 * Live view without transcoding: one ffmpeg per watched camera stream (main and
 * sub are separate channels, so a viewer always gets the resolution asked for) remuxes its RTSP
 * stream into fragmented MP4 (a fragment every 100 ms), fanned out to every
 * viewer; MSE in the browser plays it. A viewer who joins gets the init
 * segment and then fragments from the next key frame. When the last viewer
 * leaves, ffmpeg stops after `idleMs` (upstream work only while watched).
 */
export interface LiveDeps {
  spawner: Spawner;
  clock: Clock;
  log: Logger;
  ffmpegPath?: string;
  /** How long an unwatched stream keeps running (a viewer switching tabs comes back). */
  idleMs?: number;
}

export class LiveService {
  /** By `channelKey`: a camera's main and sub stream are different upstreams. */
  readonly #channels = new Map<string, Channel>();
  readonly #deps: LiveDeps;

  constructor(deps: LiveDeps) {
    this.#deps = deps;
  }

  /** Streams with a running upstream, as `cameraId/stream` (for tests and status). */
  active(): string[] {
    return [...this.#channels.keys()];
  }

  watch(source: LiveSource, viewer: LiveViewer): () => void {
    let ch = this.#channels.get(channelKey(source));
    if (!ch) ch = this.#open(source);
    this.#deps.clock.clearTimeout(ch.idleTimer);
    ch.fanOut.add(viewer);
    const channel = ch;
    return () => {
      if (!channel.fanOut.remove(viewer)) return;
      if (channel.fanOut.size === 0 && this.#channels.get(channel.key) === channel) {
        channel.idleTimer = this.#deps.clock.setTimeout(() => this.#close(channel), this.#deps.idleMs ?? 5000);
      }
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((ch) => this.#close(ch)));
  }

  #open(source: LiveSource): Channel {
    const { spawner, clock, log } = this.#deps;
    const key = channelKey(source);
    const where = { cameraId: source.cameraId, stream: source.stream };
    const fanOut = new Fmp4FanOut<LiveViewer>((v, chunk) => v.write(chunk));
    // The URL, credentials included, goes on a pipe: the command line is public to local users.
    const probe = { fflags: 'nobuffer', analyzeduration: '500000', probesize: '500000' };
    const input = rtspInput({ url: source.url, transport: 'tcp', socketTimeoutSeconds: 10, options: probe }, 3);
    const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-fflags', probe.fflags, '-analyzeduration', probe.analyzeduration, '-probesize', probe.probesize, ...input.args,
      '-map', '0:v:0', '-c', 'copy', '-flush_packets', '1', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '100000', 'pipe:1'];
    const proc = FfmpegProcess.spawn({
      spawner,
      clock,
      binary: this.#deps.ffmpegPath ?? 'ffmpeg',
      args,
      inputText: input.script,
      rawStdout: (chunk) => {
        try {
          fanOut.push(chunk);
        } catch (err) {
          log.warn({ err, ...where }, 'live stream: bad MP4 from ffmpeg');
          void proc.stop(1000);
        }
      },
      onStderrLine: (line) => log.debug({ ...where, ffmpeg: line }, 'live ffmpeg'),
    });
    const ch: Channel = { key, proc, fanOut, idleTimer: undefined };
    this.#channels.set(key, ch);
    void proc.exited.then(() => {
      if (this.#channels.get(key) === ch) this.#channels.delete(key);
      for (const v of fanOut.viewers()) v.close();
    });
    log.info(where, 'live view started');
    return ch;
  }

  async #close(ch: Channel): Promise<void> {
    this.#deps.clock.clearTimeout(ch.idleTimer);
    if (this.#channels.get(ch.key) === ch) this.#channels.delete(ch.key);
    await ch.proc.stop(1000);
    this.#deps.log.info({ channel: ch.key }, 'live view stopped (no viewers)');
  }
}

function channelKey(source: LiveSource): string {
  return `${source.cameraId}/${source.stream}`;
}
