/**
 * What the media tests share: a real Cloud on a fixed loopback port (so it
 * can be stopped and started again where the edge expects it), a paired
 * village, an edge database with the real migrations, and a TCP proxy that
 * counts the bytes the edge sends and can drop the link or flip one byte.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { testCloudStore } from './cloud-store.ts';
import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { Cloud, type MediaOptions } from '../../cloud/src/index.ts';
import { openDatabase, type Db } from '../../edge/src/db/database.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { MediaQueue } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader, type MediaUploaderOptions } from '../../edge/src/sync/media-uploader.ts';
import { OPERATOR_TOKEN, SERVICE_PASSWORD, testSyncOptions, type Paired } from './brokers.ts';
import { freePort } from './ports.ts';

export const log = pino({ level: process.env.CUNBOX_TEST_LOG ?? 'silent' });

export class MediaCloud {
  cloud: Cloud;
  constructor(
    readonly dir: string,
    readonly httpPort: number,
    readonly mqttPort: number,
    readonly mediaOptions: Partial<MediaOptions> = {},
    readonly logger: Logger = log,
  ) {
    this.cloud = this.#make();
  }
  #make(): Cloud {
    return new Cloud({
      config: { dataDir: join(this.dir, 'cloud'), store: testCloudStore(join(this.dir, 'cloud')), http: { host: '127.0.0.1', port: this.httpPort }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded', host: '127.0.0.1', port: this.mqttPort, publicUrl: null } },
      log: this.logger,
      syncOptions: testSyncOptions,
      servicePassword: SERVICE_PASSWORD,
      mediaOptions: this.mediaOptions,
    });
  }
  static async start(dir: string, mediaOptions: Partial<MediaOptions> = {}, logger: Logger = log): Promise<MediaCloud> {
    const c = new MediaCloud(dir, await freePort(), await freePort(), mediaOptions, logger);
    await c.cloud.start();
    return c;
  }
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }
  async restart(): Promise<void> {
    await this.cloud.stop();
    this.cloud = this.#make();
    await this.cloud.start();
  }
  async api(method: string, path: string, body?: unknown, token = OPERATOR_TOKEN): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }
  async pair(name: string): Promise<Paired> {
    const v = await this.api('POST', '/api/villages', { name });
    const code = await this.api('POST', `/api/villages/${v.json.id}/pair-codes`);
    return (await this.api('POST', '/api/pair', { code: code.json.code })).json as Paired;
  }
  async media(villageId: number, key: string, token = OPERATOR_TOKEN): Promise<{ status: number; body: Buffer; type: string | null }> {
    const res = await fetch(`${this.url}/api/villages/${villageId}/media/${key}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
  }
}

/** Counts client→server bytes; `drop()` cuts every link; `corruptAt`: flips the byte that many client→server bytes from now (on any link). */
export class CountingProxy {
  upBytes = 0;
  refusing = false;
  corruptAt: number | undefined;
  corrupted = 0;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  constructor(readonly targetPort: () => number) {}
  async start(): Promise<void> {
    const server = createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = connect(this.targetPort(), '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d: Buffer) => {
        if (this.corruptAt !== undefined) {
          if (d.length > this.corruptAt) {
            d = Buffer.from(d);
            d[this.corruptAt] = d[this.corruptAt]! ^ 0xff;
            this.corruptAt = undefined;
            this.corrupted++;
          } else this.corruptAt -= d.length;
        }
        this.upBytes += d.length;
        upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** Cuts the link and refuses new ones for `ms`. */
  async drop(ms: number): Promise<void> {
    this.refusing = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => setTimeout(r, ms));
    this.refusing = false;
  }
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}

export interface EdgeMedia {
  db: Db;
  queue: MediaQueue;
  uploader: MediaUploader;
}

/** Test timing: quick retries, short polls. */
export const fastUploader: Partial<MediaUploaderOptions> = { pollMs: 50, backoff: { baseMs: 100, maxMs: 800 }, retryDelays: [0, 200, 400, 800, 800, 800, 800, 800] };

export function edgeMedia(db: Db, cloudUrl: string, p: Paired, options: Partial<MediaUploaderOptions> = {}, logger?: Logger): EdgeMedia {
  const queue = new MediaQueue({ db, clock: systemClock });
  const uploader = new MediaUploader({
    queue,
    clock: systemClock,
    log: logger ?? (process.env.CUNBOX_TEST_LOG ? pino({ level: process.env.CUNBOX_TEST_LOG }) : silentLogger()),
    dataDir: '/',
    cloudUrl,
    credentials: { edgeId: p.username, password: p.password },
    options: { ...fastUploader, ...options },
  });
  return { db, queue, uploader };
}

export function openEdgeDb(dir: string, name: string): Db {
  return openDatabase(join(dir, `${name}.db`));
}

/** A file of random bytes; returns its path, SHA-256 and bytes. */
export function randomFile(dir: string, name: string, size: number): { path: string; sha256: string; size: number; data: Buffer } {
  const data = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex'), size, data };
}

export const MB = 1024 * 1024;
/** kbps for a cap of `bytesPerSecond`. */
export const kbps = (bytesPerSecond: number): number => (bytesPerSecond * 8) / 1000;

/** A debug-level logger whose lines the test can read (to check no secret is ever logged). */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, dest), lines };
}
