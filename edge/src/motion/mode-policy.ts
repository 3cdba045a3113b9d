import type { MotionMode } from './args.ts';
import type { Verdict } from './detector.ts';

/**
 * When a camera's motion feed switches between key frames only (`still`) and
 * a few frames a second (`active`). Pure: frame times in, the wanted mode out;
 * the feed (camera-motion.ts) and the offline benchmark model
 * (scripts/bench/motion-quality.ts) both follow it, so the benchmark measures
 * what runs.
 *
 * Active mode decodes every frame: ~4× a still feed's CPU. So it lasts only
 * while there is motion to confirm or follow:
 * - still → active on any motion in a key frame: a look a fraction of a
 *   second later confirms it (or not) and opens the event;
 * - active → still `holdMs` after the last confirmed motion, even with an
 *   event open: key frames keep extending it (a key frame with motion
 *   switches back), and it ends at its last motion after the merge gap;
 * - a switch that confirmed nothing (a chance cluster of rain or noise in a
 *   key frame) goes back after `probeMs`, and the next key-frame motion is
 *   followed only after a pause that doubles with each such refuted look, up
 *   to `maxPauseMs`: in heavy rain a camera otherwise restarts ffmpeg every
 *   few seconds, and each start costs more CPU than seconds of still decoding.
 *   Confirmed motion clears the pause.
 */
export interface ModePolicySettings {
  holdMs: number;
  probeMs: number;
  pauseMs: number;
  maxPauseMs: number;
}

export const defaultModePolicySettings: ModePolicySettings = { holdMs: 10_000, probeMs: 1_000, pauseMs: 2_000, maxPauseMs: 8_000 };

export class ModePolicy {
  readonly #s: ModePolicySettings;
  /** First frame of the current active stint (undefined before it arrived). */
  #activeFrom: number | undefined;
  #confirmedAt = -Infinity;
  #confirmedInStint = false;
  #refuted = 0;
  #pausedUntil = -Infinity;

  constructor(settings: ModePolicySettings) {
    this.#s = settings;
  }

  /** The mode the feed should be in after this frame, analysed in `mode`. */
  next(mode: MotionMode, verdict: Verdict): MotionMode {
    const now = verdict.atMs;
    const moving = verdict.zones.length > 0;
    if (mode === 'still') {
      this.#activeFrom = undefined;
      if (!moving || now < this.#pausedUntil) return 'still';
      this.#confirmedInStint = false;
      return 'active';
    }
    this.#activeFrom ??= now;
    if (moving && verdict.confirmed) {
      this.#confirmedAt = now;
      this.#confirmedInStint = true;
      this.#refuted = 0;
      this.#pausedUntil = -Infinity;
    }
    if (this.#confirmedInStint) return now - this.#confirmedAt >= this.#s.holdMs ? 'still' : 'active';
    if (now - this.#activeFrom < this.#s.probeMs) return 'active';
    this.#refuted++;
    this.#pausedUntil = now + Math.min(this.#s.maxPauseMs, this.#s.pauseMs * 2 ** (this.#refuted - 1));
    return 'still';
  }
}
