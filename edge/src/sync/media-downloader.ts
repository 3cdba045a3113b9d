/**
 * The cloud → edge direction of media: photos that phones attached to
 * tickets through the cloud (its phone API) are fetched by the edge, so the
 * office sees them. The edge asks; the cloud never connects to it.
 *
 * What to fetch is derived, not queued: each pass asks `missing()` for the
 * photo ids the tickets name that the edge's media store lacks (a cloud op
 * naming a photo arrives by sync before or after the photo could be
 * fetched; either way the next pass sees the gap). One file at a time, with
 * Basic edgeId:password on `GET /api/media/files/{id}`; the bytes must hash
 * to the SHA-256 the cloud names in its ETag before they are stored under the
 * same media id. Failures wait with backoff per id, in memory: a restart
 * simply finds the gap again. Design: docs/design/media-sync.md.
 */
import { createHash } from 'node:crypto';
import { backoffDelay, redactUrls } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

export interface MediaDownloaderOptions {
  /** How often to look for photos the tickets name and the edge lacks. */
  pollMs: number;
  backoff: { baseMs: number; maxMs: number };
  /** One request's limit: a stalled link must not hold the downloader for ever. */
  requestTimeoutMs: number;
}
const defaultMediaDownloaderOptions: MediaDownloaderOptions = { pollMs: 5000, backoff: { baseMs: 5000, maxMs: 30 * 60_000 }, requestTimeoutMs: 120_000 };

export interface MediaDownloaderDeps {
  clock: Clock;
  log: Logger;
  /** The cloud's HTTP base URL (config `cloud.url`). */
  cloudUrl: string;
  credentials: { edgeId: string; password: string };
  /** Media ids that tickets name and the edge does not hold. */
  missing: () => string[];
  /** Stores a fetched file under its id (the edge's media store checks it is an image). */
  store: (id: string, data: Buffer) => Promise<void>;
  options?: Partial<MediaDownloaderOptions>;
  random?: () => number;
}

export class MediaDownloader {
  readonly #deps: MediaDownloaderDeps;
  readonly #opts: MediaDownloaderOptions;
  readonly #auth: string;
  /** Per id: failed attempts and when to try again. */
  readonly #waits = new Map<string, { attempts: number; at: number }>();
  #timer: unknown;
  #stopped = true;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  readonly stats = { fetched: 0, failedAttempts: 0 };

  constructor(deps: MediaDownloaderDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultMediaDownloaderOptions, ...deps.options };
    this.#auth = `Basic ${Buffer.from(`${deps.credentials.edgeId}:${deps.credentials.password}`).toString('base64')}`;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    await this.#running;
  }

  #schedule(ms: number): void {
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => (this.#running = undefined));
    }, ms);
  }

  async #run(): Promise<void> {
    let ids: string[] = [];
    try {
      ids = this.#deps.missing();
    } catch (err) {
      this.#deps.log.warn({ err: (err as Error).message }, 'looking for photos to fetch failed');
    }
    const now = this.#deps.clock.now();
    const want = new Set(ids);
    // Photos no longer missing (fetched, or the ticket gone) leave the backoff table: it stays bounded.
    for (const id of this.#waits.keys()) if (!want.has(id)) this.#waits.delete(id);
    for (const id of ids) {
      if (this.#stopped) return;
      if ((this.#waits.get(id)?.at ?? 0) > now) continue;
      await this.#fetchOne(id);
    }
    if (!this.#stopped) this.#schedule(this.#opts.pollMs);
  }

  async #fetchOne(id: string): Promise<void> {
    const { log } = this.#deps;
    const url = new URL(`/api/media/files/${encodeURIComponent(id)}`, this.#deps.cloudUrl);
    this.#abort = new AbortController();
    const timeout = this.#deps.clock.setTimeout(() => this.#abort?.abort(), this.#opts.requestTimeoutMs);
    try {
      const res = await fetch(url, { headers: { authorization: this.#auth }, signal: this.#abort.signal });
      if (res.status !== 200) {
        await res.body?.cancel();
        return this.#retry(id, `HTTP ${res.status}`);
      }
      const data = Buffer.from(await res.arrayBuffer());
      const sha256 = /^"([0-9a-f]{64})"$/.exec(res.headers.get('etag') ?? '')?.[1];
      if (!sha256 || createHash('sha256').update(data).digest('hex') !== sha256) return this.#retry(id, 'bytes do not hash to the SHA-256 the cloud named');
      await this.#deps.store(id, data);
      this.#waits.delete(id);
      this.stats.fetched++;
      log.info({ media: id, bytes: data.length }, 'photo fetched from the cloud');
    } catch (err) {
      if (this.#stopped) return;
      this.#retry(id, (err as Error).message);
    } finally {
      this.#deps.clock.clearTimeout(timeout);
      this.#abort = undefined;
    }
  }

  #retry(id: string, reason: string): void {
    const attempts = (this.#waits.get(id)?.attempts ?? 0) + 1;
    const delay = backoffDelay(attempts - 1, this.#opts.backoff, this.#deps.random ?? Math.random);
    this.#waits.set(id, { attempts, at: this.#deps.clock.now() + delay });
    this.stats.failedAttempts++;
    this.#deps.log.warn({ media: id, attempts, retryInMs: delay, reason, cloud: redactUrls(this.#deps.cloudUrl) }, 'fetching a photo from the cloud failed; will retry');
  }
}
