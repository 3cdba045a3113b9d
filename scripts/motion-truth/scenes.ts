/**
 * The ground-truth scenarios: what each clip shows, in normalised picture
 * coordinates and seconds. Pure data; `graph.ts` draws a scene, `truth.ts`
 * says when something truly moved in which zone. See
 * docs/design/motion-ground-truth.md for why each one is here.
 *
 * Every clip loops on the simulator, so each is built to loop without a seam:
 * objects start and end off the picture, light ramps return to where they
 * began, sways complete whole periods.
 */
import type { Path } from './path.ts';

/** A zone or mask exactly as the camera config takes it: a name and 3..64 points [x, y] in 0..1. */
export interface Area {
  name: string;
  points: Array<[number, number]>;
}

export type Shape = 'person' | 'car' | 'leaves' | 'light';

export interface Mover {
  id: string;
  shape: Shape;
  /** Size, normalised to the picture's width and height. */
  w: number;
  h: number;
  /** 0..255 brightness of the object (for `light`, the peak added light). */
  luma: number;
  path: Path;
  /**
   * Whether its moving counts as motion. Leaves do (they really move; a mask
   * must hide them); a patch of light from headlights does not: nothing is
   * there.
   */
  solid: boolean;
}

export type Light =
  /** Brightness goes low → high → low over the clip (dusk, clouds): slow, and seamless at the loop. */
  | { kind: 'ramp'; low: number; high: number }
  /** A lamp switched on at `on` and off at `off`: a sudden step of `delta` brightness. */
  | { kind: 'switch'; on: number; off: number; delta: number }
  /** The camera's IR cut-filter switch: colour until `at`, then grey and brighter (IR lamps); back to colour as the clip loops. */
  | { kind: 'ir'; at: number };

export interface Scene {
  name: string;
  kind: 'motion' | 'distractor';
  /** One line for people reading the truth file. */
  description: string;
  seconds: number;
  zones: Area[];
  masks: Area[];
  movers: Mover[];
  light?: Light;
  /** Dark, grey (IR) and heavily noisy: a camera at night. */
  night?: boolean;
  /** Falling rain streaks over the whole picture. */
  rain?: boolean;
  /** The whole picture shifts by up to `amplitude` (of the width) during the bursts [start, end] seconds: a pole in the wind. */
  shake?: { amplitude: number; hz: number; bursts: Array<[number, number]> };
  /**
   * Seed of every noise the drawing uses (background grain, rain, sensor noise).
   * Unset: ffmpeg's default seeds, as the evaluation set is drawn. The
   * development set (`dev-scenes.ts`) sets it, so its grain, rain and noise are
   * other pixels than the evaluation set's.
   */
  seed?: number;
}

const rect = (name: string, x0: number, y0: number, x1: number, y1: number): Area => ({
  name,
  points: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
});

/** Lower left and lower right: where people walk up to a door or a gate. */
const GATE = rect('gate', 0.04, 0.45, 0.36, 0.97);
const YARD = rect('yard', 0.62, 0.45, 0.96, 0.97);
/** The far road across the upper part of the picture. */
const ROAD = rect('road', 0, 0.18, 1, 0.44);
/** A trapezoid, as zones drawn along a path in perspective are. */
const PATH_ZONE: Area = { name: 'path', points: [[0.3, 0.5], [0.7, 0.5], [0.98, 0.97], [0.02, 0.97]] };

const person = (id: string, luma: number, keyframes: Path['keyframes'], near = true): Mover => ({
  id,
  shape: 'person',
  w: near ? 0.06 : 0.025,
  h: near ? 0.3 : 0.11,
  luma,
  path: { keyframes },
  solid: true,
});

export const SCENES: readonly Scene[] = [
  {
    name: 'walk-zones',
    kind: 'motion',
    description: 'A person walks in through the gate zone, stops 2 s, crosses to the yard zone and leaves; a far person walks along the road.',
    seconds: 24,
    zones: [GATE, YARD, ROAD],
    masks: [],
    movers: [
      person('near-walker', 55, [
        { t: 2, x: -0.08, y: 0.55 },
        { t: 6, x: 0.18, y: 0.58 },
        { t: 8, x: 0.18, y: 0.58 },
        { t: 15, x: 0.78, y: 0.6 },
        { t: 18, x: 1.02, y: 0.6 },
      ]),
      person('far-walker', 200, [
        { t: 9, x: 1.0, y: 0.24 },
        { t: 21, x: -0.03, y: 0.24 },
      ], false),
    ],
  },
  {
    name: 'speeds',
    kind: 'motion',
    description: 'A car speeds along the road, a cyclist follows the other way, and a person dawdles into the yard at about 12 px/s (of 640) and walks back out.',
    seconds: 24,
    zones: [ROAD, YARD],
    masks: [],
    movers: [
      { id: 'car', shape: 'car', w: 0.22, h: 0.16, luma: 90, solid: true, path: { keyframes: [{ t: 3, x: -0.23, y: 0.24 }, { t: 5.5, x: 1.01, y: 0.24 }] } },
      { id: 'cyclist', shape: 'person', w: 0.07, h: 0.13, luma: 180, solid: true, path: { keyframes: [{ t: 9, x: 1.0, y: 0.28 }, { t: 13, x: -0.08, y: 0.28 }] } },
      person('dawdler', 170, [
        { t: 6, x: 1.0, y: 0.62 },
        { t: 8, x: 0.9, y: 0.62 },
        { t: 20, x: 0.66, y: 0.62 },
        { t: 23.5, x: 1.01, y: 0.62 },
      ]),
    ],
  },
  {
    name: 'night-walk',
    kind: 'motion',
    description: 'Night under IR: dark, grey and noisy; a person walks into the path zone, comes closer and leaves to the right.',
    seconds: 24,
    zones: [PATH_ZONE],
    masks: [],
    night: true,
    movers: [
      person('night-walker', 150, [
        { t: 3, x: -0.07, y: 0.6 },
        { t: 9, x: 0.45, y: 0.62 },
        { t: 12, x: 0.45, y: 0.72 },
        { t: 18, x: 1.01, y: 0.7 },
      ]),
    ],
  },
  {
    name: 'rain-walk',
    kind: 'motion',
    description: 'Rain all over the picture, and a person crosses the yard zone under it.',
    seconds: 24,
    zones: [GATE, YARD],
    masks: [],
    rain: true,
    movers: [
      person('rain-walker', 70, [
        { t: 6, x: 1.0, y: 0.56 },
        { t: 12, x: 0.6, y: 0.58 },
        { t: 16, x: 0.6, y: 0.7 },
        { t: 20, x: 1.01, y: 0.7 },
      ]),
    ],
  },
  {
    name: 'light-ramp',
    kind: 'distractor',
    description: 'Nothing moves; the light falls and rises again (dusk, passing clouds), slowly.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    light: { kind: 'ramp', low: -0.25, high: 0.15 },
  },
  {
    name: 'light-switch',
    kind: 'distractor',
    description: 'Nothing moves; a lamp lights the scene from 6 s to 14 s (two sudden steps).',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    light: { kind: 'switch', on: 6, off: 14, delta: 0.22 },
  },
  {
    name: 'ir-switch',
    kind: 'distractor',
    description: 'Nothing moves; at 10 s the camera switches to IR (grey, brighter) and back to colour as the clip loops.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    light: { kind: 'ir', at: 10 },
  },
  {
    name: 'rain',
    kind: 'distractor',
    description: 'Nothing moves but falling rain streaks all over the picture.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    rain: true,
  },
  {
    name: 'leaves',
    kind: 'distractor',
    description: 'A tree top sways in the corner, inside a mask; nothing moves in the zones.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [rect('tree', 0.7, 0, 1, 0.34)],
    movers: [
      {
        id: 'tree-top',
        shape: 'leaves',
        w: 0.2,
        h: 0.24,
        luma: 80,
        solid: true,
        path: { keyframes: [{ t: 0, x: 0.76, y: 0.04 }], sway: { ax: 0.012, ay: 0.006, hz: 0.5 } },
      },
    ],
  },
  {
    name: 'shake',
    kind: 'distractor',
    description: 'Nothing moves; the whole picture shakes by a few pixels in two gusts of wind (4–8 s, 13–16 s).',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    shake: { amplitude: 0.006, hz: 3, bursts: [[4, 8], [13, 16]] },
  },
  {
    name: 'night-noise',
    kind: 'distractor',
    description: 'Nothing moves; night under IR: dark, grey, heavy sensor noise.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    movers: [],
    night: true,
  },
  {
    name: 'headlights',
    kind: 'distractor',
    description: 'Night; the headlights of a car outside the picture sweep across the yard and back (5 s, 13 s). Light moves, nothing is there.',
    seconds: 20,
    zones: [GATE, YARD],
    masks: [],
    night: true,
    movers: [
      {
        id: 'headlight-beam',
        shape: 'light',
        w: 0.5,
        h: 0.5,
        luma: 170,
        solid: false,
        path: { keyframes: [{ t: 5, x: -0.5, y: 0.4 }, { t: 6.5, x: 1.0, y: 0.45 }, { t: 13, x: 1.0, y: 0.45 }, { t: 14.5, x: -0.5, y: 0.4 }] },
      },
    ],
  },
];

/** The smallest set covering both kinds, for tests: one motion clip and one distractor. */
export const SMOKE_SCENES = ['walk-zones', 'light-switch'] as const;
