/**
 * Time is injected everywhere a part waits or stamps, on the edge and in the
 * cloud alike, so tests can drive backoff, watchdogs, reconnects and retention
 * under fake time (`fakeClock()` in @cunbox/test-support wraps
 * @sinonjs/fake-timers' `createClock()` into this interface).
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * Timers are ordinary (ref'd): an awaited sleep must keep the process alive.
 * Every part clears its timers in stop(), which is what lets the process exit.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Waits for `work` at most `ms` on the given clock: true when it settled in
 * time (either way), false when the time ran out first. The work itself goes on;
 * a stop that must not hang uses this to give up waiting, not to cancel.
 */
export async function settlesWithin(clock: Clock, work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: unknown;
  const late = new Promise<false>((resolve) => (timer = clock.setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clock.clearTimeout(timer);
  }
}
