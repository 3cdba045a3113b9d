/**
 * Scores a motion detector against ground truth. Pure: no clock, no I/O, never
 * throws on odd input (a detection for a camera not listed is not scored).
 *
 * Times are wall-clock milliseconds. A camera plays its clip in a loop; the
 * caller says when the loop began (`epochMs`, from the simulator) and which
 * window it watched, and `unrollTruth` repeats the clip's intervals over it.
 */

/** One stretch of true motion in one zone, in clip time (ms from the clip's first frame). */
export interface TruthInterval {
  zone: string;
  startMs: number;
  endMs: number;
}

/** What one camera showed during the scored window. */
export interface CameraTruth {
  camera: string;
  /** The clip's scenario name, for the per-scenario breakdown. */
  scenario: string;
  kind: 'motion' | 'distractor';
  /** The clip's length: its truth repeats with this period. */
  periodMs: number;
  intervals: readonly TruthInterval[];
  /** Wall time of the clip's first frame on the analysed stream (the loop's origin). */
  epochMs: number;
  /** The scored window, wall time; only detections and true intervals inside it count. */
  windowStartMs: number;
  windowEndMs: number;
}

/** One motion event the detector reported, wall time (the shape of a motion event's detail). */
export interface Detection {
  camera: string;
  /** The zone it was in; null: the whole picture (a camera configured without zones), which matches truth in any zone. */
  zone: string | null;
  startMs: number;
  endMs: number;
}

export interface ScoreOptions {
  /**
   * A detection that starts up to this long after a true interval ended still
   * counts for it (the detector needs a few frames; a 1-s crossing seen 1.2 s
   * later is a late hit, not a miss). Default 3000.
   */
  graceMs?: number;
}

export interface ScenarioScore {
  scenario: string;
  kind: 'motion' | 'distractor';
  trueIntervals: number;
  detected: number;
  falseEvents: number;
  hours: number;
}

export interface Score {
  /** Detected true intervals / true intervals (null when there were none). */
  recall: number | null;
  trueIntervals: number;
  detected: number;
  /** Detections overlapping no true interval of their camera and zone, on distractor clips, per hour of distractor footage. */
  falseEventsPerHour: number | null;
  falseEventsOnDistractors: number;
  /** The same count on motion clips (wrong zone, or motion where none was). */
  falseEventsOnMotionClips: number;
  distractorHours: number;
  /** True start → detection start, ms, over detected intervals (0 when the detection was already running). */
  latencyMs: { p50: number; p95: number; max: number } | null;
  scenarios: ScenarioScore[];
}

interface WallInterval {
  zone: string;
  startMs: number;
  endMs: number;
}

/**
 * The clip's intervals repeated over the window, in wall time. Copies that
 * touch across a loop boundary (an object still in the zone as the clip wraps)
 * are joined into one: it is one stretch of motion on the wire. Only intervals
 * lying wholly inside the window are kept: one cut by the window's edge cannot
 * be called missed or seen fairly.
 */
export function unrollTruth(cam: CameraTruth): WallInterval[] {
  const out: WallInterval[] = [];
  if (!(cam.periodMs > 0) || !(cam.windowEndMs > cam.windowStartMs)) return out;
  const firstLoop = Math.floor((cam.windowStartMs - cam.epochMs) / cam.periodMs) - 1;
  const lastLoop = Math.ceil((cam.windowEndMs - cam.epochMs) / cam.periodMs);
  const byZone = new Map<string, WallInterval[]>();
  for (let k = firstLoop; k <= lastLoop; k++) {
    const base = cam.epochMs + k * cam.periodMs;
    for (const iv of cam.intervals) {
      if (!(iv.endMs > iv.startMs)) continue;
      const list = byZone.get(iv.zone) ?? [];
      list.push({ zone: iv.zone, startMs: base + iv.startMs, endMs: base + iv.endMs });
      byZone.set(iv.zone, list);
    }
  }
  for (const list of byZone.values()) {
    list.sort((a, b) => a.startMs - b.startMs);
    let cur: WallInterval | undefined;
    for (const iv of list) {
      if (cur && iv.startMs <= cur.endMs) cur.endMs = Math.max(cur.endMs, iv.endMs);
      else {
        if (cur) out.push(cur);
        cur = { ...iv };
      }
    }
    if (cur) out.push(cur);
  }
  return out
    .filter((iv) => iv.startMs >= cam.windowStartMs && iv.endMs <= cam.windowEndMs)
    .sort((a, b) => a.startMs - b.startMs || a.zone.localeCompare(b.zone));
}

const overlaps = (d: Detection, iv: WallInterval, graceMs: number) =>
  (d.zone === null || d.zone === iv.zone) && d.startMs < iv.endMs + graceMs && d.endMs >= iv.startMs;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function score(cameras: readonly CameraTruth[], detections: readonly Detection[], opts: ScoreOptions = {}): Score {
  const graceMs = opts.graceMs ?? 3000;
  const latencies: number[] = [];
  const scenarios = new Map<string, ScenarioScore>();
  let trueIntervals = 0;
  let detected = 0;
  let falseOnDistractors = 0;
  let falseOnMotion = 0;
  let distractorMs = 0;

  for (const cam of cameras) {
    const sc = scenarios.get(cam.scenario) ?? { scenario: cam.scenario, kind: cam.kind, trueIntervals: 0, detected: 0, falseEvents: 0, hours: 0 };
    scenarios.set(cam.scenario, sc);
    const windowMs = Math.max(0, cam.windowEndMs - cam.windowStartMs);
    sc.hours += windowMs / 3_600_000;
    if (cam.kind === 'distractor') distractorMs += windowMs;

    // A detection overlapping the window at all belongs to it.
    const mine = detections.filter((d) => d.camera === cam.camera && d.endMs >= cam.windowStartMs && d.startMs <= cam.windowEndMs);
    const truth = unrollTruth(cam);
    // Truth cut by the window's edge is neither counted nor held against a detection of it.
    const allTruth = unrollTruth({ ...cam, windowStartMs: cam.windowStartMs - cam.periodMs, windowEndMs: cam.windowEndMs + cam.periodMs });

    for (const iv of truth) {
      trueIntervals++;
      sc.trueIntervals++;
      const hits = mine.filter((d) => overlaps(d, iv, graceMs));
      if (hits.length === 0) continue;
      detected++;
      sc.detected++;
      const first = Math.min(...hits.map((d) => d.startMs));
      latencies.push(Math.max(0, first - iv.startMs));
    }
    for (const d of mine) {
      if (allTruth.some((iv) => overlaps(d, iv, graceMs))) continue;
      sc.falseEvents++;
      if (cam.kind === 'distractor') falseOnDistractors++;
      else falseOnMotion++;
    }
  }

  latencies.sort((a, b) => a - b);
  const distractorHours = distractorMs / 3_600_000;
  return {
    recall: trueIntervals > 0 ? detected / trueIntervals : null,
    trueIntervals,
    detected,
    falseEventsPerHour: distractorHours > 0 ? falseOnDistractors / distractorHours : null,
    falseEventsOnDistractors: falseOnDistractors,
    falseEventsOnMotionClips: falseOnMotion,
    distractorHours,
    latencyMs: latencies.length ? { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies[latencies.length - 1]! } : null,
    scenarios: [...scenarios.values()],
  };
}
