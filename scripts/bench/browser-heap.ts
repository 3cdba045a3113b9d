// A page's JavaScript heap as Chromium's DevTools protocol sees it, after a forced
// garbage collection: what the page still holds, not what it has yet to free. The
// screen soak (screen-soak.ts) and its short browser test read it the same way.
import type { CDPSession, Page } from 'playwright-core';

export interface HeapSample {
  /** ms since the sampler started */
  atMs: number;
  /** V8 heap in use after GC, bytes */
  usedBytes: number;
  /** DOM nodes and event listeners alive (a leak of elements shows here, not in the JS heap) */
  nodes: number;
  listeners: number;
}

export class HeapSampler {
  readonly #cdp: CDPSession;
  readonly #t0 = performance.now();

  private constructor(cdp: CDPSession) {
    this.#cdp = cdp;
  }

  static async attach(page: Page): Promise<HeapSampler> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    return new HeapSampler(cdp);
  }

  async sample(): Promise<HeapSample> {
    // Twice: the first collection can leave objects whose finalizers free more.
    await this.#cdp.send('HeapProfiler.collectGarbage');
    await this.#cdp.send('HeapProfiler.collectGarbage');
    const heap = await this.#cdp.send('Runtime.getHeapUsage');
    const dom = await this.#cdp.send('Memory.getDOMCounters');
    return { atMs: performance.now() - this.#t0, usedBytes: heap.usedSize, nodes: dom.nodes, listeners: dom.jsEventListeners };
  }

  async detach(): Promise<void> {
    await this.#cdp.detach().catch(() => undefined);
  }
}

/** Least-squares slope of used heap over time, bytes per minute (0 with fewer than two samples). */
export function heapSlopePerMinute(samples: readonly HeapSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.atMs / 60_000);
  const ys = samples.map((s) => s.usedBytes);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
