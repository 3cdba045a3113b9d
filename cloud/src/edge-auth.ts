/**
 * Edge credentials on the cloud's network paths: MQTT CONNECT to the embedded
 * broker and HTTP Basic on the media routes. An edge's password is checked
 * with scrypt, which is slow on purpose, so:
 * - scrypt runs on libuv's threadpool (`crypto.scrypt`), never on the event
 *   loop: wrong passwords cannot stall other requests;
 * - failures are limited per address and per edge id (a `FailureLimiter`:
 *   in memory today, the phone API's `LoginLimiter`);
 * - a success is remembered for a short while, keyed by the edge id, its
 *   stored hash and a hash of the secret presented, so a reconnect storm does
 *   not redo scrypt, and new credentials invalidate the entry by themselves.
 *   A remembered edge is let in even while its id is being hammered by
 *   someone else (the limiter would otherwise lock the real edge out).
 * Secrets are stored in the platform's one password format (shared), at the
 * cost for machine-made secrets; a hash in the cloud's older format is
 * written again in the current one when its edge next logs in.
 */
import { createHash } from 'node:crypto';
import { SECRET_COST, hashPassword, needsRehash, verifyPassword } from '@cunbox/shared';
import type { EdgeRecord } from './store.ts';
import type { AsyncCloudStore } from './store-async.ts';

/** What the authenticator needs of a rate limiter (the phone API's LoginLimiter fits). */
export interface FailureLimiter {
  /** Milliseconds until `identity` may be tried again from `address`, or 0. */
  wait(identity: string, address: string): Promise<number>;
  fail(identity: string, address: string): Promise<void>;
  succeed(identity: string): Promise<void>;
}

export type EdgeAuthResult = { ok: true; edge: EdgeRecord } | { ok: false; reason: 'credentials' } | { ok: false; reason: 'rate-limited'; retryAfterMs: number };

export interface EdgeAuthOptions {
  /** How long a verified secret is taken without scrypt. */
  cacheTtlMs: number;
  /**
   * Checks one address may have running at once. The limiter counts a failure
   * only once its scrypt is done, so without this a burst sent at once would
   * all be checked before the first failure counted.
   */
  maxRunningPerAddress: number;
}
const defaultEdgeAuthOptions: EdgeAuthOptions = { cacheTtlMs: 10 * 60_000, maxRunningPerAddress: 4 };

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** What the authenticator needs of the cloud store. */
export type EdgeAuthStore = Pick<AsyncCloudStore, 'edge' | 'edgePasswordHash' | 'replaceEdgePasswordHash'>;

export class EdgeAuthenticator {
  readonly #store: EdgeAuthStore;
  readonly #limiter: FailureLimiter;
  readonly #now: () => number;
  readonly #opts: EdgeAuthOptions;
  /** One entry per edge id (its last success): bounded by the number of edges. */
  readonly #verified = new Map<string, { key: string; until: number }>();
  /** Checks running now, by edge id and secret: a burst of the same login waits for one scrypt. */
  readonly #running = new Map<string, Promise<boolean>>();
  readonly #runningPerAddress = new Map<string, number>();
  /** For tests and the benchmark: how many scrypt checks ran. */
  readonly stats = { scrypts: 0, cacheHits: 0, refused: 0, rateLimited: 0, rehashed: 0 };

  constructor(deps: { store: EdgeAuthStore; limiter: FailureLimiter; now: () => number; options?: Partial<EdgeAuthOptions> }) {
    this.#store = deps.store;
    this.#limiter = deps.limiter;
    this.#now = deps.now;
    this.#opts = { ...defaultEdgeAuthOptions, ...deps.options };
  }

  /** `address`: the peer's address; null where the transport does not tell (then only the edge id is limited). */
  async authenticate(edgeId: string, secret: string, address: string | null): Promise<EdgeAuthResult> {
    const stored = await this.#store.edgePasswordHash(edgeId);
    const key = stored === undefined ? undefined : sha256(`${stored}\0${secret}`);
    const hit = this.#verified.get(edgeId);
    if (key !== undefined && hit && hit.key === key && hit.until > this.#now()) {
      this.stats.cacheHits++;
      return this.#edge(edgeId);
    }
    const peer = address ?? '(unknown)';
    // The same login already being checked (a reconnect burst) waits for that check and takes no slot.
    const runId = key === undefined ? undefined : `${edgeId}\0${key}`;
    const limited = await this.#limiter.wait(edgeId, peer);
    // No await from here to the scrypt: the running counts read now are the ones the check below changes.
    const joining = runId !== undefined && this.#running.has(runId);
    const running = this.#runningPerAddress.get(peer) ?? 0;
    const wait = !joining && running >= this.#opts.maxRunningPerAddress ? 1000 : limited;
    if (wait > 0) {
      this.stats.rateLimited++;
      return { ok: false, reason: 'rate-limited', retryAfterMs: wait };
    }
    let ok = false;
    // An unknown edge id costs no scrypt: ids are random, and knowing one exists gives nothing without its password.
    if (stored !== undefined && runId !== undefined) {
      if (!joining) this.#runningPerAddress.set(peer, running + 1);
      try {
        ok = await this.#verify(runId, stored, secret);
      } finally {
        if (!joining) {
          const n = (this.#runningPerAddress.get(peer) ?? 1) - 1;
          if (n > 0) this.#runningPerAddress.set(peer, n);
          else this.#runningPerAddress.delete(peer);
        }
      }
    }
    if (!ok || key === undefined) {
      this.stats.refused++;
      await this.#limiter.fail(edgeId, peer);
      return { ok: false, reason: 'credentials' };
    }
    await this.#limiter.succeed(edgeId);
    this.#verified.set(edgeId, { key, until: this.#now() + this.#opts.cacheTtlMs });
    if (stored !== undefined && needsRehash(stored, SECRET_COST)) void this.#rehash(edgeId, stored, secret);
    return this.#edge(edgeId);
  }

  /**
   * The secret just verified against an old-format hash: store it again in the
   * current one. Off the login's path, and only if the hash is still the one
   * checked (a revoke or re-pair in between wins). A failure only leaves the
   * old hash, which still verifies.
   */
  async #rehash(edgeId: string, old: string, secret: string): Promise<void> {
    try {
      if (await this.#store.replaceEdgePasswordHash(edgeId, old, await hashPassword(secret, SECRET_COST))) this.stats.rehashed++;
    } catch {
      // Kept as it was; the next login tries again.
    }
  }

  #verify(id: string, stored: string, secret: string): Promise<boolean> {
    let p = this.#running.get(id);
    if (!p) {
      this.stats.scrypts++;
      p = verifyPassword(secret, stored).finally(() => this.#running.delete(id));
      this.#running.set(id, p);
    }
    return p;
  }

  async #edge(edgeId: string): Promise<EdgeAuthResult> {
    const edge = await this.#store.edge(edgeId);
    return edge ? { ok: true, edge } : { ok: false, reason: 'credentials' };
  }
}
