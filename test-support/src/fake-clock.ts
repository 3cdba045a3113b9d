import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '@cunbox/shared';

/** A Clock driven by @sinonjs/fake-timers; globals are left alone. */
export function fakeClock(startMs = Date.UTC(2026, 10, 29, 3, 0, 0)) {
  const fc = FakeTimers.createClock(startMs);
  const clock: Clock = {
    now: () => fc.now,
    setTimeout: (fn, ms) => fc.setTimeout(fn, ms),
    clearTimeout: (h) => fc.clearTimeout(h as FakeTimers.TimerId),
    setInterval: (fn, ms) => fc.setInterval(fn, ms),
    clearInterval: (h) => fc.clearInterval(h as FakeTimers.TimerId),
  };
  return {
    clock,
    /** The underlying fake clock, for tickAsync and friends. */
    fake: fc,
    /** Advances fake time, letting real I/O callbacks (stream lines) run between timers. */
    async tick(ms: number) {
      const step = 100;
      for (let done = 0; done < ms; done += step) {
        await fc.tickAsync(Math.min(step, ms - done));
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}
