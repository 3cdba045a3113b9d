/**
 * Media beside the ops: ticket photos and other files travel to
 * the cloud over HTTP (the tus resumable-upload protocol), on their own
 * connection, so a 5 MB photo never sits in front of an op ack on MQTT.
 *
 * One file at a time, oldest first, at most `bytesPerSecond` (one token
 * bucket for every request). A row is marked done only after the cloud
 * answered that it verified the SHA-256 and stored the file. The cloud's
 * upload URL is kept in the row: after a dropped link tus-js-client resumes
 * at the cloud's offset; after an edge restart we hand it the saved URL.
 * Design and invariants: docs/design/media-sync.md.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Upload, DefaultHttpStack, type DetailedError, type HttpRequest, type HttpResponse, type HttpStack } from 'tus-js-client';
import { backoffDelay, redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { hashFile } from '@cunbox/shared';
import type { MediaItem, MediaQueue } from './media-queue.ts';
import { ThrottleStream, TokenBucket } from './throttle.ts';

export interface MediaUploaderOptions {
  /** Bytes per PATCH request; the cloud keeps what arrived of an interrupted one too. */
  chunkSize: number;
  /** How often an idle uploader looks for new work. */
  pollMs: number;
  /** Between attempts of one file (an attempt already retries a dropped link itself, see retryDelays). */
  backoff: { baseMs: number; maxMs: number };
  /** tus-js-client's own quick retries inside one attempt (each resumes at the cloud's offset). */
  retryDelays: number[];
  /** The cap; 0: none. */
  bytesPerSecond: number;
}
const defaultMediaUploaderOptions: MediaUploaderOptions = {
  chunkSize: 1024 * 1024,
  pollMs: 2000,
  backoff: { baseMs: 2000, maxMs: 10 * 60_000 },
  retryDelays: [0, 1000, 3000, 10_000],
  bytesPerSecond: 0,
};

export interface MediaUploaderDeps {
  queue: MediaQueue;
  clock: Clock;
  log: Logger;
  /** Relative queue paths are under it. */
  dataDir: string;
  /** The cloud's HTTP base URL (config `cloud.url`). */
  cloudUrl: string;
  credentials: { edgeId: string; password: string };
  /** Turns new work elsewhere (ticket photos in the op log, approved certificates) into queue rows; called (and awaited) before each pick. */
  collect?: () => unknown;
  options?: Partial<MediaUploaderOptions>;
  random?: () => number;
}

/** The cloud's answers that mean "this upload is bad, start it over" (media.ts on the cloud). */
const RESTART_STATUSES = new Set([404, 410, 422]);
/** Answers no retry can fix: the file is larger than the cloud accepts, or its metadata is refused. */
const FATAL_STATUSES = new Set([400, 413]);

/** The edge's Basic credentials for the cloud's media routes. */
export const edgeBasicAuth = (c: { edgeId: string; password: string }): string => `Basic ${Buffer.from(`${c.edgeId}:${c.password}`).toString('base64')}`;

/** Asks the cloud whether it already holds these bytes for our village: then nothing needs to travel (it records the new kind and ref). */
export async function claimAtCloud(cloudUrl: string, auth: string, f: { sha256: string; size: number; kind: string; ref: string; mime?: string | null }): Promise<boolean> {
  const res = await fetch(new URL('/api/media/claims', cloudUrl), {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ sha256: f.sha256, size: f.size, kind: f.kind, ref: f.ref, ...(f.mime ? { mime: f.mime } : {}) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`claim: HTTP ${res.status}`);
  return ((await res.json()) as { stored?: boolean }).stored === true;
}

/** Wraps each request body in the shared throttle and counts what left. */
class ThrottledHttpStack implements HttpStack {
  readonly #inner = new DefaultHttpStack({});
  constructor(
    readonly bucket: TokenBucket,
    readonly clock: Clock,
    readonly onBytes: (n: number) => void,
  ) {}
  getName(): string {
    return 'ThrottledHttpStack';
  }
  createRequest(method: string, url: string): HttpRequest {
    const inner = this.#inner.createRequest(method, url);
    const wrap = (body: unknown): unknown => {
      if (body === null || body === undefined) return body;
      const source = body instanceof Readable ? body : Readable.from([Buffer.from(body as Uint8Array)]);
      const t = new ThrottleStream(this.bucket, this.clock);
      t.size = (body as { size?: number }).size ?? (body instanceof Uint8Array ? body.byteLength : undefined);
      t.on('data', (d: Buffer) => this.onBytes(d.length));
      source.on('error', (err) => t.destroy(err));
      return source.pipe(t);
    };
    return {
      getMethod: () => inner.getMethod(),
      getURL: () => inner.getURL(),
      setHeader: (h, v) => inner.setHeader(h, v),
      getHeader: (h) => inner.getHeader(h),
      setProgressHandler: (fn) => inner.setProgressHandler(fn),
      send: (body: unknown): Promise<HttpResponse> => inner.send(wrap(body)),
      abort: () => inner.abort(),
      getUnderlyingObject: () => inner.getUnderlyingObject(),
    };
  }
}

export class MediaUploader {
  readonly #deps: MediaUploaderDeps;
  readonly #opts: MediaUploaderOptions;
  readonly #stack: ThrottledHttpStack;
  readonly #auth: string;
  #timer: unknown;
  #stopped = true;
  #running: Promise<void> | undefined;
  #abort: (() => void) | undefined;
  readonly stats = { uploaded: 0, claimed: 0, failedAttempts: 0, bytesSent: 0 };

  constructor(deps: MediaUploaderDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultMediaUploaderOptions, ...deps.options };
    const bucket = new TokenBucket({ clock: deps.clock, bytesPerSecond: this.#opts.bytesPerSecond });
    this.#stack = new ThrottledHttpStack(bucket, deps.clock, (n) => (this.stats.bytesSent += n));
    this.#auth = edgeBasicAuth(deps.credentials);
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Aborts the upload in progress (the cloud keeps its bytes; the next start resumes there). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.();
    await this.#running;
  }

  /** Looks for work now instead of at the next poll (after an enqueue). */
  kick(): void {
    if (this.#stopped || this.#running) return;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => (this.#running = undefined));
    }, ms);
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const { queue, clock, log } = this.#deps;
    try {
      await this.#deps.collect?.();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'collecting media to upload failed');
    }
    const item = queue.next(clock.now());
    if (item) {
      try {
        await this.#attempt(item);
      } catch (err) {
        // Our own fault (a database error): keep going later rather than die.
        log.error({ err: (err as Error).message, media: item.id }, 'media upload attempt crashed');
        queue.retry(item.id, (err as Error).message, clock.now() + this.#opts.backoff.maxMs, false);
      }
    }
    if (this.#stopped) return;
    const due = queue.nextDueAt();
    const now = clock.now();
    this.#schedule(item ? 0 : due === undefined ? this.#opts.pollMs : Math.min(this.#opts.pollMs, Math.max(0, due - now)));
  }

  async #attempt(item: MediaItem): Promise<void> {
    const { queue, log } = this.#deps;
    queue.began(item.id);
    const file = resolve(this.#deps.dataDir, item.path);
    // The queued hash is what the cloud will check; a file changed since cannot pass, so say why here.
    let local: { sha256: string; size: number };
    try {
      local = await hashFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.#fail(item, 'file is gone');
      return this.#retry(item, `cannot read the file: ${code ?? (err as Error).message}`, false);
    }
    if (local.sha256 !== item.sha256 || local.size !== item.size) return this.#fail(item, 'file changed on disk since it was queued');

    const claimed = await this.#claim(item).catch((err: Error) => err);
    if (claimed instanceof Error) return this.#retry(item, claimed.message, false);
    if (claimed) {
      this.stats.claimed++;
      queue.done(item.id);
      log.info({ media: item.id, kind: item.kind, ref: item.ref }, 'media already in the cloud');
      return;
    }
    if (this.#stopped) return;

    const result = await this.#tus(item, file);
    if (result === 'aborted') return;
    if (result === 'ok') {
      this.stats.uploaded++;
      queue.done(item.id);
      log.info({ media: item.id, kind: item.kind, ref: item.ref, bytes: item.size }, 'media uploaded');
      return;
    }
    const status = result.originalResponse?.getStatus() ?? 0;
    const body = result.originalResponse?.getBody()?.slice(0, 200).trim();
    const why = status ? `HTTP ${status}${body ? `: ${body}` : ''}` : redactUrls(result.message.split('\n')[0] ?? 'upload failed');
    if (FATAL_STATUSES.has(status)) return this.#fail(item, why);
    this.#retry(item, why, RESTART_STATUSES.has(status));
  }

  /** Asks the cloud whether it already holds these bytes for our village: then nothing is sent. */
  #claim(item: MediaItem): Promise<boolean> {
    return claimAtCloud(this.#deps.cloudUrl, this.#auth, item);
  }

  #tus(item: MediaItem, file: string): Promise<'ok' | 'aborted' | DetailedError> {
    const { queue } = this.#deps;
    return new Promise((done) => {
      const upload: Upload = new Upload(createReadStream(file), {
        endpoint: new URL('/api/media/uploads', this.#deps.cloudUrl).href,
        uploadUrl: item.uploadUrl,
        uploadSize: item.size,
        chunkSize: this.#opts.chunkSize,
        retryDelays: this.#opts.retryDelays,
        metadata: { sha256: item.sha256, kind: item.kind, ref: item.ref, ...(item.mime ? { mime: item.mime } : {}) },
        headers: { authorization: this.#auth },
        httpStack: this.#stack,
        storeFingerprintForResuming: false,
        // The URL is saved at once: an edge killed mid-upload resumes at the cloud's offset.
        onUploadUrlAvailable: () => queue.setUploadUrl(item.id, upload.url),
        onSuccess: () => done('ok'),
        onError: (err) => done(err as DetailedError),
      });
      this.#abort = () => {
        void upload.abort(false);
        done('aborted');
      };
      upload.start();
    }).finally(() => (this.#abort = undefined)) as Promise<'ok' | 'aborted' | DetailedError>;
  }

  #retry(item: MediaItem, why: string, restart: boolean): void {
    this.stats.failedAttempts++;
    const delay = backoffDelay(item.attempts, this.#opts.backoff, this.#deps.random ?? Math.random);
    this.#deps.queue.retry(item.id, why, this.#deps.clock.now() + delay, restart);
    this.#deps.log.warn({ media: item.id, kind: item.kind, ref: item.ref, why, restart, retryInMs: delay }, 'media upload failed; will retry');
  }

  #fail(item: MediaItem, why: string): void {
    this.stats.failedAttempts++;
    this.#deps.queue.fail(item.id, why);
    this.#deps.log.error({ media: item.id, kind: item.kind, ref: item.ref, why }, 'media upload given up');
  }
}
