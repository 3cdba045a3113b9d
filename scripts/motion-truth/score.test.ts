import t from 'tap';
import { score, unrollTruth, type CameraTruth, type Detection } from './score.ts';

const S = 1000;
/** A camera whose loop began at 0 and was watched for one period, unless told otherwise. */
function cam(over: Partial<CameraTruth> = {}): CameraTruth {
  return {
    camera: 'cam00',
    scenario: 'walk',
    kind: 'motion',
    periodMs: 20 * S,
    intervals: [{ zone: 'gate', startMs: 4 * S, endMs: 8 * S }],
    epochMs: 0,
    windowStartMs: 0,
    windowEndMs: 20 * S,
    ...over,
  };
}
const det = (zone: string | null, startS: number, endS: number, camera = 'cam00'): Detection => ({ camera, zone, startMs: startS * S, endMs: endS * S });

t.test('a detection overlapping the true interval in its zone is a hit; latency is true start to detection start', async (t) => {
  const r = score([cam()], [det('gate', 5, 9)]);
  t.equal(r.recall, 1);
  t.same(r.latencyMs, { p50: 1000, p95: 1000, max: 1000 });
  t.equal(r.falseEventsOnMotionClips, 0);
});

t.test('a detection in the wrong zone neither detects the interval nor goes unpunished', async (t) => {
  const r = score([cam()], [det('road', 5, 9)]);
  t.equal(r.recall, 0);
  t.equal(r.latencyMs, null);
  t.equal(r.falseEventsOnMotionClips, 1);
});

t.test('one event spanning two true intervals detects both; the second one had no wait', async (t) => {
  const c = cam({ intervals: [{ zone: 'gate', startMs: 2 * S, endMs: 4 * S }, { zone: 'gate', startMs: 10 * S, endMs: 12 * S }] });
  const r = score([c], [det('gate', 2.5, 11)]);
  t.equal(r.trueIntervals, 2);
  t.equal(r.recall, 1);
  t.same(r.latencyMs, { p50: 0, p95: 500, max: 500 });
  t.equal(r.falseEventsOnMotionClips, 0, 'it overlaps truth, so it is not false');
});

t.test('a detection starting shortly after a short interval ended is a late hit; much later it is false', async (t) => {
  const c = cam({ intervals: [{ zone: 'gate', startMs: 4 * S, endMs: 5 * S }] });
  const late = score([c], [det('gate', 6, 7)]);
  t.equal(late.recall, 1);
  t.equal(late.latencyMs?.max, 2000);
  const tooLate = score([c], [det('gate', 9, 10)]);
  t.equal(tooLate.recall, 0);
  t.equal(tooLate.falseEventsOnMotionClips, 1);
  t.equal(score([c], [det('gate', 9, 10)], { graceMs: 5000 }).recall, 1, 'the grace is the caller\'s to set');
});

t.test('truth repeats with the loop; the window decides which copies count', async (t) => {
  const c = cam({ epochMs: 1000, windowStartMs: 1000, windowEndMs: 61_000 });
  t.same(unrollTruth(c).map((iv) => iv.startMs), [5000, 25_000, 45_000]);
  const r = score([c], [det('gate', 5.2, 9), det('gate', 45.4, 50)]);
  t.equal(r.trueIntervals, 3);
  t.equal(r.detected, 2);
  t.equal(r.recall, 2 / 3);
});

t.test('loop wraparound: an object in the zone across the clip boundary is one stretch of motion', async (t) => {
  // In the zone for the clip's last 2 s and its first 1 s.
  const c = cam({
    intervals: [{ zone: 'gate', startMs: 0, endMs: 1 * S }, { zone: 'gate', startMs: 18 * S, endMs: 20 * S }],
    windowStartMs: 10 * S,
    windowEndMs: 50 * S,
  });
  const wall = unrollTruth(c);
  t.same(wall, [{ zone: 'gate', startMs: 18 * S, endMs: 21 * S }, { zone: 'gate', startMs: 38 * S, endMs: 41 * S }]);
  const r = score([c], [det('gate', 18.3, 21.5), det('gate', 38.2, 41)]);
  t.equal(r.trueIntervals, 2);
  t.equal(r.recall, 1);
  t.equal(r.latencyMs?.max, 300);
});

t.test('truth cut by the window edge is not counted, and a detection of it is not false', async (t) => {
  const c = cam({ windowStartMs: 6 * S, windowEndMs: 26 * S });
  const r = score([c], [det('gate', 6.5, 8)]);
  t.equal(r.trueIntervals, 0, 'the copies at 4..8 s and 24..28 s both cross the window edge');
  t.equal(r.recall, null);
  t.equal(r.falseEventsOnMotionClips, 0);
});

t.test('false events per hour count distractor footage only', async (t) => {
  const motion = cam();
  const rain = cam({ camera: 'cam01', scenario: 'rain', kind: 'distractor', intervals: [], windowEndMs: 3600 * S });
  const r = score([motion, rain], [det('yard', 100, 110, 'cam01'), det('yard', 900, 905, 'cam01'), det('gate', 5, 6)]);
  t.equal(r.falseEventsOnDistractors, 2);
  t.equal(r.distractorHours, 1);
  t.equal(r.falseEventsPerHour, 2);
  t.equal(r.recall, 1);
  const rainScore = r.scenarios.find((s) => s.scenario === 'rain');
  t.same(rainScore, { scenario: 'rain', kind: 'distractor', trueIntervals: 0, detected: 0, falseEvents: 2, hours: 1 });
});

t.test('nothing to score gives nulls, not NaN; detections of unlisted cameras are ignored', async (t) => {
  const r = score([], [det('gate', 1, 2, 'cam09')]);
  t.equal(r.recall, null);
  t.equal(r.falseEventsPerHour, null);
  t.equal(r.latencyMs, null);
  t.equal(r.falseEventsOnDistractors + r.falseEventsOnMotionClips, 0);
});

t.test('latency percentiles are nearest-rank over every detected interval', async (t) => {
  const intervals = Array.from({ length: 10 }, (_, i) => ({ zone: 'gate', startMs: i * 2 * S, endMs: i * 2 * S + 500 }));
  const c = cam({ intervals });
  // Detected i*100 ms after each start.
  const dets = intervals.map((iv, i) => ({ camera: 'cam00', zone: 'gate', startMs: iv.startMs + i * 100, endMs: iv.startMs + i * 100 + 400 }));
  const r = score([c], dets);
  t.equal(r.recall, 1);
  t.same(r.latencyMs, { p50: 400, p95: 900, max: 900 });
});

t.test('a whole-picture detection (zone null, a camera without zones) matches truth in any zone', async (t) => {
  const r = score([cam()], [det(null, 5, 9)]);
  t.equal(r.recall, 1);
  t.equal(r.falseEventsOnMotionClips, 0);
  t.equal(score([cam()], [det(null, 12, 13)]).falseEventsOnMotionClips, 1, 'but not motion where there was none');
});
