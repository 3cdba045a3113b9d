/**
 * Maps one ffmpeg run's stream time (the camera's own timestamps, starting
 * near 0) to the box's wall clock.
 *
 * The evidence is ffmpeg's progress: each `out_time_us` line is printed right
 * after a packet is written, so (wall time we read it − its stream time) is the
 * run's offset plus a delay that is never negative (network, pipe, our event
 * loop). The smallest such sample over a recent window is the best estimate;
 * the window lets the estimate follow the camera clock's drift against ours
 * (about 20 ppm, 2 s a day). Segments are placed end to end: the offset may
 * move by at most `maxSlewPpm` of a segment's length per segment, so files
 * stay contiguous in the index and their durations stay true to within that
 * rate. A disagreement larger than `jumpMs` (the camera restarted its clock,
 * ours was set) re-anchors at once instead of creeping.
 *
 * Pure: no clock, no I/O; the recorder feeds it samples.
 */
export interface StreamClockPolicy {
  /** How far back samples count towards the estimate. */
  windowMs: number;
  /** Largest offset change per segment, as a fraction (ppm) of the segment's length. */
  maxSlewPpm: number;
  /** An estimate this far from the running offset re-anchors instead of slewing. */
  jumpMs: number;
}

const defaultStreamClockPolicy: StreamClockPolicy = { windowMs: 60_000, maxSlewPpm: 1000, jumpMs: 1500 };

interface Sample {
  wallMs: number;
  offsetMs: number;
}

export interface Placement {
  startMs: number;
  endMs: number;
}

export class StreamClock {
  readonly #policy: StreamClockPolicy;
  #samples: Sample[] = [];
  /** Consecutive samples far from the estimate; several in a row mean a jump, one is just a late read. */
  #outliers: Sample[] = [];
  /** Offset (wall − stream, ms) used for the end of the last placed segment. */
  #offsetMs: number | undefined;

  constructor(policy: StreamClockPolicy = defaultStreamClockPolicy) {
    this.#policy = policy;
  }

  /** A progress sample: stream time `streamS` was written by ffmpeg no later than `wallMs`. */
  observe(wallMs: number, streamS: number): void {
    if (!Number.isFinite(streamS) || !Number.isFinite(wallMs)) return;
    const sample = { wallMs, offsetMs: wallMs - streamS * 1000 };
    const estimate = this.estimateMs();
    if (estimate !== undefined && Math.abs(sample.offsetMs - estimate) > this.#policy.jumpMs) {
      this.#outliers.push(sample);
      // Late reads come in bursts whose newest line is prompt again; three
      // distant samples in a row are a new clock, not a slow event loop.
      if (this.#outliers.length < 3) return;
      this.#samples = this.#outliers;
      this.#outliers = [];
    } else {
      this.#outliers = [];
      this.#samples.push(sample);
    }
    const oldest = wallMs - this.#policy.windowMs;
    while (this.#samples.length > 1 && this.#samples[0]!.wallMs < oldest) this.#samples.shift();
  }

  /** Best current estimate of wall − stream (ms), or undefined before any sample. */
  estimateMs(): number | undefined {
    if (this.#samples.length === 0) return undefined;
    let min = Infinity;
    for (const s of this.#samples) if (s.offsetMs < min) min = s.offsetMs;
    return min;
  }

  /** The offset last used; what a file left by a crash is dated with. */
  get offsetMs(): number | undefined {
    return this.#offsetMs ?? this.estimateMs();
  }

  /**
   * Wall-clock start and end of a closed segment from its stream times.
   * `fallbackOffsetMs` dates it when no progress sample has arrived (a run
   * shorter than a second).
   */
  place(startS: number, endS: number, fallbackOffsetMs: number): Placement {
    const target = this.estimateMs() ?? fallbackOffsetMs;
    const prev = this.#offsetMs;
    let startOffset = target;
    let endOffset = target;
    if (prev !== undefined && Math.abs(target - prev) <= this.#policy.jumpMs) {
      // Starts where the previous segment ended on the wall clock; only its end moves.
      const maxStep = (Math.max(0, endS - startS) * 1000 * this.#policy.maxSlewPpm) / 1e6;
      startOffset = prev;
      endOffset = prev + Math.max(-maxStep, Math.min(maxStep, target - prev));
    }
    this.#offsetMs = endOffset;
    return { startMs: Math.round(startS * 1000 + startOffset), endMs: Math.round(endS * 1000 + endOffset) };
  }
}
