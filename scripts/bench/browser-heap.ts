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

  /**
   * What the heap holds, by constructor: a full heap snapshot (after GC) summed by
   * (node type, name). Two of these a while apart name what grows when the slope
   * says something does.
   */
  async census(): Promise<HeapCensus> {
    await this.#cdp.send('HeapProfiler.collectGarbage');
    const chunks: string[] = [];
    const onChunk = (e: { chunk: string }) => void chunks.push(e.chunk);
    this.#cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    try {
      await this.#cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      this.#cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    }
    return censusOf(JSON.parse(chunks.join('')) as HeapSnapshotJson);
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

/** Count and self size of the live objects of one kind, keyed "type:name" (e.g. "object:HTMLImageElement"). */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function censusOf(snap: HeapSnapshotJson): HeapCensus {
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = snap.snapshot.meta.node_types[0];
  const census: HeapCensus = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    // Strings are keyed by type alone: their text would make every one its own kind.
    const key = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? type : `${type}:${snap.strings[snap.nodes[i + nameAt]!]}`;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    census.set(key, entry);
  }
  return census;
}

/** The kinds that grew most in bytes from `before` to `after`, largest first. */
export function censusGrowth(before: HeapCensus, after: HeapCensus, top = 15): Array<{ kind: string; count: number; bytes: number }> {
  const grown: Array<{ kind: string; count: number; bytes: number }> = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    if (a.bytes > b.bytes) grown.push({ kind, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  return grown.sort((x, y) => y.bytes - x.bytes).slice(0, top);
}

/** What DevTools itself keeps while a bench watches (every response's record, console messages), and compiled code. */
const NOT_THE_PAGES = { devtools: /NetworkResourcesData|ConsoleMessage|Inspector/, code: /^code:/ };

/**
 * Net growth in bytes from `before` to `after`, split into what the watching DevTools
 * keeps (a record of every response: it grows with each tile a bench fetches and does
 * not exist on the office TV), compiled code (the JIT warming up, bounded), and the
 * rest: the page's own objects, the number that says whether the page leaks.
 */
export function censusSplit(before: HeapCensus, after: HeapCensus): { devtools: number; code: number; page: number } {
  const split = { devtools: 0, code: 0, page: 0 };
  for (const kind of new Set([...before.keys(), ...after.keys()])) {
    const delta = (after.get(kind)?.bytes ?? 0) - (before.get(kind)?.bytes ?? 0);
    if (NOT_THE_PAGES.devtools.test(kind)) split.devtools += delta;
    else if (NOT_THE_PAGES.code.test(kind)) split.code += delta;
    else split.page += delta;
  }
  return split;
}
