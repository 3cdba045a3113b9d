/**
 * Zones and masks are polygons in normalised picture coordinates (0..1, x to
 * the right, y down), so one drawing fits the main and the sub stream and any
 * analysis size. The detector works on per-pixel maps rasterised once.
 */
type Point = readonly [number, number];
export type Polygon = readonly Point[];

export interface NamedZone {
  name: string;
  points: Polygon;
}

/** A polygon needs 3..64 points, each inside 0..1; the message says which part is wrong. */
export function polygonProblem(points: unknown): string | undefined {
  if (!Array.isArray(points)) return 'points must be a list of [x, y] pairs';
  if (points.length < 3) return 'a polygon needs at least 3 points';
  if (points.length > 64) return 'a polygon has at most 64 points';
  for (const p of points) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1)) {
      return `point ${JSON.stringify(p)}: each point is [x, y] with x and y between 0 and 1`;
    }
  }
  return undefined;
}

/** Parses "x,y x,y x,y" (the CLI's form) into points; throws a readable error. */
export function parsePoints(text: string): Array<[number, number]> {
  const points = text
    .trim()
    .split(/\s+|;/)
    .filter(Boolean)
    .map((pair) => pair.split(',').map(Number) as [number, number]);
  const problem = polygonProblem(points);
  if (problem) throw new Error(problem);
  return points;
}

/** Even-odd point-in-polygon test. */
function inside(poly: Polygon, x: number, y: number): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** 1 where the pixel's centre lies in any of the polygons. */
export function rasterise(polys: readonly Polygon[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const poly of polys) {
    for (let y = 0; y < height; y++) {
      const ny = (y + 0.5) / height;
      for (let x = 0; x < width; x++) if (inside(poly, (x + 0.5) / width, ny)) out[y * width + x] = 1;
    }
  }
  return out;
}
