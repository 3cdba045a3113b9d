import t from 'tap';
import { MotionDetector, defaultDetectorSettings, thresholdFor, type DetectorSettings, type Verdict } from '../src/motion/detector.ts';
import { MotionTracker, defaultTrackerSettings, type MotionEvent } from '../src/motion/tracker.ts';
import { parsePoints, polygonProblem, rasterise } from '../src/motion/geometry.ts';

const W = 160;
const H = 90;

/** Deterministic pseudo-random numbers, so a failing frame can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A textured scene (fixed pattern) with sensor noise, brightness `gain`, and optional boxes. */
function scene(random: () => number, opts: { gain?: number; noise?: number; boxes?: Array<{ x: number; y: number; w: number; h: number; v: number }>; flat?: number } = {}): Uint8Array {
  const f = new Uint8Array(W * H);
  const gain = opts.gain ?? 1;
  const noise = opts.noise ?? 3;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const texture = opts.flat ?? 90 + 40 * Math.sin(x / 5) * Math.cos(y / 7) + ((x * 7 + y * 13) % 17);
      f[y * W + x] = clamp(texture * gain + (random() - 0.5) * 2 * noise);
    }
  for (const b of opts.boxes ?? []) for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) if (x >= 0 && x < W && y >= 0 && y < H) f[y * W + x] = b.v;
  return f;
}
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function detector(over: Partial<DetectorSettings> = {}) {
  return new MotionDetector({ width: W, height: H, zones: [], masks: [], ...defaultDetectorSettings, ...over });
}

/** Runs `frames` at 5 fps from t=0; returns the verdicts. */
function run(d: MotionDetector, frames: Uint8Array[], stepMs = 200): Verdict[] {
  return frames.map((f, i) => d.process(f, i * stepMs));
}

const still = (n: number, seed = 1, opts = {}) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => scene(r, opts));
};

t.test('a still, noisy, textured scene is never motion', async (t) => {
  const v = run(detector(), still(100));
  t.equal(v.filter((x) => x.zones.length > 0).length, 0);
});

t.test('a flat scene: the capped gain keeps its noise from becoming motion', async (t) => {
  // Uncapped, a scene spanning 6 gray levels is stretched ×40 and its noise fills the picture.
  const flat = still(60, 2, { flat: 40, noise: 3 });
  const capped = run(detector(), flat);
  t.equal(capped.filter((x) => x.zones.length > 0).length, 0, 'no motion with the cap');
  t.ok(capped.every((x) => x.changed < 0.01), 'almost nothing above the threshold');
  const uncapped = run(detector({ maxGain: 1000 }), still(60, 2, { flat: 40, noise: 3 }));
  t.ok(uncapped.some((x) => x.changed > 0.2 || x.recalibrated), 'the uncapped stretch turns noise into change (why the cap exists)');
});

t.test('a box moving across the picture is motion, in the zone it crosses', async (t) => {
  const r = rng(3);
  const frames = [...still(20, 3)];
  for (let i = 0; i < 30; i++) frames.push(scene(r, { boxes: [{ x: 10 + i * 4, y: 50, w: 10, h: 20, v: 250 }] }));
  const d = detector({ zones: [{ name: 'door', points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }, { name: 'sky', points: [[0, 0], [1, 0], [1, 0.3], [0, 0.3]] }] });
  const v = run(d, frames);
  const moving = v.slice(20).filter((x) => x.zones.length > 0);
  t.ok(moving.length >= 25, `box seen in most frames (${moving.length}/30)`);
  t.ok(moving.every((x) => x.zones.every((z) => z.zone === 'door')), 'only the door zone moves');
  t.ok(moving.every((x) => x.zones[0]!.area > 0.005 && x.zones[0]!.area < 0.05), 'area about the box (two positions)');
});

t.test('a camera without zones reports the whole picture as zone null', async (t) => {
  const r = rng(4);
  // Two frames: at 5 fps a blob counts once it was there in the previous frame too.
  const frames = [...still(10, 4), ...[0, 1].map(() => scene(r, { boxes: [{ x: 60, y: 30, w: 12, h: 12, v: 255 }] }))];
  const last = run(detector(), frames).at(-1)!;
  t.same(last.zones.map((z) => z.zone), [null]);
});

t.test('motion inside a mask is ignored; the same motion outside it is not', async (t) => {
  const r = rng(5);
  const frames = [...still(10, 5)];
  for (let i = 0; i < 10; i++) frames.push(scene(r, { boxes: [{ x: 100 + (i % 3) * 5, y: 10, w: 15, h: 15, v: 250 }] }));
  const masked = run(detector({ masks: [[[0.55, 0], [1, 0], [1, 0.5], [0.55, 0.5]]] }), frames);
  t.equal(masked.filter((x) => x.zones.length > 0).length, 0, 'masked: none');
  const open = run(detector(), frames);
  t.ok(open.filter((x) => x.zones.length > 0).length >= 8, 'unmasked: seen');
});

t.test('blobs smaller than the minimum area are ignored', async (t) => {
  const r = rng(6);
  const frames = [...still(10, 6)];
  for (let i = 0; i < 10; i++) frames.push(scene(r, { boxes: [{ x: 40 + i * 3, y: 40, w: 3, h: 3, v: 255 }] }));
  t.equal(run(detector({ minArea: 0.005 }), frames).filter((x) => x.zones.length > 0).length, 0);
});

t.test('a light switch (whole picture brighter at once) recalibrates and reports no motion', async (t) => {
  const r = rng(7);
  const frames = [...still(20, 7)];
  for (let i = 0; i < 20; i++) frames.push(scene(r, { gain: 1.8 }));
  for (let i = 0; i < 20; i++) frames.push(scene(r, { gain: 0.4 }));
  const v = run(detector(), frames);
  t.equal(v.filter((x) => x.zones.length > 0).length, 0);
});

t.test('headlights sweeping most of the picture recalibrate instead of being motion', async (t) => {
  const r = rng(8);
  const frames = [...still(10, 8)];
  // 85 % of the picture flooded white, a textured strip left.
  frames.push(scene(r, { boxes: [{ x: 0, y: 0, w: 160, h: 77, v: 255 }] }));
  const v = run(detector(), frames);
  t.ok(v.at(-1)!.recalibrated);
  t.same(v.at(-1)!.zones, []);
});

t.test('a pixel area that flickers all the time (leaves) stops counting; a person crossing later still counts', async (t) => {
  const r = rng(9);
  const d = detector({ flickerSeconds: 30 });
  const frames: Uint8Array[] = [...still(10, 9)];
  // 3 minutes at 1 fps of leaves: a patch that toggles on most frames.
  for (let i = 0; i < 180; i++) frames.push(scene(r, { boxes: r() < 0.6 ? [{ x: 120, y: 5, w: 20, h: 20, v: r() < 0.5 ? 250 : 10 }] : [] }));
  const v = frames.map((f, i) => d.process(f, i * 1000));
  const unsuppressed = detector({ flickerLimit: 2 });
  const u = frames.map((f, i) => unsuppressed.process(f, i * 1000));
  t.ok(u.slice(150).filter((x) => x.zones.length > 0).length > 5, 'without the flicker map the leaves keep counting');
  const early = v.slice(10, 40).filter((x) => x.zones.length > 0).length;
  const late = v.slice(150).filter((x) => x.zones.length > 0).length;
  t.ok(early > 5, `leaves count at first (${early}/30)`);
  t.equal(late, 0, 'after the flicker map has learnt them, the leaves are ignored');
  const person = d.process(scene(r, { boxes: [{ x: 30, y: 40, w: 10, h: 25, v: 250 }] }), 191_000);
  t.same(person.zones.map((z) => z.zone), [null], `motion elsewhere is still seen ${JSON.stringify(person)}`);
});

t.test('a gap of over a minute between frames starts the background over', async (t) => {
  const r = rng(10);
  const d = detector();
  for (let i = 0; i < 5; i++) d.process(scene(r), i * 1000);
  const v = d.process(scene(r, { boxes: [{ x: 60, y: 30, w: 30, h: 30, v: 255 }] }), 5000 + 120_000);
  t.ok(v.recalibrated);
});

t.test('a frame of the wrong size is refused', async (t) => {
  t.throws(() => detector().process(new Uint8Array(10), 0), /expected 14400/);
});

t.test('sensitivity maps onto the threshold', async (t) => {
  t.equal(thresholdFor(50), 30);
  t.ok(thresholdFor(90) < thresholdFor(10));
  t.equal(thresholdFor(100), 5);
});

t.test('polygons: validation, parsing and rasterising', async (t) => {
  t.match(polygonProblem([[0, 0], [1, 1]]), /at least 3/);
  t.match(polygonProblem([[0, 0], [1, 1], [2, 0]]), /between 0 and 1/);
  t.same(parsePoints('0,0 1,0 1,1'), [[0, 0], [1, 0], [1, 1]]);
  t.throws(() => parsePoints('0,0 1,x 1,1'));
  const m = rasterise([[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]], 10, 2);
  t.same([...m], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
});

/** A verdict; its zones are continued (rule 13) when it is confirmed, unless `continued` says otherwise. */
const verdict = (atMs: number, zones: Array<[string | null, number]>, confirmed = true, continued = confirmed): Verdict => ({
  atMs,
  changed: 0,
  recalibrated: false,
  zones: zones.map(([zone, area]) => ({ zone, area, continued })),
  confirmed,
});

t.test('tracker: one stray frame opens nothing; persistence opens an event at its first frame', async (t) => {
  const tr = new MotionTracker(defaultTrackerSettings);
  t.same(tr.push(verdict(0, [['door', 0.01]])).started, []);
  t.same(tr.push(verdict(200, [])).started, []);
  t.same(tr.flush(), [], 'a single frame is no event');
  tr.push(verdict(1000, [['door', 0.01]]));
  const s = tr.push(verdict(1200, [['door', 0.02]]));
  t.same(s.started, ['door']);
  t.ok(tr.active);
  const [e] = tr.flush();
  t.match(e, { zone: 'door', startMs: 1000, endMs: 1200, peakArea: 0.02, peakAtMs: 1200 });
});

t.test('tracker: short gaps merge, a long gap ends the event at its last motion', async (t) => {
  const tr = new MotionTracker({ ...defaultTrackerSettings, mergeGapMs: 5000 });
  const ended = [];
  let at = 0;
  for (const moving of [1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]) {
    ended.push(...tr.push(verdict(at, moving ? [['door', 0.01 + at / 1e6]] : [])).ended);
    at += 1000;
  }
  t.equal(ended.length, 1);
  t.match(ended[0], { zone: 'door', startMs: 0, endMs: 7000, peakAtMs: 7000 });
});

t.test('tracker: zones are independent, and a never-ending motion is cut into bounded events', async (t) => {
  const tr = new MotionTracker({ minFrames: 1, mergeGapMs: 1000, maxEventMs: 10_000 });
  const ended = [];
  for (let at = 0; at <= 25_000; at += 1000) ended.push(...tr.push(verdict(at, [['flag', 0.01], ...(at < 3000 ? [['gate', 0.02] as [string, number]] : [])])).ended);
  ended.push(...tr.flush());
  t.same(ended.filter((e) => e.zone === 'gate').map((e) => [e.startMs, e.endMs]), [[0, 2000]]);
  t.same(ended.filter((e) => e.zone === 'flag').map((e) => [e.startMs, e.endMs]), [[0, 9000], [10_000, 19_000], [20_000, 25_000]]);
});

/** Adds `light(x, y)` gray levels to a frame (light falling on the scene, not a thing in it). */
function lit(frame: Uint8Array, light: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(frame.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[y * W + x] = clamp(frame[y * W + x]! + light(x, y));
  return out;
}

/** The events a default tracker makes of these verdicts (open ones included). */
function events(verdicts: Verdict[]) {
  const tr = new MotionTracker(defaultTrackerSettings);
  const out = verdicts.flatMap((v) => tr.push(v).ended);
  return [...out, ...tr.flush()];
}

t.test('a slow light ramp (dusk, a cloud) is no motion; a box crossing during it still is', async (t) => {
  // 5 fps while the light falls to 60 % over 10 s: each step is far under the brightness-jump
  // rule, but the 10-s background lags the whole picture by tens of levels.
  const r = rng(11);
  const gain = (i: number) => 1 - (0.4 * Math.min(i, 50)) / 50;
  const frames = [...still(10, 11)];
  for (let i = 1; i <= 60; i++) frames.push(scene(r, { gain: gain(i) }));
  const v = run(detector(), frames);
  t.equal(v.filter((x) => x.zones.length > 0).length, 0, `the ramp alone is no motion (${v.filter((x) => x.zones.length > 0).length} frames said so)`);
  const withBox = [...still(10, 11)];
  for (let i = 1; i <= 60; i++) withBox.push(scene(r, { gain: gain(i), boxes: i >= 40 ? [{ x: 10 + (i - 40) * 6, y: 40, w: 12, h: 24, v: 10 }] : [] }));
  const vb = run(detector(), withBox);
  t.ok(vb.slice(-20).filter((x) => x.zones.length > 0).length >= 16, 'a dark box crossing in the dusk is seen');
});

t.test('headlights: a soft pool of light sweeping the textured scene makes no event; a bright solid thing does', async (t) => {
  const r = rng(12);
  const frames = [...still(20, 12)];
  // A soft pool ~80 px across, +90 levels at its centre, sweeping the picture in 6 s at 5 fps.
  const pool = (cx: number) => (x: number, y: number) => 90 * Math.exp(-((x - cx) ** 2 + (y - 50) ** 2) / (2 * 20 ** 2));
  for (let i = 0; i < 30; i++) frames.push(lit(scene(r), pool(-20 + i * 7)));
  t.same(events(run(detector(), frames)), [], 'the light makes no event');
  const thing = [...still(20, 12)];
  for (let i = 0; i < 15; i++) thing.push(scene(r, { boxes: [{ x: 10 + i * 8, y: 40, w: 16, h: 20, v: 220 }] }));
  const vt = run(detector(), thing);
  t.ok(vt.slice(20).filter((x) => x.zones.length > 0).length >= 12, 'a bright box with edges of its own is motion');
  t.equal(events(vt).length, 1, 'and one event');
});

t.test('rain: many thin short-lived streaks make no event; a person walking in the rain does', async (t) => {
  const r = rng(13);
  // 26 streaks a frame, each 1 px wide and 9 long (a drop lit by the IR lamp during the
  // exposure), anywhere in its own 6-px column band: new places every frame, never touching.
  const rain = (f: Uint8Array) => {
    for (let k = 0; k < 26; k++) {
      const x = k * 6 + Math.floor(r() * 2);
      const y0 = Math.floor(r() * H);
      for (let y = y0; y < Math.min(H, y0 + 9); y++) f[y * W + x] = 240;
    }
    return f;
  };
  const frames = [...still(20, 13)];
  for (let i = 0; i < 50; i++) frames.push(rain(scene(r)));
  t.same(events(run(detector(), frames)), [], 'rain makes no event');
  const walk = [...still(20, 13)];
  for (let i = 0; i < 20; i++) walk.push(rain(scene(r, { boxes: [{ x: 20 + i * 5, y: 40, w: 10, h: 24, v: 30 }] })));
  const vw = run(detector(), walk);
  t.ok(vw.slice(20).filter((x) => x.zones.length > 0).length >= 16, 'the person is seen in most frames');
  t.equal(events(vw).length, 1, 'one event');
});

/**
 * `count` rain streaks a frame, each 1 px wide and 3–6 long, anywhere; each frame's streaks are
 * new, as a real downpour's are. Neighbouring streaks (blurred to 3 px) merge into blobs past
 * the minimum area with a solid core.
 */
function downpour(r: () => number, count: number) {
  return (f: Uint8Array) => {
    for (let k = 0; k < count; k++) {
      const x = Math.floor(r() * W);
      const y0 = Math.floor(r() * H);
      const len = 3 + Math.floor(r() * 4);
      for (let y = y0; y < Math.min(H, y0 + len); y++) f[y * W + x] = Math.max(f[y * W + x]!, 230);
    }
    return f;
  };
}

t.test('dense rain: streaks that touch into clusters with a core make no event; a person walking in it does', async (t) => {
  const r = rng(21);
  // 80 streaks a frame: about 7 % of the picture changes.
  const rain = downpour(r, 80);
  const frames = [...still(10, 21)];
  for (let i = 0; i < 300; i++) frames.push(rain(scene(r)));
  const v = run(detector(), frames);
  t.same(events(v), [], 'a minute of rain at 5 fps makes no event');
  t.ok(v.filter((x) => x.zones.length > 0).length <= 30, `rain is motion in few frames (${v.filter((x) => x.zones.length > 0).length} of 300)`);
  const walk = [...still(10, 21)];
  for (let i = 0; i < 20; i++) walk.push(rain(scene(r, { boxes: [{ x: 20 + i * 5, y: 40, w: 8, h: 16, v: 30 }] })));
  const vw = run(detector(), walk);
  t.ok(vw.slice(10).filter((x) => x.zones.length > 0).length >= 14, 'the person is seen in most frames');
  t.equal(events(vw).length, 1, 'one event');
});

/** The verdicts as a tracker without rule 13 saw them: every zone of a confirmed frame continued. */
const withoutRule13 = (v: Verdict[]) => v.map((x) => ({ ...x, zones: x.zones.map((z) => ({ ...z, continued: x.confirmed })) }));

t.test('heavier rain: chance patches pass persistence, rarely twice in one place; rule 13 opens fewer and shorter events; a person walking in it is one event', async (t) => {
  const r = rng(24);
  // 100 streaks a frame, about 8 % of the picture changed: patches of half the minimum area
  // changed in two frames running by chance, so rules 1–12 count rain in some frames and, two
  // of them in a row, open an event. The next frame's patch is elsewhere, except by a second
  // chance: one touching the cluster the first one was in.
  const rain = downpour(r, 100);
  const frames = [...still(10, 24)];
  // Ten minutes at 5 fps: such double chances are minutes apart.
  for (let i = 0; i < 3000; i++) frames.push(rain(scene(r)));
  const v = run(detector(), frames);
  const moving = v.filter((x) => x.zones.length > 0).length;
  const continued = v.filter((x) => x.zones.some((z) => z.continued)).length;
  t.ok(moving >= 100, `rain passes rules 1–12 in some frames (${moving} of 3000)`);
  t.ok(continued * 20 <= moving, `and is counted where it was counted a frame earlier in few of them (${continued})`);
  const before = events(withoutRule13(v));
  const after = events(v);
  const seconds = (es: MotionEvent[]) => es.reduce((sum, e) => sum + e.endMs - e.startMs, 0) / 1000;
  t.ok(before.length >= 4, `without rule 13: ${before.length} events, ${seconds(before)} s`);
  t.ok(after.length * 2 <= before.length, `with it: ${after.length} events`);
  t.ok(seconds(after) * 2 <= seconds(before), `lasting ${seconds(after)} s`);
  const walk = [...still(10, 24)];
  for (let i = 0; i < 20; i++) walk.push(rain(scene(r, { boxes: [{ x: 20 + i * 5, y: 40, w: 8, h: 16, v: 30 }] })));
  const vw = run(detector(), walk);
  const seen = vw.slice(10).filter((x) => x.zones.length > 0).length;
  t.ok(seen >= 14, `the person is seen in most frames (${seen} of 20)`);
  const again = vw.slice(10).filter((x) => x.zones.some((z) => z.continued)).length;
  // Not in its first counted frame (nothing counted before it), nor after a frame it was missed in.
  t.ok(again >= seen - 3, `and counted where it was a frame earlier in most of them (${again})`);
  t.equal(events(vw).length, 1, 'one event');
});

/**
 * A road band across the textured scene (rows 16..39) whose shading swings ±12 around 85, and
 * optionally a uniform car of brightness `v` on it: a dark car on a dark road.
 */
function road(random: () => number, car?: { x: number; v: number }): Uint8Array {
  const f = scene(random);
  for (let y = 16; y < 40; y++)
    for (let x = 0; x < W; x++) f[y * W + x] = clamp(85 + 12 * Math.sin(x / 8) * Math.cos(y / 6) + ((x * 7 + y * 13) % 7) - 3 + (random() - 0.5) * 6);
  if (car) for (let y = 20; y < 33; y++) for (let x = Math.max(0, car.x); x < Math.min(W, car.x + 34); x++) f[y * W + x] = clamp(car.v + (random() - 0.5) * 6);
  return f;
}

t.test('a fast car about as bright as the road it crosses is seen, and opens an event', async (t) => {
  // 34×13 px, 5 levels brighter than the road's mean, 16 px a frame at 5 fps (the picture in
  // 2.4 s). Over the threshold only where the road's shading differs most from it: ragged
  // fragments without a core, in other places every frame. Rule 12 sees it whole.
  for (const seed of [31, 32, 33]) {
    const r = rng(seed);
    const frames = Array.from({ length: 15 }, () => road(r));
    for (let x = -34 + (seed % 3); x < W; x += 16) frames.push(road(r, { x, v: 90 }));
    for (let i = 0; i < 5; i++) frames.push(road(r));
    const v = run(detector(), frames);
    const seen = v.slice(15).filter((x) => x.zones.length > 0).length;
    // Wholly in the picture in 8 of its 13 frames.
    t.ok(seen >= 8, `seed ${seed}: seen in ${seen} of 13 frames`);
    t.equal(events(v).length, 1, `seed ${seed}: one event`);
    const without = run(detector({ faintRatio: 1 }), frames);
    t.ok(without.slice(15).filter((x) => x.zones.length > 0).length < seen, `seed ${seed}: without rule 12, seen in fewer frames`);
  }
});

t.test('the faint look stays off where still pixels stray as far as the faint threshold (night gain)', async (t) => {
  // Heavy noise on a dim scene: at the capped gain its σ is well over a third of the faint
  // threshold, so rule 12 must not look, and the noise makes no event.
  const r = rng(34);
  const frames = Array.from({ length: 200 }, () => scene(r, { gain: 0.5, noise: 14 }));
  const v = run(detector(), frames);
  t.same(events(v), [], 'night noise makes no event');
  t.same(
    v.map((x) => x.zones.length > 0),
    run(detector({ faintRatio: 1 }), frames).map((x) => x.zones.length > 0),
    'the same verdicts as without rule 12',
  );
});

t.test('persistence: frames a fraction of a second apart are compared; key frames seconds apart are not, and say so', async (t) => {
  const box = (i: number) => [{ x: 20 + i * 4, y: 30, w: 12, h: 20, v: 20 }];
  const r = rng(22);
  const d = detector();
  const frames = [...still(10, 22)];
  for (let i = 0; i < 5; i++) frames.push(scene(r, { boxes: box(i) }));
  const v = run(d, frames);
  t.equal(v[10]!.zones.length, 0, 'an object in its first frame has nothing to persist from yet');
  t.ok(v.slice(11).every((x) => x.zones.length > 0 && x.confirmed), 'from the second frame on it is confirmed motion');
  const k = detector();
  const keys = [scene(r), scene(r), scene(r, { boxes: box(0) }), scene(r, { boxes: box(8) })];
  const vk = keys.map((f, i) => k.process(f, i * 2000));
  t.ok(vk[2]!.zones.length > 0 && !vk[2]!.confirmed, 'a key frame 2 s after the last: motion, unconfirmed');
  t.ok(vk[3]!.zones.length > 0 && !vk[3]!.confirmed);
  t.same(events(vk), [], 'two unconfirmed frames open no event');
});

t.test('persistence: a frame unlinked from the previous one is not compared with it (pictures seconds apart arriving a moment apart)', async (t) => {
  // The still feed hands over a key frame a GOP late and the active decoder then starts at the
  // newest picture: two pictures ~2 s apart arrive ~0.2 s apart. The box has moved on.
  const box = (x: number) => [{ x, y: 30, w: 12, h: 20, v: 20 }];
  const r = rng(23);
  const compared = detector();
  const unlinked = detector();
  const frames = [...still(10, 23), scene(r, { boxes: box(20) }), scene(r, { boxes: box(90) }), scene(r, { boxes: box(94) })];
  // Key frames every 2 s while still, the box in the last of them; then frames 200 ms apart.
  const at = (i: number) => (i <= 10 ? i * 2000 : 20_000 + (i - 10) * 200);
  const vc = frames.map((f, i) => compared.process(f, at(i)));
  const vu = frames.map((f, i) => {
    if (i === 11) unlinked.unlinkPrevious();
    return unlinked.process(f, at(i));
  });
  t.equal(vc[11]!.zones.length, 0, 'compared with the older picture, the moved box does not persist: no motion at all');
  t.ok(vu[11]!.zones.length > 0 && !vu[11]!.confirmed, 'unlinked: motion, unconfirmed');
  t.ok(vu[12]!.zones.length > 0 && vu[12]!.confirmed, 'the next frame is compared again');
  t.same(events(vc).map((e) => e.startMs), [], 'compared: the run broke and no event opened yet');
  t.ok(vu[10]!.zones.length > 0 && !vu[10]!.confirmed, 'the key frame: motion, unconfirmed');
  t.same(events(vu).map((e) => e.startMs), [20_000], 'unlinked: the key frame, the unconfirmed frame and a confirmed one make an event dated at the key frame');
});

t.test('tracker: an event opens only on a confirmed frame, dated at the first frame of the run', async (t) => {
  const tr = new MotionTracker(defaultTrackerSettings);
  t.same(tr.push(verdict(0, [['gate', 0.01]], false)).started, []);
  t.same(tr.push(verdict(2000, [['gate', 0.01]], false)).started, [], 'two key frames 2 s apart open nothing');
  t.same(tr.push(verdict(2200, [['gate', 0.02]])).started, ['gate'], 'a confirmed frame right after does');
  t.equal(tr.openStart('gate'), 0);
});

t.test('the same thing twice: a zone is continued when a blob counted there overlaps one counted in the previous frame, a fraction of a second ago', async (t) => {
  const r = rng(25);
  const frames = [...still(10, 25)];
  // A box walks in the left half from frame 10; a second one appears in the right half at frame 13.
  for (let i = 0; i < 6; i++) frames.push(scene(r, { boxes: [{ x: 10 + i * 4, y: 30, w: 12, h: 20, v: 20 }, ...(i >= 3 ? [{ x: 110 + i * 3, y: 40, w: 12, h: 20, v: 230 }] : [])] }));
  const d = detector({
    zones: [
      { name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] },
      { name: 'right', points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] },
    ],
  });
  const v = run(d, frames);
  const at = (i: number) => Object.fromEntries(v[i]!.zones.map((z) => [z.zone, z.continued]));
  t.same(at(10), {}, 'first frame: nothing persists yet');
  t.same(at(11), { left: false }, 'second frame: counted (it persisted), but nothing was counted the frame before');
  t.same(at(12), { left: true }, 'third frame: counted where it was counted a frame ago');
  t.same(at(14), { left: true, right: false }, 'per zone: the new box is not continued yet');
  t.same(at(15), { left: true, right: true });
  t.ok(v.slice(11).every((x) => x.confirmed));
  // Key frames seconds apart: nothing is compared, so nothing is continued either.
  const k = detector();
  const keys = [scene(r), scene(r), scene(r, { boxes: [{ x: 40, y: 30, w: 12, h: 20, v: 20 }] }), scene(r, { boxes: [{ x: 42, y: 30, w: 12, h: 20, v: 20 }] })];
  const vk = keys.map((f, i) => k.process(f, i * 2000));
  t.same(vk.slice(2).map((x) => x.zones.map((z) => [z.zone, z.continued])), [[[null, false]], [[null, false]]], 'key frames 2 s apart: motion, not continued');
});

t.test('tracker: an event opens only on a frame whose zone is continued (rule 13); an open event continues on any motion', async (t) => {
  const tr = new MotionTracker(defaultTrackerSettings);
  t.same(tr.push(verdict(0, [['gate', 0.01]], true, false)).started, []);
  t.same(tr.push(verdict(200, [['gate', 0.01]], true, false)).started, [], 'confirmed motion in two frames, in different places: no event');
  t.same(tr.push(verdict(400, [['gate', 0.02]])).started, ['gate'], 'the same thing in the next frame opens it');
  t.equal(tr.openStart('gate'), 0, 'dated at the first frame of the run');
  t.same(tr.push(verdict(600, [['gate', 0.03]], true, false)).peaked, ['gate'], 'motion that is not continued still continues the open event');
  t.same(tr.push(verdict(2600, [['gate', 0.01]], false)).ended, []);
  t.match(tr.flush(), [{ zone: 'gate', startMs: 0, endMs: 2600, peakArea: 0.03 }]);
});

t.test('tracker: rule 13 is per zone', async (t) => {
  const tr = new MotionTracker(defaultTrackerSettings);
  const frame = (atMs: number) => ({ atMs, changed: 0, recalibrated: false, confirmed: true, zones: [{ zone: 'gate', area: 0.01, continued: true }, { zone: 'yard', area: 0.01, continued: false }] });
  tr.push(frame(0));
  t.same(tr.push(frame(200)).started, ['gate'], 'the yard, where nothing was seen twice, opens nothing');
  t.equal(tr.openStart('yard'), undefined);
});
