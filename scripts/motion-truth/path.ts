/**
 * Where a moving object is at time t. The same keyframes give the position the
 * truth is computed from (`positionAt`) and the ffmpeg expression that draws
 * the object (`positionExpr`), so the picture and the truth cannot disagree.
 * Coordinates are normalised (0..1 of the picture, x right, y down): one scene
 * renders at any size with the same truth.
 */

/** The object's top-left corner at time `t` (seconds); linear in between. */
export interface Keyframe {
  t: number;
  x: number;
  y: number;
}

/** A periodic wobble added to the path (leaves in the wind): amplitude in picture units, frequency in Hz. */
export interface Sway {
  ax: number;
  ay: number;
  hz: number;
}

export interface Path {
  keyframes: readonly Keyframe[];
  sway?: Sway;
}

function linear(frames: readonly Keyframe[], axis: 'x' | 'y', t: number): number {
  const first = frames[0]!;
  if (t <= first.t) return first[axis];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    if (t < b.t) return a[axis] + ((b[axis] - a[axis]) * (t - a.t)) / (b.t - a.t);
  }
  return frames[frames.length - 1]![axis];
}

export function positionAt(path: Path, t: number): { x: number; y: number } {
  const s = path.sway;
  const wobble = s ? Math.sin(2 * Math.PI * s.hz * t) : 0;
  return {
    x: linear(path.keyframes, 'x', t) + (s ? s.ax * wobble : 0),
    y: linear(path.keyframes, 'y', t) + (s ? s.ay * wobble : 0),
  };
}

/** A number for an expression; negative ones in brackets, so `a-b` never reads `a--b`. */
const num = (v: number) => (v < 0 ? `(${Number(v.toFixed(6))})` : String(Number(v.toFixed(6))));

/**
 * The same position as an ffmpeg expression of `t`, in pixels of a picture
 * `size` wide (or high) plus `offset` pixels (the shake margin). Written for
 * overlay's x/y with eval=frame; commas are escaped for a filtergraph.
 */
export function positionExpr(path: Path, axis: 'x' | 'y', size: number, offset = 0): string {
  const frames = path.keyframes;
  let expr = num(frames[frames.length - 1]![axis]);
  for (let i = frames.length - 1; i >= 1; i--) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    // Written as a + (b − a)(t − ta)/(tb − ta) from the keyframes' own numbers: a rounded slope would drift.
    expr = `if(lt(t,${num(b.t)}),${num(a[axis])}+(${num(b[axis])}-${num(a[axis])})*(t-${num(a.t)})/(${num(b.t)}-${num(a.t)}),${expr})`;
  }
  expr = `if(lte(t,${num(frames[0]!.t)}),${num(frames[0]![axis])},${expr})`;
  const s = path.sway;
  const amp = s ? (axis === 'x' ? s.ax : s.ay) : 0;
  if (s && amp !== 0) expr = `${expr}+${num(amp)}*sin(2*PI*${num(s.hz)}*t)`;
  return `${offset}+${size}*(${expr})`.replaceAll(',', '\\,');
}
