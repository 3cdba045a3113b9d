import t from 'tap';
import { StreamClock } from '../src/recorder/stream-clock.ts';

const T0 = Date.UTC(2026, 10, 29, 3, 0, 0);
const policy = { windowMs: 60_000, maxSlewPpm: 1000, jumpMs: 1500 };

/** Progress once a second for `seconds`, each read `delay(i)` ms after the packet, on a camera clock running `ppm` fast. */
function feed(c: StreamClock, from: number, seconds: number, opts: { ppm?: number; delay?: (i: number) => number; offsetMs?: number } = {}): void {
  for (let i = from; i < from + seconds; i++) {
    const wall = T0 + (opts.offsetMs ?? 0) + i * 1000;
    const stream = i * (1 + (opts.ppm ?? 0) / 1e6);
    c.observe(wall + (opts.delay?.(i) ?? 0), stream);
  }
}

t.test('the least-delayed sample wins; jitter and late reads do not move the estimate', async (t) => {
  const c = new StreamClock(policy);
  // 20-300 ms of network, pipe and event-loop delay; one read 900 ms late.
  feed(c, 0, 30, { delay: (i) => (i === 7 ? 900 : 20 + ((i * 37) % 280)) });
  t.equal(c.estimateMs(), T0 + 20);
  const first = c.place(0, 10, 0);
  const second = c.place(10, 20, 0);
  t.same(first, { startMs: T0 + 20, endMs: T0 + 10_020 });
  t.equal(second.startMs, first.endMs, 'segments follow on');
});

t.test('a camera clock 20 ppm fast is followed by a bounded slew, segments stay contiguous', async (t) => {
  const c = new StreamClock(policy);
  const ppm = 20;
  let prevEnd: number | undefined;
  let worst = 0;
  const gaps: number[] = [];
  const lengthErrors: number[] = [];
  // Four hours of 60-s segments.
  for (let seg = 0; seg < 240; seg++) {
    feed(c, seg * 60, 60, { ppm, delay: () => 30 });
    const startS = seg * 60 * (1 + ppm / 1e6);
    const endS = (seg + 1) * 60 * (1 + ppm / 1e6);
    const p = c.place(startS, endS, 0);
    if (prevEnd !== undefined) gaps.push(p.startMs - prevEnd);
    const trueEnd = T0 + (seg + 1) * 60_000;
    worst = Math.max(worst, Math.abs(p.endMs - 30 - trueEnd));
    lengthErrors.push(Math.abs(p.endMs - p.startMs - (endS - startS) * 1000));
    prevEnd = p.endMs;
  }
  t.ok(gaps.every((g) => g === 0), 'every segment starts where the previous one ended');
  t.ok(Math.max(...lengthErrors) <= 60, `lengths differ from the stream's by at most ${Math.max(...lengthErrors).toFixed(1)} ms (slew ≤ 1000 ppm)`);
  // Without correction the camera clock would be 288 ms off after 4 h.
  t.ok(worst <= 5, `wall-clock error stays within ${worst} ms of the truth`);
});

t.test('a camera that restarts its clock re-anchors at once instead of creeping', async (t) => {
  const c = new StreamClock(policy);
  feed(c, 0, 60, { delay: () => 25 });
  const before = c.place(0, 60, 0);
  t.equal(before.startMs, T0 + 25);
  // Stream time jumps back by 50 s (a camera reboot inside one RTSP session).
  for (let i = 60; i < 120; i++) c.observe(T0 + i * 1000 + 25, i - 50);
  t.equal(c.estimateMs(), T0 + 50_025);
  const after = c.place(10, 70, 0);
  t.same(after, { startMs: T0 + 60_025, endMs: T0 + 120_025 });
});

t.test('before any sample the fallback dates a segment', async (t) => {
  const c = new StreamClock(policy);
  t.equal(c.estimateMs(), undefined);
  t.same(c.place(0, 0.5, T0), { startMs: T0, endMs: T0 + 500 });
});
