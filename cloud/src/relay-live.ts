/**
 * Live view through the cloud (docs/design/relay.md): one channel per
 * (village, camera). The first phone makes the cloud send `down/relay`
 * `kind: "live"`; the edge answers by opening one outbound HTTP POST (chunked
 * fMP4) to `LIVE_UPLOAD_PATH/{id}`, which `attach` takes; its bytes are fanned
 * out to every phone watching by the shared rule (`Fmp4FanOut`: the init
 * segment, then fragments from the next key frame). Two phones, one upload.
 *
 * While phones watch, the request is renewed every `renewMs` (the same id);
 * a phone of a user the edge has not checked yet is named in a renewal at
 * once, so the edge checks every user it streams for. The upload is closed
 * `lingerMs` after the last phone leaves (a phone reloading comes back to a
 * running stream), and at once when the village's relay budget is spent.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CunboxError, LIVE_RENEWAL_MS, type Clock, type RelayReplyMessage, type RelayRequestMessage } from '@cunbox/shared';
import { Fmp4FanOut } from '@cunbox/shared/fmp4';
import type { Logger } from 'pino';
import type { EdgeRecord, EdgeSummary } from './store.ts';
import type { AsyncCloudStore } from './store-async.ts';
import type { RelayBudget } from './relay-budget.ts';
import { REFUSAL_CODES } from './relay.ts';

export interface CloudLiveOptions {
  /** How long a phone waits for the edge's first bytes (the init segment). */
  firstBytesMs: number;
  renewMs: number;
  /** The upload runs on this long after the last phone left. */
  lingerMs: number;
  /** Live channels (distinct cameras) per village at once. */
  maxChannelsPerVillage: number;
  /** Phones per channel. */
  maxViewersPerChannel: number;
  /** A phone whose unsent bytes pass this is too slow to follow live: it is dropped. */
  maxViewerBacklogBytes: number;
}
const defaultCloudLiveOptions: CloudLiveOptions = { firstBytesMs: 15_000, renewMs: LIVE_RENEWAL_MS, lingerMs: 5_000, maxChannelsPerVillage: 4, maxViewersPerChannel: 16, maxViewerBacklogBytes: 4 * 1024 * 1024 };

/** A phone watching: where its bytes go. */
export interface LivePhone {
  user: string;
  /** Bytes to send; returns how many bytes are still unsent to this phone. */
  write(chunk: Buffer): number;
  /** The stream ended (the edge stopped, the budget is spent, the cloud stops). */
  end(): void;
}

interface Channel {
  id: string;
  key: string;
  villageId: number;
  cameraId: number;
  edgeId: string;
  fanOut: Fmp4FanOut<LivePhone>;
  /** Users the edge was asked about for this upload (each named once in a request). */
  named: Set<string>;
  /** Waiting for the init segment. */
  ready: Promise<void>;
  settle: (err?: Error) => void;
  upstream: IncomingMessage | undefined;
  renewTimer: unknown;
  lingerTimer: unknown;
  firstTimer: unknown;
  bytes: number;
  closed: boolean;
}

export interface CloudLiveDeps {
  store: Pick<AsyncCloudStore, 'edges'>;
  publish: (edgeId: string, msg: RelayRequestMessage) => boolean;
  budget: RelayBudget;
  clock: Clock;
  log: Logger;
  options?: Partial<CloudLiveOptions>;
}

export class CloudLiveRelay {
  readonly #deps: CloudLiveDeps;
  readonly #opts: CloudLiveOptions;
  readonly #byKey = new Map<string, Channel>();
  readonly #byId = new Map<string, Channel>();
  /** `uploads`: live uploads the edges opened (one per channel: what "one upstream" means). */
  readonly stats = { channels: 0, uploads: 0, viewers: 0, bytesIn: 0, refused: 0 };

  constructor(deps: CloudLiveDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultCloudLiveOptions, ...deps.options };
  }

  /** Channels with an upload running, as `villageId:cameraId` (tests, status). */
  active(): string[] {
    return [...this.#byKey.values()].filter((c) => c.upstream).map((c) => c.key);
  }

  /** The init segment of the camera's running channel. */
  init(villageId: number, cameraId: number): Buffer | undefined {
    return this.#byKey.get(`${villageId}:${cameraId}`)?.fanOut.init;
  }

  /**
   * Adds a phone to the camera's channel (opening it if need be) and resolves
   * once its stream has started (the init segment is written to it); the
   * phone's permission is the caller's to have checked. Returns how to leave.
   * Throws a CunboxError the phone gets as is.
   */
  async watch(villageId: number, cameraId: number, phone: LivePhone): Promise<() => void> {
    const key = `${villageId}:${cameraId}`;
    let ch = this.#byKey.get(key);
    let opened = false;
    if (!ch) {
      const edge = (await this.#deps.store.edges(villageId)).find((e) => e.online && !e.revokedAt);
      // Another phone may have opened the channel while the store answered: join it as below.
      ch = this.#byKey.get(key);
      if (!ch) {
        ch = this.#open(villageId, cameraId, phone.user, edge);
        opened = true;
      }
    }
    if (!opened) {
      if (ch.fanOut.size >= this.#opts.maxViewersPerChannel) throw new CunboxError('RATE_LIMITED', `at most ${this.#opts.maxViewersPerChannel} phones per camera`);
      this.#deps.clock.clearTimeout(ch.lingerTimer);
      ch.lingerTimer = undefined;
      // A user the edge has not checked for this upload: ask it now rather than at the next renewal.
      if (!ch.named.has(phone.user)) this.#request(ch, phone.user);
    }
    const channel = ch;
    channel.fanOut.add(phone);
    this.stats.viewers++;
    const leave = (): void => {
      if (!channel.fanOut.remove(phone)) return;
      if (channel.fanOut.size === 0 && !channel.closed) channel.lingerTimer = this.#deps.clock.setTimeout(() => this.#close(channel, null), this.#opts.lingerMs);
    };
    try {
      await channel.ready;
    } catch (err) {
      leave();
      throw err;
    }
    return leave;
  }

  /**
   * The edge's upload for request `id` (the route has authenticated `edge`).
   * False: no channel waits for it from this edge (the route answers 404).
   * The request's body is read here until the upload ends or the channel closes.
   */
  attach(edge: Pick<EdgeRecord, 'edgeId'>, id: string, body: IncomingMessage): boolean {
    const ch = this.#byId.get(id);
    // Only the edge we asked may stream into a channel.
    if (!ch || ch.edgeId !== edge.edgeId || ch.upstream || ch.closed) return false;
    ch.upstream = body;
    this.stats.uploads++;
    body.on('data', (chunk: Buffer) => {
      if (ch.closed) return;
      ch.bytes += chunk.length;
      this.stats.bytesIn += chunk.length;
      this.#deps.budget.spend(ch.villageId, chunk.length);
      try {
        ch.fanOut.push(chunk);
      } catch (err) {
        return this.#close(ch, new CunboxError('CAMERA_UNREACHABLE', `the edge sent a bad stream: ${(err as Error).message}`));
      }
      if (ch.fanOut.init) ch.settle();
      if (this.#deps.budget.spentUp(ch.villageId)) this.#close(ch, new CunboxError('RATE_LIMITED', "the village's relay budget is spent"));
    });
    const ended = (): void => this.#close(ch, new CunboxError('CAMERA_UNREACHABLE', 'the edge ended the live stream'));
    body.on('end', ended);
    body.on('close', ended);
    body.on('error', ended);
    return true;
  }

  /** An edge's refusal of a live request (CloudSync's up/relay, through CloudRelay): the channel ends. True if it was one. */
  onReply(edge: Pick<EdgeRecord, 'edgeId'>, msg: RelayReplyMessage): boolean {
    const ch = this.#byId.get(msg.id);
    if (!ch) return false;
    if (ch.edgeId === edge.edgeId && !msg.ok) {
      this.stats.refused++;
      this.#close(ch, new CunboxError(REFUSAL_CODES[msg.reason], `the edge refused: ${msg.message}`));
    }
    return true;
  }

  stop(): void {
    for (const ch of [...this.#byKey.values()]) this.#close(ch, new CunboxError('UNAVAILABLE', 'the cloud is stopping'));
  }

  #open(villageId: number, cameraId: number, user: string, edge: EdgeSummary | undefined): Channel {
    if (!edge) throw new CunboxError('UNAVAILABLE', "the village's edge is offline: no live view");
    const open = [...this.#byKey.values()].filter((c) => c.villageId === villageId).length;
    if (open >= this.#opts.maxChannelsPerVillage) throw new CunboxError('RATE_LIMITED', `at most ${this.#opts.maxChannelsPerVillage} cameras watched live at once per village`);
    if (this.#deps.budget.spentUp(villageId)) throw new CunboxError('RATE_LIMITED', "the village's relay budget for this minute is spent; try again shortly");
    const { clock } = this.#deps;
    let settle!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    // Nobody may await it (the first phone left already): a rejection is not an error then.
    ready.catch(() => undefined);
    const ch: Channel = {
      id: randomBytes(16).toString('hex'),
      key: `${villageId}:${cameraId}`,
      villageId,
      cameraId,
      edgeId: edge.edgeId,
      fanOut: new Fmp4FanOut<LivePhone>((phone, chunk) => {
        if (phone.write(chunk) > this.#opts.maxViewerBacklogBytes) this.#dropSlow(ch, phone);
      }),
      named: new Set(),
      ready,
      settle,
      upstream: undefined,
      renewTimer: undefined,
      lingerTimer: undefined,
      firstTimer: undefined,
      bytes: 0,
      closed: false,
    };
    this.#byKey.set(ch.key, ch);
    this.#byId.set(ch.id, ch);
    this.stats.channels++;
    ch.firstTimer = clock.setTimeout(() => this.#close(ch, new CunboxError('RELAY_TIMEOUT', `the edge sent no live stream within ${this.#opts.firstBytesMs} ms`)), this.#opts.firstBytesMs);
    const renew = (): void => {
      if (ch.closed) return;
      // Renewals name a phone still watching (the edge checks that user again), the first one if all were checked.
      const viewers = ch.fanOut.viewers();
      this.#request(ch, viewers[0]?.user ?? user);
      ch.renewTimer = clock.setTimeout(renew, this.#opts.renewMs);
    };
    ch.renewTimer = clock.setTimeout(renew, this.#opts.renewMs);
    this.#request(ch, user);
    this.#deps.log.info({ villageId, cameraId, request: ch.id }, 'live relay opened');
    return ch;
  }

  #request(ch: Channel, user: string): void {
    const now = this.#deps.clock.now();
    ch.named.add(user);
    const msg: RelayRequestMessage = { v: 1, id: ch.id, kind: 'live', cameraId: ch.cameraId, user, at: now, expiresAt: now + this.#opts.renewMs * 2 };
    if (!this.#deps.publish(ch.edgeId, msg) && !ch.upstream) this.#close(ch, new CunboxError('UNAVAILABLE', 'the cloud is not connected to its broker'));
  }

  #dropSlow(ch: Channel, phone: LivePhone): void {
    ch.fanOut.remove(phone);
    phone.end();
    this.#deps.log.info({ villageId: ch.villageId, cameraId: ch.cameraId }, 'live relay: a phone too slow to follow was dropped');
    if (ch.fanOut.size === 0 && !ch.closed) ch.lingerTimer = this.#deps.clock.setTimeout(() => this.#close(ch, null), this.#opts.lingerMs);
  }

  /** Ends the channel: the phones' streams end, the edge's upload is cut (so it stops at once), no more renewals. */
  #close(ch: Channel, err: Error | null): void {
    if (ch.closed) return;
    ch.closed = true;
    const { clock } = this.#deps;
    for (const t of [ch.renewTimer, ch.lingerTimer, ch.firstTimer]) clock.clearTimeout(t);
    if (this.#byKey.get(ch.key) === ch) this.#byKey.delete(ch.key);
    this.#byId.delete(ch.id);
    ch.settle(err ?? new CunboxError('UNAVAILABLE', 'the live stream ended'));
    for (const phone of ch.fanOut.viewers()) {
      ch.fanOut.remove(phone);
      phone.end();
    }
    ch.upstream?.destroy();
    this.#deps.log.info({ villageId: ch.villageId, cameraId: ch.cameraId, request: ch.id, bytes: ch.bytes, why: err?.message ?? 'no phones left' }, 'live relay closed');
  }
}

