import type { Verdict } from './detector.ts';

/**
 * Turns per-frame verdicts into motion events per zone. Pure: no clock, no I/O.
 *
 * - An event opens only after motion in `minFrames` consecutive analysed
 *   frames (one stray frame, a raindrop, a compression burst, opens nothing),
 *   the last of them confirmed (compared with a frame a fraction of a second
 *   earlier: key frames seconds apart can both show a chance cluster of rain)
 *   and continued in the zone (a blob there overlaps one counted in that
 *   earlier frame: rain's chance patches pass persistence in a different place
 *   every frame); it starts at the first of them. An open event continues on
 *   any motion in its zone.
 * - It stays open across gaps shorter than `mergeGapMs` (a person stopping
 *   behind a post is one event) and ends at the last frame with motion.
 * - One never lasts longer than `maxEventMs`: constant motion (a flag in the
 *   wind that the flicker map has not learnt yet) gives a row every few minutes,
 *   not one event that never ends and so is never stored.
 * - It remembers its peak (largest area, first frame reaching it): the
 *   pipeline keeps that frame's picture as the event's thumbnail.
 */
export interface TrackerSettings {
  minFrames: number;
  mergeGapMs: number;
  maxEventMs: number;
}

export const defaultTrackerSettings: TrackerSettings = { minFrames: 2, mergeGapMs: 10_000, maxEventMs: 5 * 60_000 };

export interface MotionEvent {
  zone: string | null;
  startMs: number;
  endMs: number;
  /** Largest picture share in motion inside the zone. */
  peakArea: number;
  peakAtMs: number;
}

export interface TrackerStep {
  /** Zones whose event opened with this frame. */
  started: Array<string | null>;
  /** Zones whose open event reached a new peak with this frame (the thumbnail to keep). */
  peaked: Array<string | null>;
  ended: MotionEvent[];
}

interface ZoneState {
  run: number;
  runStartMs: number;
  open: MotionEvent | undefined;
}

export class MotionTracker {
  readonly #s: TrackerSettings;
  readonly #zones = new Map<string | null, ZoneState>();

  constructor(settings: TrackerSettings) {
    this.#s = settings;
  }

  /** True while any zone has an open event. */
  get active(): boolean {
    for (const z of this.#zones.values()) if (z.open) return true;
    return false;
  }

  /** The start of the zone's open event; undefined when none is open. */
  openStart(zone: string | null): number | undefined {
    return this.#zones.get(zone)?.open?.startMs;
  }

  push(v: Verdict): TrackerStep {
    const step: TrackerStep = { started: [], peaked: [], ended: [] };
    const moving = new Map(v.zones.map((z) => [z.zone, z]));
    for (const zone of moving.keys()) if (!this.#zones.has(zone)) this.#zones.set(zone, { run: 0, runStartMs: v.atMs, open: undefined });
    for (const [zone, st] of this.#zones) {
      const motion = moving.get(zone);
      if (motion === undefined) {
        st.run = 0;
        if (st.open && v.atMs - st.open.endMs > this.#s.mergeGapMs) this.#end(st, step);
        continue;
      }
      if (st.open && v.atMs - st.open.startMs >= this.#s.maxEventMs) {
        this.#end(st, step);
        st.run = this.#s.minFrames - 1;
        st.runStartMs = v.atMs;
      }
      const { area, continued } = motion;
      if (st.run === 0) st.runStartMs = v.atMs;
      st.run++;
      if (st.open) {
        st.open.endMs = v.atMs;
        if (area > st.open.peakArea) {
          st.open.peakArea = area;
          st.open.peakAtMs = v.atMs;
          step.peaked.push(zone);
        }
      } else if (st.run >= this.#s.minFrames && v.confirmed && continued) {
        st.open = { zone, startMs: st.runStartMs, endMs: v.atMs, peakArea: area, peakAtMs: v.atMs };
        step.started.push(zone);
        step.peaked.push(zone);
      }
    }
    return step;
  }

  /** Ends every open event now (camera stopped or went away): nothing open is lost. */
  flush(): MotionEvent[] {
    const step: TrackerStep = { started: [], peaked: [], ended: [] };
    for (const st of this.#zones.values()) {
      st.run = 0;
      if (st.open) this.#end(st, step);
    }
    return step.ended;
  }

  #end(st: ZoneState, step: TrackerStep): void {
    step.ended.push(st.open!);
    st.open = undefined;
  }
}
