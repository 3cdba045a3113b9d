/** The truth model, pure: scenes → intervals, and the scenes themselves obeying the rules the clips need. */
import t from 'tap';
import { positionAt, positionExpr } from './path.ts';
import { SCENES, type Scene } from './scenes.ts';
import { insidePolygon, objectIntervals, shareInZone, zoneIntervals } from './truth.ts';

const scene = (name: string): Scene => SCENES.find((s) => s.name === name)!;
const FPS = 15;

t.test('every scene: valid zones and masks, seamless loop, truth inside the clip', async (t) => {
  const names = new Set<string>();
  for (const s of SCENES) {
    t.notOk(names.has(s.name), `${s.name}: unique name`);
    names.add(s.name);
    t.ok(s.seconds >= 20 && s.seconds <= 40 && (s.seconds * FPS) % (2 * FPS) === 0, `${s.name}: 20..40 s, whole 2-s GOPs`);
    for (const a of [...s.zones, ...s.masks]) {
      t.ok(a.points.length >= 3 && a.points.length <= 64, `${s.name}/${a.name}: 3..64 points`);
      t.ok(a.points.every(([x, y]) => x >= 0 && x <= 1 && y >= 0 && y <= 1), `${s.name}/${a.name}: points in 0..1`);
      t.match(a.name, /^[\p{L}\p{N}_.-]([\p{L}\p{N}_ .-]{0,30}[\p{L}\p{N}_.-])?$/u, `${s.name}/${a.name}: a name the config accepts`);
    }
    t.ok(s.zones.length > 0, `${s.name}: at least one zone to grade`);
    for (const m of s.movers) {
      // Off the picture (or back where it began) at both ends: the loop shows no jump.
      const a = positionAt(m.path, 0);
      const b = positionAt(m.path, s.seconds);
      const offscreen = (p: { x: number; y: number }) => p.x + m.w <= 0 || p.x >= 1 || p.y + m.h <= 0 || p.y >= 1;
      t.ok((offscreen(a) && offscreen(b)) || (Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6), `${s.name}/${m.id}: loops without a jump`);
    }
    for (const iv of zoneIntervals(s, FPS)) {
      t.ok(iv.start >= 0 && iv.end <= s.seconds && iv.end > iv.start, `${s.name}/${iv.zone}: ${iv.start}..${iv.end} inside the clip`);
    }
    if (s.kind === 'distractor') t.same(zoneIntervals(s, FPS), [], `${s.name}: a distractor has no true motion`);
    else t.ok(zoneIntervals(s, FPS).length > 0, `${s.name}: a motion clip has true motion`);
  }
});

t.test('a person who stops in a zone makes two intervals there: motion, not presence, is the truth', async (t) => {
  const gate = zoneIntervals(scene('walk-zones'), FPS).filter((iv) => iv.zone === 'gate');
  t.equal(gate.length, 2);
  // The walker stands still from 6 s to 8 s.
  t.ok(gate[0]!.end <= 6.1 && gate[1]!.start >= 8, JSON.stringify(gate));
});

t.test('truth is per zone: the far walker only counts on the road, the near one never does', async (t) => {
  const objs = objectIntervals(scene('walk-zones'), FPS);
  t.same([...new Set(objs.filter((o) => o.object === 'far-walker').map((o) => o.zone))], ['road']);
  t.notOk(objs.some((o) => o.object === 'near-walker' && o.zone === 'road'));
});

t.test('leaves inside a mask make no truth; the same leaves unmasked would', async (t) => {
  const leaves = scene('leaves');
  t.same(zoneIntervals(leaves, FPS), []);
  const tree = leaves.masks[0]!;
  const unmasked: Scene = { ...leaves, zones: [{ name: 'top', points: tree.points }], masks: [] };
  t.same(zoneIntervals(unmasked, FPS), [{ zone: 'top', start: 0, end: 20, objects: ['tree-top'] }]);
});

t.test('light is not an object: headlights sweeping a zone make no truth', async (t) => {
  const h = scene('headlights');
  const beam = h.movers[0]!;
  const most = Math.max(...Array.from({ length: h.seconds * FPS }, (_, n) => Math.max(...h.zones.map((z) => shareInZone(beam, z, [], n / FPS)))));
  t.ok(most > 0.5, `the beam does cross the zones (at most ${most.toFixed(2)} of it in one)`);
  t.same(zoneIntervals(h, FPS), []);
});

t.test('intervals sit on frame boundaries and do not depend on the picture size', async (t) => {
  for (const iv of objectIntervals(scene('speeds'), FPS)) {
    t.ok(Math.abs(iv.start * FPS - Math.round(iv.start * FPS)) < 0.02, `${iv.object} start ${iv.start} on a frame`);
    t.ok(Math.abs(iv.end * FPS - Math.round(iv.end * FPS)) < 0.02, `${iv.object} end ${iv.end} on a frame`);
  }
});

t.test('an object crossing the loop boundary is in motion on the first frame (it moved since the last one)', async (t) => {
  const s: Scene = {
    ...scene('leaves'),
    zones: [{ name: 'all', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }],
    masks: [],
  };
  const ivs = zoneIntervals(s, FPS);
  t.equal(ivs[0]!.start, 0);
  t.equal(ivs[0]!.end, s.seconds);
});

t.test('point in polygon: a concave polygon', async (t) => {
  const l: Array<[number, number]> = [[0, 0], [0.5, 0], [0.5, 0.5], [1, 0.5], [1, 1], [0, 1]];
  t.ok(insidePolygon(l, 0.25, 0.25));
  t.notOk(insidePolygon(l, 0.75, 0.25));
  t.ok(insidePolygon(l, 0.75, 0.75));
});

t.test('the ffmpeg expression is the same function as positionAt', async (t) => {
  // Evaluate the expression ffmpeg gets with JavaScript's own math: if(), lt(), lte(), sin(), PI.
  const evalExpr = (expr: string, time: number): number => {
    const js = expr
      .replaceAll('\\,', ',')
      .replaceAll('PI', 'Math.PI')
      .replaceAll('sin(', 'Math.sin(')
      .replace(/\bt\b/g, String(time));
    const fns = { if: (c: number, a: number, b: number) => (c ? a : b), lt: (a: number, b: number) => (a < b ? 1 : 0), lte: (a: number, b: number) => (a <= b ? 1 : 0) };
    return new Function('f', `return ${js.replace(/\b(if|lt|lte)\(/g, 'f.$1(')}`)(fns) as number;
  };
  for (const s of SCENES) {
    for (const m of s.movers) {
      for (let n = 0; n < s.seconds * FPS; n += 7) {
        const time = n / FPS;
        const p = positionAt(m.path, time);
        t.ok(Math.abs(evalExpr(positionExpr(m.path, 'x', 640, 3), time) - (3 + 640 * p.x)) < 1e-3, `${s.name}/${m.id} x at ${time.toFixed(2)}`);
        t.ok(Math.abs(evalExpr(positionExpr(m.path, 'y', 360), time) - 360 * p.y) < 1e-3, `${s.name}/${m.id} y at ${time.toFixed(2)}`);
      }
    }
  }
});
