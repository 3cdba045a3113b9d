/**
 * The cloud's end of the relay (docs/design/relay.md): a phone's request for a
 * camera's picture (or a clip of its recordings) becomes a `down/relay` message to the village's edge; the
 * edge uploads the picture over its own HTTP media channel (content-addressed,
 * media.ts) and names it on `up/relay`; the waiting phone request is answered
 * with the stored file, or with an error once `timeoutMs` has passed.
 *
 * Bounded so that it can never crowd out sync: at most `maxPendingPerVillage`
 * requests wait on a village's edge at once, and at most `bytesPerWindow`
 * bytes are relayed per village per `windowMs`; beyond either, the phone gets
 * 429 at once and nothing is sent to the edge. Requests and answers are QoS 0
 * messages outside the ops' send window; the bytes never travel on MQTT.
 */
import { randomBytes } from 'node:crypto';
import { CunboxError, type Clock, type RelayRefusal, type RelayReplyMessage, type RelayRequestMessage } from '@cunbox/shared';
import type { Logger } from 'pino';
import type { EdgeRecord } from './store.ts';
import type { AsyncCloudStore } from './store-async.ts';
import type { CloudMedia } from './media.ts';
import { RelayBudget } from './relay-budget.ts';

export interface CloudRelayOptions {
  /** How long a phone request for a picture waits for the edge's answer. */
  timeoutMs: number;
  /** The same for a clip: the edge cuts and uploads up to a minute of video. */
  clipTimeoutMs: number;
  /** The same user asking for the same camera's picture again within this gets the one already relayed. */
  cacheMs: number;
  maxPendingPerVillage: number;
  /** Per village: the relay's byte budget per window (what edges uploaded for relay requests). */
  bytesPerWindow: number;
  windowMs: number;
}
const defaultCloudRelayOptions: CloudRelayOptions = { timeoutMs: 10_000, clipTimeoutMs: 60_000, cacheMs: 3_000, maxPendingPerVillage: 4, bytesPerWindow: 20 * 1024 * 1024, windowMs: 60_000 };

export interface RelayedPicture {
  /** The file in the content store. */
  path: string;
  sha256: string;
  bytes: number;
  /** When the edge took it (a clip: where it starts), by the edge's clock. */
  capturedAt: number;
  /** Served from the cloud's short cache, without asking the edge. */
  cached: boolean;
}

interface Pending {
  villageId: number;
  edgeId: string;
  key: string;
  promise: Promise<RelayedPicture>;
  settle: (r: RelayReplyMessage | Error) => void;
}

/** What the edge's refusal means to the phone: the shared error table's code. */
export const REFUSAL_CODES = { forbidden: 'FORBIDDEN', 'not-found': 'NOT_FOUND', 'no-footage': 'NO_FOOTAGE', 'too-large': 'PAYLOAD_TOO_LARGE', unavailable: 'CAMERA_UNREACHABLE', busy: 'RATE_LIMITED', expired: 'RELAY_TIMEOUT' } as const satisfies Record<RelayRefusal, string>;

export interface CloudRelayDeps {
  store: Pick<AsyncCloudStore, 'edges'>;
  media: Pick<CloudMedia, 'find'>;
  /** CloudSync.publishRelay: false when the cloud is not connected to its broker. */
  publish: (edgeId: string, msg: RelayRequestMessage) => boolean;
  clock: Clock;
  log: Logger;
  options?: Partial<CloudRelayOptions>;
}

export class CloudRelay {
  readonly #deps: CloudRelayDeps;
  readonly #opts: CloudRelayOptions;
  /** By request id. */
  readonly #pending = new Map<string, Pending>();
  /** By village, camera, user and what is asked: one request to the edge at a time for the same question. */
  readonly #joined = new Map<string, Pending>();
  readonly #cache = new Map<string, { picture: RelayedPicture; until: number }>();
  /** Per village: bytes relayed (live streams spend from the same budget). */
  readonly budget: RelayBudget;
  readonly stats = { requested: 0, served: 0, cached: 0, refused: 0, timedOut: 0 };

  constructor(deps: CloudRelayDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultCloudRelayOptions, ...deps.options };
    this.budget = new RelayBudget({ clock: deps.clock, bytesPerWindow: this.#opts.bytesPerWindow, windowMs: this.#opts.windowMs });
  }

  get options(): Readonly<CloudRelayOptions> {
    return this.#opts;
  }

  /** Ends every wait (the cloud stops): the phones get 503. */
  stop(): void {
    for (const p of [...this.#pending.values()]) p.settle(new CunboxError('UNAVAILABLE', 'the cloud is stopping'));
  }

  /**
   * The latest picture of the camera, for `user` whose permission the caller
   * (the phone route) has checked; the edge checks it again. Throws a
   * CunboxError the phone gets as is.
   */
  snapshot(villageId: number, user: string, cameraId: number): Promise<RelayedPicture> {
    return this.#ask(villageId, user, cameraId, { kind: 'snapshot' }, this.#opts.timeoutMs);
  }

  /** A clip of recorded footage (MP4), the same way; the range is at most MAX_RELAY_CLIP_MS long. */
  clip(villageId: number, user: string, cameraId: number, range: { fromMs: number; toMs: number }): Promise<RelayedPicture> {
    return this.#ask(villageId, user, cameraId, { kind: 'clip', ...range }, this.#opts.clipTimeoutMs);
  }

  async #ask(villageId: number, user: string, cameraId: number, what: { kind: 'snapshot' } | { kind: 'clip'; fromMs: number; toMs: number }, timeoutMs: number): Promise<RelayedPicture> {
    const now = this.#deps.clock.now();
    const key = `${villageId}:${cameraId}:${user}:${JSON.stringify(what)}`;
    const hit = this.#cache.get(key);
    if (hit && hit.until > now && (await this.#deps.media.find(villageId, hit.picture.sha256))) {
      this.stats.cached++;
      return { ...hit.picture, cached: true };
    }
    const joined = this.#joined.get(key);
    if (joined) return joined.promise;

    const edge = (await this.#deps.store.edges(villageId)).find((e) => e.online && !e.revokedAt);
    // The same request may have gone out while the store answered: wait for that one.
    const sent = this.#joined.get(key);
    if (sent) return sent.promise;
    if (!edge) throw new CunboxError('UNAVAILABLE', "the village's edge is offline: no live picture");
    const waiting = [...this.#pending.values()].filter((p) => p.villageId === villageId).length;
    if (waiting >= this.#opts.maxPendingPerVillage) throw new CunboxError('RATE_LIMITED', `at most ${this.#opts.maxPendingPerVillage} camera requests at once per village; try again shortly`);
    if (this.budget.spentUp(villageId)) throw new CunboxError('RATE_LIMITED', "the village's relay budget for this minute is spent; try again shortly");

    const id = randomBytes(16).toString('hex');
    const msg: RelayRequestMessage = { v: 1, id, cameraId, user, at: now, expiresAt: now + timeoutMs, ...what };
    const pending = this.#wait(id, villageId, edge.edgeId, key, timeoutMs);
    this.stats.requested++;
    if (!this.#deps.publish(edge.edgeId, msg)) pending.settle(new CunboxError('UNAVAILABLE', 'the cloud is not connected to its broker'));
    const picture = await pending.promise;
    this.#cache.set(key, { picture, until: this.#deps.clock.now() + this.#opts.cacheMs });
    this.#sweepCache(now);
    return picture;
  }

  /** An edge's answer (CloudSync hands over up/relay). One for a request we no longer wait for is dropped. */
  onReply(edge: Pick<EdgeRecord, 'edgeId' | 'villageId'>, msg: RelayReplyMessage): void {
    const p = this.#pending.get(msg.id);
    // Only the edge we asked may answer: another edge of the same broker cannot slip a file in.
    if (!p || p.edgeId !== edge.edgeId) return void this.#deps.log.debug({ edgeId: edge.edgeId, request: msg.id }, 'relay answer for no waiting request');
    p.settle(msg);
  }

  #wait(id: string, villageId: number, edgeId: string, key: string, timeoutMs: number): Pending {
    const { clock } = this.#deps;
    let settle!: (r: RelayReplyMessage | Error) => void;
    const promise = new Promise<RelayedPicture>((resolve, reject) => {
      const timer = clock.setTimeout(() => settle(new CunboxError('RELAY_TIMEOUT', `the edge did not answer within ${timeoutMs} ms`)), timeoutMs);
      settle = (r) => {
        if (!this.#pending.has(id)) return;
        clock.clearTimeout(timer);
        this.#pending.delete(id);
        this.#joined.delete(key);
        this.#answer(villageId, r).then(resolve, reject);
      };
    });
    const pending: Pending = { villageId, edgeId, key, promise, settle: (r) => settle(r) };
    this.#pending.set(id, pending);
    this.#joined.set(key, pending);
    return pending;
  }

  async #answer(villageId: number, r: RelayReplyMessage | Error): Promise<RelayedPicture> {
    if (r instanceof Error) {
      if (r instanceof CunboxError && r.code === 'RELAY_TIMEOUT') this.stats.timedOut++;
      throw r;
    }
    if (!r.ok) {
      this.stats.refused++;
      throw new CunboxError(REFUSAL_CODES[r.reason], `the edge refused: ${r.message}`);
    }
    const stored = await this.#deps.media.find(villageId, r.sha256);
    if (!stored || stored.size !== r.bytes) throw new CunboxError('CAMERA_UNREACHABLE', 'the edge named a picture the cloud does not hold');
    this.stats.served++;
    this.budget.spend(villageId, r.bytes);
    return { path: stored.path, sha256: r.sha256, bytes: r.bytes, capturedAt: r.capturedAt, cached: false };
  }

  #sweepCache(now: number): void {
    for (const [k, v] of this.#cache) if (v.until <= now) this.#cache.delete(k);
  }
}
