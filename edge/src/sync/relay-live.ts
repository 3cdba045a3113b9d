/**
 * The edge's live uploads for the relay (docs/design/relay.md): for a live
 * request the edge opens one outbound chunked HTTP POST to the cloud and
 * writes into it the fMP4 of its own live channel for the camera (the
 * `LiveService` fan-out: a camera watched on the edge's screen and on phones
 * costs one ffmpeg). The upload lasts while the cloud renews the request
 * (same id) and ends `renewalTimeoutMs` after the last renewal, or at once
 * when the cloud closes the connection.
 *
 * Every upload shares one token bucket: the relay's uplink never takes more
 * than its cap, whatever the number of cameras watched. When the link is
 * slower than the stream, the uplink skips to the next key frame instead of
 * queueing: a phone sees a jump, never a growing delay.
 */
import { request, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LIVE_UPLOAD_PATH, redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { LiveSource, LiveViewer } from '../playback/live.ts';
import { TokenBucket } from './throttle.ts';
import { edgeBasicAuth } from './media-uploader.ts';
import { isKeyframeFragment } from '@cunbox/shared/fmp4';

interface LiveUplinkOptions {
  /** The relay uplink's cap, bytes per second, across every live upload; 0: none. */
  bytesPerSecond: number;
  /** Uploads at once (distinct cameras watched through the cloud). */
  maxUploads: number;
  /** Unsent bytes beyond which fragments are skipped up to the next key frame. */
  maxBacklogBytes: number;
  renewalTimeoutMs: number;
}

export interface LiveUplinkDeps {
  clock: Clock;
  log: Logger;
  cloudUrl: string;
  credentials: { edgeId: string; password: string };
  /** LiveService.watch: the edge's own live channel for a camera stream. */
  watch: (source: LiveSource, viewer: LiveViewer) => () => void;
  options: LiveUplinkOptions;
}

interface Uplink {
  id: string;
  cameraId: number;
  req: ClientRequest;
  leave: () => void;
  deadline: unknown;
  /** Paced bytes not yet handed to the socket. */
  queue: Buffer[];
  queued: number;
  timer: unknown;
  skipping: boolean;
  /** The first write is the init segment (LiveService's rule): never skipped. */
  gotInit: boolean;
  ended: boolean;
}

export class LiveUplinks {
  readonly #deps: LiveUplinkDeps;
  readonly #bucket: TokenBucket;
  readonly #uplinks = new Map<string, Uplink>();
  readonly stats = { opened: 0, bytesSent: 0, fragmentsSkipped: 0 };

  constructor(deps: LiveUplinkDeps) {
    this.#deps = deps;
    // Small bursts (50 ms' worth, at least 4 KiB): a burst of video sent at once holds an op behind it on a slow line.
    this.#bucket = new TokenBucket({ clock: deps.clock, bytesPerSecond: deps.options.bytesPerSecond, burstBytes: Math.max(4096, deps.options.bytesPerSecond / 20) });
  }

  /** Request ids with an upload running (tests, status). */
  active(): string[] {
    return [...this.#uplinks.keys()];
  }

  has(id: string): boolean {
    return this.#uplinks.has(id);
  }

  /** A renewal: the upload goes on. False: no such upload (it ended; the caller starts a new one). */
  renew(id: string): boolean {
    const u = this.#uplinks.get(id);
    if (!u) return false;
    this.#armDeadline(u);
    return true;
  }

  /** Starts the upload for request `id`. False: too many uploads at once. */
  open(id: string, source: LiveSource): boolean {
    if (this.#uplinks.size >= this.#deps.options.maxUploads) return false;
    const { cloudUrl, credentials, log } = this.#deps;
    const url = new URL(`${LIVE_UPLOAD_PATH}/${id}`, cloudUrl);
    const req = (url.protocol === 'https:' ? httpsRequest : request)(url, {
      method: 'POST',
      headers: { authorization: edgeBasicAuth(credentials), 'content-type': 'video/mp4', 'transfer-encoding': 'chunked' },
    });
    // Small writes must leave at once: Nagle would hold a fragment back for the last one's ACK.
    req.on('socket', (s) => s.setNoDelay(true));
    const u: Uplink = { id, cameraId: source.cameraId, req, leave: () => undefined, deadline: undefined, queue: [], queued: 0, timer: undefined, skipping: false, gotInit: false, ended: false };
    this.#uplinks.set(id, u);
    this.stats.opened++;
    req.on('error', (err) => {
      log.info({ request: id, err: redactUrls(err.message) }, 'live upload ended by the link');
      this.#end(u);
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) log.warn({ request: id, status: res.statusCode }, 'the cloud refused the live upload');
      res.resume();
      this.#end(u);
    });
    req.on('close', () => this.#end(u));
    this.#armDeadline(u);
    u.leave = this.#deps.watch(source, { write: (chunk) => this.#offer(u, chunk), close: () => this.#end(u) });
    log.info({ request: id, cameraId: source.cameraId, stream: source.stream }, 'live upload started');
    return true;
  }

  /** Ends one upload (the edge refused the user a renewal named). */
  close(id: string): void {
    const u = this.#uplinks.get(id);
    if (u) this.#end(u);
  }

  stop(): void {
    for (const u of [...this.#uplinks.values()]) this.#end(u);
  }

  #armDeadline(u: Uplink): void {
    const { clock, options } = this.#deps;
    clock.clearTimeout(u.deadline);
    u.deadline = clock.setTimeout(() => {
      this.#deps.log.info({ request: u.id }, 'live upload ended: no renewal from the cloud');
      this.#end(u);
    }, options.renewalTimeoutMs);
  }

  /** The init segment and whole fragments, in order, from the live channel. */
  #offer(u: Uplink, chunk: Buffer): void {
    if (u.ended) return;
    const backlog = u.queued + u.req.writableLength + (u.req.socket?.writableLength ?? 0);
    if (!u.gotInit) u.gotInit = true;
    else {
      const key = isKeyframeFragment(chunk);
      if (backlog > this.#deps.options.maxBacklogBytes) u.skipping = true;
      else if (u.skipping && key) u.skipping = false;
      if (u.skipping) {
        this.stats.fragmentsSkipped++;
        return;
      }
    }
    u.queue.push(chunk);
    u.queued += chunk.length;
    this.#pump(u);
  }

  #pump(u: Uplink): void {
    if (u.timer !== undefined || u.ended) return;
    while (u.queue.length > 0) {
      const piece = u.queue[0]!.subarray(0, Number.isFinite(this.#bucket.piece) ? this.#bucket.piece : undefined);
      const wait = this.#bucket.reserve(piece.length);
      const send = (): void => {
        u.timer = undefined;
        if (u.ended) return;
        const head = u.queue[0]!;
        if (piece.length === head.length) u.queue.shift();
        else u.queue[0] = head.subarray(piece.length);
        u.queued -= piece.length;
        this.stats.bytesSent += piece.length;
        u.req.write(piece);
      };
      if (wait > 0) {
        u.timer = this.#deps.clock.setTimeout(() => {
          send();
          this.#pump(u);
        }, wait);
        return;
      }
      send();
    }
  }

  #end(u: Uplink): void {
    if (u.ended) return;
    u.ended = true;
    const { clock } = this.#deps;
    clock.clearTimeout(u.deadline);
    clock.clearTimeout(u.timer);
    this.#uplinks.delete(u.id);
    u.leave();
    u.req.destroy();
    this.#deps.log.info({ request: u.id, cameraId: u.cameraId }, 'live upload stopped');
  }
}
