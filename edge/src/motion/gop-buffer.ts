import type { AccessUnit } from './access-units.ts';

export interface GopBufferLimits {
  /** A GOP longer than this is dropped: a decoder started from it would take too long to catch up. */
  maxMs: number;
  maxBytes: number;
}

/**
 * The access units since the last key frame: what a decoder started now must
 * be given first. Empty (and `ready` false) until a key frame arrives, and
 * again after a GOP outgrew its limits, until the next key frame.
 */
export class GopBuffer {
  readonly #limits: GopBufferLimits;
  #units: Buffer[] = [];
  #bytes = 0;
  #startedAt = 0;

  constructor(limits: GopBufferLimits) {
    this.#limits = limits;
  }

  get ready(): boolean {
    return this.#units.length > 0;
  }

  get units(): readonly Buffer[] {
    return this.#units;
  }

  push(unit: AccessUnit, nowMs: number): void {
    if (unit.key) {
      this.#units = [unit.data];
      this.#bytes = unit.data.length;
      this.#startedAt = nowMs;
      return;
    }
    if (!this.ready) return;
    this.#units.push(unit.data);
    this.#bytes += unit.data.length;
    if (this.#bytes > this.#limits.maxBytes || nowMs - this.#startedAt > this.#limits.maxMs) this.clear();
  }

  clear(): void {
    this.#units = [];
    this.#bytes = 0;
  }
}
