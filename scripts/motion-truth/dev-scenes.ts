/**
 * The development set: scenes like the evaluation set's (`scenes.ts`), drawn
 * with other noise seeds and with other objects, positions, speeds and
 * contrasts, for working on the detector. The evaluation set is only run to
 * evaluate a change; what a change is tried and chosen on is this set and the
 * synthetic unit tests. Rendered and scored by `scripts/bench/motion-dev.ts`.
 */
import type { Area, Scene } from './scenes.ts';

const rect = (name: string, x0: number, y0: number, x1: number, y1: number): Area => ({
  name,
  points: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
});

const LEFT = rect('left', 0.02, 0.5, 0.4, 0.98);
const RIGHT = rect('right', 0.55, 0.5, 0.98, 0.98);
const STREET = rect('street', 0, 0.16, 1, 0.46);

export const DEV_SCENES: readonly Scene[] = [
  {
    name: 'dev-traffic',
    kind: 'motion',
    description: 'Two cars of about the road\'s brightness cross the street fast, one each way (2 s and 2.6 s), then a person crosses the right zone.',
    seconds: 24,
    zones: [STREET, RIGHT],
    masks: [],
    seed: 101,
    movers: [
      { id: 'car-a', shape: 'car', w: 0.2, h: 0.14, luma: 84, solid: true, path: { keyframes: [{ t: 2, x: -0.21, y: 0.27 }, { t: 4, x: 1.01, y: 0.27 }] } },
      { id: 'car-b', shape: 'car', w: 0.24, h: 0.15, luma: 96, solid: true, path: { keyframes: [{ t: 9, x: 1.01, y: 0.21 }, { t: 11.6, x: -0.25, y: 0.21 }] } },
      { id: 'walker', shape: 'person', w: 0.06, h: 0.3, luma: 60, solid: true, path: { keyframes: [{ t: 15, x: 1.0, y: 0.6 }, { t: 21, x: 0.5, y: 0.62 }, { t: 23, x: 0.4, y: 0.62 }] } },
    ],
  },
  {
    name: 'dev-walk',
    kind: 'motion',
    description: 'A person walks through the left zone; a far, bright person walks along the street.',
    seconds: 24,
    zones: [LEFT, RIGHT, STREET],
    masks: [],
    seed: 102,
    movers: [
      { id: 'near', shape: 'person', w: 0.06, h: 0.3, luma: 200, solid: true, path: { keyframes: [{ t: 1, x: 0.45, y: 0.6 }, { t: 7, x: -0.08, y: 0.62 }] } },
      { id: 'far', shape: 'person', w: 0.025, h: 0.11, luma: 60, solid: true, path: { keyframes: [{ t: 8, x: -0.03, y: 0.3 }, { t: 20, x: 1.0, y: 0.3 }] } },
    ],
  },
  {
    name: 'dev-rain-walk',
    kind: 'motion',
    description: 'Rain, and a person crossing the left zone under it.',
    seconds: 24,
    zones: [LEFT, RIGHT],
    masks: [],
    rain: true,
    seed: 103,
    movers: [{ id: 'walker', shape: 'person', w: 0.06, h: 0.3, luma: 80, solid: true, path: { keyframes: [{ t: 4, x: -0.07, y: 0.6 }, { t: 12, x: 0.4, y: 0.62 }, { t: 14, x: 0.4, y: 0.62 }, { t: 19, x: -0.07, y: 0.6 }] } }],
  },
  { name: 'dev-rain', kind: 'distractor', description: 'Rain only.', seconds: 20, zones: [LEFT, RIGHT], masks: [], movers: [], rain: true, seed: 104 },
  { name: 'dev-rain-2', kind: 'distractor', description: 'Rain only, other drops.', seconds: 20, zones: [LEFT, RIGHT, STREET], masks: [], movers: [], rain: true, seed: 105 },
  { name: 'dev-night-noise', kind: 'distractor', description: 'Night noise only.', seconds: 20, zones: [LEFT, RIGHT], masks: [], movers: [], night: true, seed: 106 },
  {
    name: 'dev-headlights',
    kind: 'distractor',
    description: 'Night; a pool of headlight sweeps across once each way (4 s, 12 s).',
    seconds: 20,
    zones: [LEFT, RIGHT],
    masks: [],
    night: true,
    seed: 107,
    movers: [
      { id: 'beam', shape: 'light', w: 0.45, h: 0.45, luma: 160, solid: false, path: { keyframes: [{ t: 4, x: 1.0, y: 0.5 }, { t: 5.8, x: -0.45, y: 0.45 }, { t: 12, x: -0.45, y: 0.45 }, { t: 13.5, x: 1.0, y: 0.5 }] } },
    ],
  },
  { name: 'dev-shake', kind: 'distractor', description: 'Shake in one long gust.', seconds: 20, zones: [LEFT, RIGHT], masks: [], movers: [], seed: 108, shake: { amplitude: 0.005, hz: 2.5, bursts: [[3, 9]] } },
];
