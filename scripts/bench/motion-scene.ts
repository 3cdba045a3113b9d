// The simulated cameras the motion benches watch, built in one place so that CPU, quality and
// latency are measured on the same scenes.
// - `truth`: camera i plays ground-truth clip i mod n as is (motion-ground-truth.md), with the
//   clip's zones and masks in its config;
// - `crossing`: a box crosses for 6 s of every 20 (appearing on a key frame);
// - `still`: nothing moves (what most village cameras see most of the time).
import { startCamsim, type Camsim } from '../camsim/camsim.ts';
import { motionClip } from '@cunbox/test-support/motion-clips';
import type { GroundTruthClip } from '../motion-truth/ground-truth.ts';

export type MotionSceneClip = 'truth' | 'crossing' | 'still';

export function parseSceneClip(value: string | undefined, allowed: readonly MotionSceneClip[]): MotionSceneClip {
  const clip = allowed.find((c) => c === value);
  if (!clip) throw new Error(`--clip must be ${allowed.join(', ')}`);
  return clip;
}

export interface MotionScene {
  sim: Camsim;
  /** The YAML lines camera i adds to its config (zones and masks of its truth clip). */
  cameraLines: (i: number) => string[];
}

/** Starts `cameras` simulated cameras playing the scene; `truthClips` is needed for `truth`. */
export async function startMotionScene(clip: MotionSceneClip, cameras: number, truthClips: GroundTruthClip[] = []): Promise<MotionScene> {
  if (clip === 'truth') {
    if (!truthClips.length) throw new Error('the truth scene needs the ground-truth clips');
    const sim = await startCamsim({ cameras, clips: truthClips.map((c) => `asis:${c.path}`) });
    // Flow-style YAML is JSON.
    const cameraLines = (i: number) => {
      const t = truthClips[i % truthClips.length]!.truth;
      return [`    motion: ${JSON.stringify({ zones: t.zones, masks: t.masks })}`];
    };
    return { sim, cameraLines };
  }
  const sim = await startCamsim({ cameras, clips: [`file:${await motionClip(clip)}`] });
  return { sim, cameraLines: () => [] };
}
