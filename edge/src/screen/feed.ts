import type { ScreenSummary } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { CunboxError } from '../errors.ts';
import type { ChangeSignal } from './signal.ts';

/** One version of the summary, with the top-level sections that differ from the version before. */
export interface ScreenUpdate {
  /** SSE event id: `<boot>.<n>`, so an id from before a restart never matches one after. */
  id: string;
  summary: ScreenSummary;
  changed: ReadonlyArray<keyof ScreenSummary>;
}

/** A connected screen (an SSE connection). Must not throw; it drops what it cannot send. */
export interface ScreenSubscriber {
  update(u: ScreenUpdate): void;
  heartbeat(): void;
  close(): void;
}

export interface ScreenFeedDeps {
  clock: Clock;
  log: Logger;
  signal: ChangeSignal;
  compute: (now: number) => ScreenSummary;
  /** Changes arriving within this window are computed once (a burst of ops, 64 cameras coming online). */
  debounceMs?: number;
  /** Recompute this often even without a signal: overdue flags, the cloud link, the disk verdict change with time. */
  refreshMs?: number;
  /** A summary this young is served from the cache by GET /api/screen/summary. */
  ttlMs?: number;
  /** SSE comment this often, so proxies and browsers keep an idle stream open and a dead one is noticed. */
  heartbeatMs?: number;
  /** Streams open at once; more are refused (503) rather than slowing the box. */
  maxClients?: number;
}

const SCREEN_DEFAULTS = { debounceMs: 1000, refreshMs: 15_000, ttlMs: 2000, heartbeatMs: 15_000, maxClients: 16 } as const;

/**
 * The big screen's state and its push. One summary is computed per change
 * (debounced), cached, and sent to every connected screen as a delta; a
 * screen that connects gets the whole summary. start()/stop() like every part;
 * stop() closes every stream.
 */
export class ScreenFeed {
  readonly #deps: ScreenFeedDeps;
  readonly #opts: { debounceMs: number; refreshMs: number; ttlMs: number; heartbeatMs: number; maxClients: number };
  readonly #subscribers = new Set<ScreenSubscriber>();
  readonly #boot: string;
  #version = 0;
  #current: ScreenSummary | undefined;
  #sections = new Map<string, string>();
  #debounce: unknown;
  #refresh: unknown;
  #heartbeat: unknown;
  #off: (() => void) | undefined;

  constructor(deps: ScreenFeedDeps) {
    this.#deps = deps;
    this.#opts = {
      debounceMs: deps.debounceMs ?? SCREEN_DEFAULTS.debounceMs,
      refreshMs: deps.refreshMs ?? SCREEN_DEFAULTS.refreshMs,
      ttlMs: deps.ttlMs ?? SCREEN_DEFAULTS.ttlMs,
      heartbeatMs: deps.heartbeatMs ?? SCREEN_DEFAULTS.heartbeatMs,
      maxClients: deps.maxClients ?? SCREEN_DEFAULTS.maxClients,
    };
    this.#boot = deps.clock.now().toString(36);
  }

  start(): void {
    const { clock, signal } = this.#deps;
    this.#off = signal.on(() => this.changed());
    // Without a stream nobody needs pushing: GET /api/screen/summary computes on demand (current()).
    this.#refresh = clock.setInterval(() => {
      if (this.#subscribers.size > 0) this.#recompute();
    }, this.#opts.refreshMs);
    this.#heartbeat = clock.setInterval(() => {
      for (const s of this.#subscribers) s.heartbeat();
    }, this.#opts.heartbeatMs);
  }

  stop(): void {
    const { clock } = this.#deps;
    this.#off?.();
    this.#off = undefined;
    clock.clearInterval(this.#refresh);
    clock.clearInterval(this.#heartbeat);
    clock.clearTimeout(this.#debounce);
    this.#debounce = undefined;
    for (const s of [...this.#subscribers]) s.close();
    this.#subscribers.clear();
  }

  /** Something shown may have changed: recompute once the burst is over. */
  changed(): void {
    if (this.#debounce !== undefined || this.#subscribers.size === 0) return;
    this.#debounce = this.#deps.clock.setTimeout(() => {
      this.#debounce = undefined;
      this.#recompute();
    }, this.#opts.debounceMs);
  }

  /** The summary and its id, from the cache when it is younger than the TTL. */
  current(): ScreenUpdate {
    const now = this.#deps.clock.now();
    if (!this.#current || now - this.#current.at >= this.#opts.ttlMs) this.#recompute();
    return { id: this.#id(), summary: this.#current!, changed: [] };
  }

  /** Adds a screen; refused when `maxClients` are connected. Returns the function that removes it (idempotent). */
  subscribe(s: ScreenSubscriber): () => void {
    if (this.#subscribers.size >= this.#opts.maxClients) throw new CunboxError('UNAVAILABLE', `too many screens connected (${this.#opts.maxClients}); close one or raise the limit`);
    this.#subscribers.add(s);
    return () => void this.#subscribers.delete(s);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  #id(): string {
    return `${this.#boot}.${this.#version}`;
  }

  #recompute(): void {
    let next: ScreenSummary;
    try {
      next = this.#deps.compute(this.#deps.clock.now());
    } catch (err) {
      // A store that fails now (a locked database) leaves the last summary on the screen.
      this.#deps.log.error({ err }, 'screen summary failed');
      return;
    }
    const changed: Array<keyof ScreenSummary> = [];
    for (const key of Object.keys(next) as Array<keyof ScreenSummary>) {
      if (key === 'at') continue;
      const text = JSON.stringify(next[key]);
      if (this.#sections.get(key) !== text) {
        this.#sections.set(key, text);
        changed.push(key);
      }
    }
    const first = this.#current === undefined;
    this.#current = next;
    if (changed.length === 0 || first) {
      if (first) this.#version++;
      return;
    }
    this.#version++;
    const update: ScreenUpdate = { id: this.#id(), summary: next, changed };
    for (const s of this.#subscribers) s.update(update);
  }
}
