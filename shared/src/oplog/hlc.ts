/**
 * Hybrid logical clock, as Actual Budget uses it: wall-clock milliseconds, a
 * 16-bit counter for events within one millisecond (or while the wall clock
 * lags behind what we have already seen), and the node id as the final tie
 * breaker. Serialised so that string order equals clock order:
 *
 *     2026-11-29T03:00:00.000Z-0000-0123456789abcdef
 *
 * Two differences from Actual Budget, both because an appliance must keep
 * accepting edits when its clock is wrong:
 * - `now()` never throws. When the counter would overflow, the logical time
 *   moves one millisecond ahead of the wall clock instead; when the wall clock
 *   steps back (NTP correction, dead RTC battery), the logical time simply stays
 *   ahead until the wall clock catches up.
 * - `observe()` refuses to adopt a remote time more than `maxDriftMs` ahead of
 *   our wall clock, so one peer with a clock set to 2099 cannot drag every
 *   node's clock along. The op itself is still stored and folded by the caller.
 */

export const MAX_COUNTER = 0xffff;
/** 16 lowercase hex digits: the node id (origin) of the edge or the cloud. */
export const NODE_ID_PATTERN = /^[0-9a-f]{16}$/;
/** The largest time ISO-8601 can print with a four-digit year. */
const MAX_MS = 253402300799999;

export interface Hlc {
  ms: number;
  counter: number;
  node: string;
}

class HlcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HlcError';
  }
}

export function formatHlc(h: Hlc): string {
  if (!Number.isSafeInteger(h.ms) || h.ms < 0 || h.ms > MAX_MS) throw new HlcError(`hlc: time out of range (${h.ms})`);
  if (!Number.isInteger(h.counter) || h.counter < 0 || h.counter > MAX_COUNTER) throw new HlcError(`hlc: counter out of range (${h.counter})`);
  if (!NODE_ID_PATTERN.test(h.node)) throw new HlcError(`hlc: bad node id ${JSON.stringify(h.node)}`);
  return `${new Date(h.ms).toISOString()}-${h.counter.toString(16).padStart(4, '0')}-${h.node}`;
}

const HLC_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)-([0-9a-f]{4})-([0-9a-f]{16})$/;

export function parseHlc(s: string): Hlc {
  const m = HLC_PATTERN.exec(s);
  const ms = m ? Date.parse(m[1]!) : NaN;
  if (!m || !Number.isFinite(ms) || new Date(ms).toISOString() !== m[1]) throw new HlcError(`not a hybrid logical clock value: ${JSON.stringify(s)}`);
  return { ms, counter: parseInt(m[2]!, 16), node: m[3]! };
}

/** Clock order; equal to string order of the serialised form. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface HlcClockOptions {
  node: string;
  /** Wall clock in ms (the injected Clock's now). */
  now: () => number;
  /**
   * A remote time further ahead of our wall clock than this is not adopted. Default one hour:
   * it must exceed the skew we tolerate between edge and cloud (±10 minutes), or an
   * op made after seeing a peer's op could order before it and lose its edit; a clock in
   * another day or year is still refused.
   */
  maxDriftMs?: number;
  /** The last value this node issued or adopted (persisted across restarts). */
  last?: string | null;
}

export interface ObserveResult {
  /** False when the remote time was too far ahead to adopt. */
  adopted: boolean;
  /** How far the remote time is ahead of our wall clock (ms; negative: behind). */
  aheadMs: number;
}

export class HlcClock {
  readonly node: string;
  readonly #now: () => number;
  readonly #maxDriftMs: number;
  #ms = 0;
  #counter = 0;

  constructor(opts: HlcClockOptions) {
    if (!NODE_ID_PATTERN.test(opts.node)) throw new HlcError(`hlc: bad node id ${JSON.stringify(opts.node)}`);
    this.node = opts.node;
    this.#now = opts.now;
    this.#maxDriftMs = opts.maxDriftMs ?? 60 * 60_000;
    if (opts.last) {
      const last = parseHlc(opts.last);
      this.#ms = last.ms;
      this.#counter = last.counter;
    }
  }

  /** The last value issued or adopted, serialised (what to persist). */
  get last(): string {
    return formatHlc({ ms: this.#ms, counter: this.#counter, node: this.node });
  }

  /** A new timestamp for a local event, strictly greater than every earlier one from this clock. */
  now(): string {
    const phys = this.#wall();
    if (phys > this.#ms) {
      this.#ms = phys;
      this.#counter = 0;
    } else {
      this.#bump();
    }
    return this.last;
  }

  /**
   * Merges a remote timestamp, so the next local event orders after it (the
   * "receive" rule). Values with our own node id are merged too: they are our
   * own ops restored from a peer after a disk loss, possibly later than what
   * this disk remembers.
   */
  observe(remote: string): ObserveResult {
    const r = parseHlc(remote);
    const phys = this.#wall();
    const aheadMs = r.ms - phys;
    if (aheadMs > this.#maxDriftMs) return { adopted: false, aheadMs };
    if (r.ms > this.#ms || (r.ms === this.#ms && r.counter > this.#counter)) {
      this.#ms = r.ms;
      this.#counter = r.counter;
    }
    // Our next now() is then > remote: either phys is later, or the counter moves on.
    return { adopted: true, aheadMs };
  }

  #bump(): void {
    if (this.#counter < MAX_COUNTER) {
      this.#counter++;
    } else {
      // 65,536 events in one logical millisecond: borrow the next millisecond.
      this.#ms++;
      this.#counter = 0;
    }
  }

  #wall(): number {
    const t = Math.floor(this.#now());
    if (!Number.isSafeInteger(t) || t < 0 || t > MAX_MS) throw new HlcError(`hlc: wall clock out of range (${t})`);
    return t;
  }
}
