/**
 * When something truly moved in which zone, computed from the scene itself
 * (the same paths the picture is drawn from). Pure.
 *
 * Rule: at frame n (time n/fps) an object counts in a zone when it is solid,
 * it moves (its position differs from the previous or the next frame's; a
 * sway's two frames either side of its turning point are equal, and that is no
 * stop), and at least `MIN_SHARE` of its area lies
 * inside the zone and outside every mask (what a detector is allowed to see).
 * Runs of such frames become intervals [first frame, last frame + 1 frame);
 * overlapping intervals of several objects in one zone are joined, since a
 * detector sees one stretch of motion there.
 */
import { positionAt } from './path.ts';
import type { Area, Mover, Scene } from './scenes.ts';

/** Share of an object's area that must lie in a zone for its motion to count there. */
export const MIN_SHARE = 0.2;
const GRID = 12;

export interface ObjectInterval {
  zone: string;
  object: string;
  /** Seconds from the clip's first frame. */
  start: number;
  end: number;
}

export interface ZoneInterval {
  zone: string;
  start: number;
  end: number;
  objects: string[];
}

/** Even-odd test; points on the picture's normalised plane. */
export function insidePolygon(points: Area['points'], x: number, y: number): boolean {
  let hit = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** Sample points covering the object's shape (an ellipse for people and leaves, its box for a car), at its position. */
function samples(m: Mover, x0: number, y0: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const round = m.shape !== 'car';
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      const u = (i + 0.5) / GRID;
      const v = (j + 0.5) / GRID;
      if (round && (u - 0.5) ** 2 + (v - 0.5) ** 2 > 0.25) continue;
      out.push([x0 + u * m.w, y0 + v * m.h]);
    }
  }
  return out;
}

/** Share of the object's area in the zone and outside the masks at time t. */
export function shareInZone(m: Mover, zone: Area, masks: readonly Area[], t: number): number {
  const { x, y } = positionAt(m.path, t);
  const pts = samples(m, x, y);
  let n = 0;
  for (const [px, py] of pts) {
    if (px < 0 || px > 1 || py < 0 || py > 1) continue;
    if (!insidePolygon(zone.points, px, py)) continue;
    if (masks.some((mask) => insidePolygon(mask.points, px, py))) continue;
    n++;
  }
  return pts.length ? n / pts.length : 0;
}

const differ = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.abs(a.x - b.x) > 1e-9 || Math.abs(a.y - b.y) > 1e-9;
const frameTime = (n: number, fps: number) => Math.round((n / fps) * 1000) / 1000;

export function objectIntervals(scene: Scene, fps: number): ObjectInterval[] {
  const frames = Math.round(scene.seconds * fps);
  const out: ObjectInterval[] = [];
  for (const m of scene.movers) {
    if (!m.solid) continue;
    for (const zone of scene.zones) {
      let start: number | undefined;
      for (let n = 0; n <= frames; n++) {
        let counts = false;
        if (n < frames) {
          const t = n / fps;
          // Frames wrap: the clip loops, so frame 0 follows the last one.
          const at = (k: number) => positionAt(m.path, (((k % frames) + frames) % frames) / fps);
          counts = (differ(at(n - 1), at(n)) || differ(at(n), at(n + 1))) && shareInZone(m, zone, scene.masks, t) >= MIN_SHARE;
        }
        if (counts && start === undefined) start = n;
        if (!counts && start !== undefined) {
          out.push({ zone: zone.name, object: m.id, start: frameTime(start, fps), end: frameTime(n, fps) });
          start = undefined;
        }
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || a.zone.localeCompare(b.zone));
}

/** Per zone, the union of every object's intervals. */
export function zoneIntervals(scene: Scene, fps: number): ZoneInterval[] {
  const out: ZoneInterval[] = [];
  for (const zone of scene.zones) {
    const mine = objectIntervals(scene, fps).filter((iv) => iv.zone === zone.name);
    let cur: ZoneInterval | undefined;
    for (const iv of mine) {
      if (cur && iv.start <= cur.end) {
        cur.end = Math.max(cur.end, iv.end);
        if (!cur.objects.includes(iv.object)) cur.objects.push(iv.object);
      } else {
        if (cur) out.push(cur);
        cur = { zone: iv.zone, start: iv.start, end: iv.end, objects: [iv.object] };
      }
    }
    if (cur) out.push(cur);
  }
  return out.sort((a, b) => a.start - b.start || a.zone.localeCompare(b.zone));
}
