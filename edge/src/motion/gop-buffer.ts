import type { AccessUnit } from './access-units.ts';

export interface GopBufferLimits {
  /** A GOP longer than this is dropped: a decoder started from it would take too long to catch up. */
  maxMs: number;
  maxBytes: number;
}

interface Gop {
  units: Buffer[];
  /** When each unit arrived: the camera sends pictures as it takes them, so their spacing is the pictures'. */
  arrivals: number[];
  bytes: number;
}

/** What a decoder started now is given first, and which of those pictures to analyse. */
export interface KeptStart {
  /** Access units from a key frame on, up to the newest. */
  units: readonly Buffer[];
  /** Indexes into `units`, ascending: one at least the asked interval before the newest (when kept), and the newest. */
  analyse: number[];
}

/**
 * The access units since the last key frame, and those of the GOP before it:
 * what a decoder started now must be given first. The previous GOP is kept
 * because the feed goes active just as a key frame arrives (the still feed
 * hands over the one before a GOP late): the current GOP is then one picture,
 * and the first comparison needs a picture an active interval older.
 * Empty (and `ready` false) until a key frame arrives, and again after a GOP
 * outgrew its limits, until the next key frame.
 */
export class GopBuffer {
  readonly #limits: GopBufferLimits;
  #current: Gop | undefined;
  #previous: Gop | undefined;

  constructor(limits: GopBufferLimits) {
    this.#limits = limits;
  }

  get ready(): boolean {
    return this.#current !== undefined;
  }

  /**
   * From the current GOP's key frame when it already spans `intervalMs`, else
   * from the previous GOP's; the newest picture and one `intervalMs` before it
   * (when kept) to analyse.
   */
  start(intervalMs: number): KeptStart {
    const cur = this.#current;
    if (!cur) return { units: [], analyse: [] };
    const newestAt = cur.arrivals.at(-1)!;
    const fromCurrent = newestAt - cur.arrivals[0]! >= intervalMs || !this.#previous;
    const units = fromCurrent ? cur.units : [...this.#previous!.units, ...cur.units];
    const arrivals = fromCurrent ? cur.arrivals : [...this.#previous!.arrivals, ...cur.arrivals];
    const newest = units.length - 1;
    for (let i = newest - 1; i >= 0; i--) if (newestAt - arrivals[i]! >= intervalMs) return { units, analyse: [i, newest] };
    return { units, analyse: [newest] };
  }

  push(unit: AccessUnit, nowMs: number): void {
    if (unit.key) {
      this.#previous = this.#current;
      this.#current = { units: [unit.data], arrivals: [nowMs], bytes: unit.data.length };
      return;
    }
    const cur = this.#current;
    if (!cur) return;
    cur.units.push(unit.data);
    cur.arrivals.push(nowMs);
    cur.bytes += unit.data.length;
    if (cur.bytes > this.#limits.maxBytes || nowMs - cur.arrivals[0]! > this.#limits.maxMs) this.clear();
  }

  clear(): void {
    this.#current = undefined;
    this.#previous = undefined;
  }
}
