import type { ServerResponse } from 'node:http';
import type { ScreenSummary } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { ScreenSubscriber, ScreenUpdate } from './feed.ts';

/** Browsers reconnect after this long when the stream breaks (the SSE `retry:` field). */
const SSE_RETRY_MS = 3000;
/** A client that has not read for this long is cut off; its browser reconnects and gets the whole summary. */
const SSE_STALL_MS = 60_000;

/**
 * One screen's Server-Sent Events stream. Backpressure: when the socket's
 * buffer is full (write() returned false) nothing more is written; updates
 * that arrive meanwhile only mark "behind", and on 'drain' the client gets the
 * whole latest summary instead of the deltas it missed. So a slow screen holds
 * at most one summary in memory, never a queue; one that stalls past
 * SSE_STALL_MS is closed.
 */
export class SseStream implements ScreenSubscriber {
  readonly #res: ServerResponse;
  readonly #clock: Clock;
  readonly #latest: () => ScreenUpdate;
  readonly #stillAllowed: () => boolean;
  #blockedSince: number | null = null;
  #behind = false;
  #closed = false;
  /** Updates before open() are dropped: open() sends the whole summary, which holds them. */
  #opened = false;

  /** `stillAllowed`: asked at each heartbeat, so a revoked token or a disabled account ends its open stream too. */
  constructor(res: ServerResponse, deps: { clock: Clock; latest: () => ScreenUpdate; stillAllowed: () => boolean }) {
    this.#res = res;
    this.#clock = deps.clock;
    this.#latest = deps.latest;
    this.#stillAllowed = deps.stillAllowed;
    res.on('drain', () => this.#drained());
  }

  /** Headers, the retry hint, and the whole summary unless the client already has this version. */
  open(lastEventId: string | undefined): void {
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // A reverse proxy (nginx) must pass events on at once, not buffer them.
      'x-accel-buffering': 'no',
    });
    const u = this.#latest();
    this.#opened = true;
    this.#write(`retry: ${SSE_RETRY_MS}\n\n`);
    if (lastEventId !== u.id) this.#write(frame('summary', u.id, u.summary));
    else this.#write(': up to date\n\n');
  }

  update(u: ScreenUpdate): void {
    if (this.#closed || !this.#opened) return;
    if (this.#blockedSince !== null) {
      this.#behind = true;
      if (this.#clock.now() - this.#blockedSince > SSE_STALL_MS) this.close();
      return;
    }
    const delta: Partial<ScreenSummary> = { at: u.summary.at };
    for (const k of u.changed) (delta as Record<string, unknown>)[k] = u.summary[k];
    this.#write(frame('delta', u.id, delta));
  }

  heartbeat(): void {
    if (this.#closed || !this.#opened) return;
    if (!this.#stillAllowed()) return this.close();
    if (this.#blockedSince !== null) {
      if (this.#clock.now() - this.#blockedSince > SSE_STALL_MS) this.close();
      return;
    }
    this.#write(': keep-alive\n\n');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#res.end();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #drained(): void {
    this.#blockedSince = null;
    if (this.#closed || !this.#behind) return;
    this.#behind = false;
    const u = this.#latest();
    this.#write(frame('summary', u.id, u.summary));
  }

  #write(text: string): void {
    if (this.#closed || this.#res.destroyed) return;
    if (!this.#res.write(text)) this.#blockedSince ??= this.#clock.now();
  }
}

function frame(event: string, id: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so the data is one `data:` line.
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}
