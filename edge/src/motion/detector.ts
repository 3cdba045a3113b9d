import { rasterise, type NamedZone, type Polygon } from './geometry.ts';

/**
 * The motion detector's pure core: gray frames in, a verdict per frame out. No
 * clock (frame times come in with the frames), no I/O, no allocation per frame
 * beyond the small verdict: every buffer is sized once for the analysis size.
 *
 * Per frame: contrast stretch between two percentiles with a capped gain →
 * 3×3 box blur → |frame − background| > threshold, masked pixels and pixels
 * that flicker all the time left out → 8-connected blobs → blobs of at least
 * `minArea` counted per zone. A frame where most of the picture changed at
 * once (lights, IR day/night, headlights, lightning) resets the background and
 * reports nothing. Slow light is taken out before the threshold (the picture's
 * median shift); a blob without a solid core (rain, snow streaks) or whose
 * fine texture is still the background's (a pool of light) does not count.
 * With a frame a fraction of a second old to compare, a blob counts only if a
 * large enough patch of it changed in both frames (dense rain's chance
 * clusters do not persist); frames seconds apart give unconfirmed verdicts.
 * Each zone says whether a blob counted there overlaps one counted in that
 * previous frame (the same thing seen twice): rain's chance patches pass the
 * persistence test in a different place every frame, so an event opens only
 * on such a frame.
 * Where the still picture is quiet, a second look at half the threshold finds
 * faint things (a dark car on a dark road), each size rule four times larger.
 * See docs/design/motion.md for why each step is there.
 */
export interface DetectorSettings {
  width: number;
  height: number;
  /** Named zones; none: the whole picture is one zone, reported as `null`. */
  zones: readonly NamedZone[];
  /** Areas never analysed (a clock overlay, a tree, the road outside the yard). */
  masks: readonly Polygon[];
  /** Difference (0..255, on the stretched, blurred picture) that counts as change. */
  threshold: number;
  /**
   * Rule 12, faint things: a second look at `threshold × faintRatio`, where a
   * blob must be (1 / faintRatio)² times as large to count (the same evidence:
   * a contrast k times weaker needs k² times the pixels), with rules 6 and 9–11
   * on that scale. 1: no second look.
   */
  faintRatio: number;
  /** Smallest blob that counts, as a fraction of the picture. */
  minArea: number;
  /** Cap on the contrast stretch: a flat scene's noise must not be amplified into motion. */
  maxGain: number;
  /** Background time constant: a change that stays this long becomes the scene. */
  backgroundSeconds: number;
  /** Time constant of the per-pixel flicker rate (how often a pixel changed lately). */
  flickerSeconds: number;
  /** Pixels that changed in more than this share of recent frames are ignored (leaves, water, rain streaks). */
  flickerLimit: number;
  /** More than this share of the picture changed at once: recalibrate, report nothing. */
  recalibrateAbove: number;
  /** The picture's mean brightness moved by more than this share since the last frame: recalibrate. */
  brightnessJump: number;
  /**
   * A blob whose fine texture (the picture minus its local mean) is the
   * background's, scaled, with a residual of at most this multiple of the
   * frame's texture noise, is the same surface under other light (headlights,
   * a torch, a cloud's shadow), not something in front of it.
   */
  lightResidual: number;
  /**
   * Frames at most this far apart are compared with each other: a blob counts
   * only if enough of it had changed in the previous frame too. Farther apart
   * (key frames only), nothing can be compared and the verdict is unconfirmed.
   */
  persistMs: number;
}

export const defaultDetectorSettings: Omit<DetectorSettings, 'width' | 'height' | 'zones' | 'masks'> = {
  threshold: 30,
  faintRatio: 0.5,
  minArea: 0.002,
  maxGain: 4,
  backgroundSeconds: 10,
  flickerSeconds: 120,
  flickerLimit: 0.3,
  recalibrateAbove: 0.8,
  brightnessJump: 0.25,
  lightResidual: 3,
  persistMs: 500,
};

/** Sensitivity 1..100 (50: the default threshold of 30) as a pixel threshold. */
export function thresholdFor(sensitivity: number): number {
  return Math.max(5, Math.min(60, Math.round(60 - 0.6 * sensitivity)));
}

interface ZoneMotion {
  /** The zone's name; `null` for the whole picture of a camera without zones. */
  zone: string | null;
  /** Picture share covered by qualifying blobs inside the zone (0..1). */
  area: number;
  /**
   * Rule 13: a blob counted in this zone overlaps a blob counted in the
   * previous analysed frame, a fraction of a second ago (`confirmed`), by at
   * least half the minimum area. A thing is the same thing one frame later;
   * rain's chance patches that pass persistence are elsewhere each frame.
   * Only in confirmed frames.
   */
  continued: boolean;
}

export interface Verdict {
  atMs: number;
  /** Share of the analysed (unmasked) picture above the threshold, before blobs and flicker. */
  changed: number;
  /** This frame reset the background (first frame, or most of the picture changed). */
  recalibrated: boolean;
  /** Zones with motion in this frame; empty when none. */
  zones: ZoneMotion[];
  /**
   * The previous frame was close enough (`persistMs`) for the persistence test:
   * each blob reported had changed there too. False for key frames seconds
   * apart: their blobs may be chance clusters (dense rain) that a second look
   * a fraction of a second later would not find again.
   */
  confirmed: boolean;
}

/** Rule 12 looks at the faint threshold only when it is at least this many σ of the still picture's difference. */
const FAINT_CLEARANCE = 3;
const LOW_PERCENTILE = 0.02;
const HIGH_PERCENTILE = 0.98;
/** A gap longer than this between frames (ffmpeg restarted, camera away): start over. */
const MAX_GAP_MS = 60_000;
/** Half-width of the local mean the texture is measured against (a 5×5 box at 160×90): small, so a soft pool of light has no texture of its own. */
const TEXTURE_RADIUS = 2;
/**
 * Floor of the texture noise (gray levels², on the stretched, blurred picture):
 * a clean daylight picture's estimate is near 0, and rounding alone is more.
 */
const FLAT_TEXTURE = 4;
/** How far light may scale a surface's texture (after the stretch): a shadow halves it, a lamp on a dark wall multiplies it. */
const LIGHT_GAIN_MIN = 0.5;
const LIGHT_GAIN_MAX = 4;

/** Histogram of |texture difference| for the noise estimate: quarter-level bins up to 64 levels. */
const NOISE_BIN_SCALE = 4;
const NOISE_BINS = 256;

export class MotionDetector {
  readonly #s: DetectorSettings;
  readonly #n: number;
  readonly #analysed: Uint8Array;
  readonly #analysedCount: number;
  readonly #zoneMaps: Uint8Array[];
  readonly #zoneNames: Array<string | null>;
  readonly #minAreaPx: number;
  readonly #hist = new Uint32Array(256);
  readonly #lut = new Uint8Array(256);
  readonly #stretched: Uint8Array;
  readonly #rowBlur: Uint16Array;
  readonly #blurred: Uint8Array;
  readonly #background: Float32Array;
  readonly #flicker: Float32Array;
  readonly #changed: Uint8Array;
  /** Changed pixels of the previous analysed frame: 2 over the threshold, 1 over the faint one only. */
  readonly #previous: Uint8Array;
  /** Per pixel changed in this frame and the previous one: the size of its 8-connected patch of such pixels (0: none). */
  readonly #persistent: Int32Array;
  /** The same at the faint threshold (rule 12). */
  readonly #persistentFaint: Int32Array;
  /** Pixels already counted in a zone in this frame (a blob seen at both thresholds counts once). */
  #counted: Uint8Array;
  /** The same for the previous analysed frame (rule 13: the same thing twice); swapped with `#counted` after each frame. */
  #previousCounted: Uint8Array;
  readonly #minFaintPx: number;
  #previousAt: number | undefined;
  readonly #labels: Int32Array;
  readonly #order: Int32Array;
  readonly #zoneCounts: Float64Array;
  /** Per zone: a blob counted there in this frame continues one counted in the previous frame (rule 13). */
  readonly #zoneContinued: Uint8Array;
  readonly #diffHist = new Uint32Array(511);
  readonly #noiseHist = new Uint32Array(NOISE_BINS);
  readonly #boxRows: Float32Array;
  readonly #textureNow: Float32Array;
  readonly #textureBg: Float32Array;
  #lastAt: number | undefined;
  /** σ of frame − background over the still picture (from the median absolute deviation), in gray levels. */
  #spread = 0;
  /** This frame's texture noise, once computed (-1: not yet). */
  #noise = -1;
  #lastMean = 0;
  #lo = 0;
  #hi = 255;

  constructor(settings: DetectorSettings) {
    const { width, height } = settings;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 8 && height >= 8)) throw new Error('detector: width and height must be integers ≥ 8');
    this.#s = settings;
    const n = width * height;
    this.#n = n;
    const masked = rasterise(settings.masks, width, height);
    this.#analysed = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) count += this.#analysed[i] = masked[i] ? 0 : 1;
    this.#analysedCount = count;
    if (settings.zones.length === 0) {
      this.#zoneMaps = [this.#analysed];
      this.#zoneNames = [null];
    } else {
      this.#zoneMaps = settings.zones.map((z) => rasterise([z.points], width, height));
      this.#zoneNames = settings.zones.map((z) => z.name);
    }
    this.#minAreaPx = Math.max(1, Math.ceil(settings.minArea * n));
    this.#stretched = new Uint8Array(n);
    this.#rowBlur = new Uint16Array(n);
    this.#blurred = new Uint8Array(n);
    this.#background = new Float32Array(n);
    this.#flicker = new Float32Array(n);
    this.#changed = new Uint8Array(n);
    this.#previous = new Uint8Array(n);
    this.#persistent = new Int32Array(n);
    this.#persistentFaint = new Int32Array(n);
    this.#counted = new Uint8Array(n);
    this.#previousCounted = new Uint8Array(n);
    this.#minFaintPx = Math.ceil(this.#minAreaPx / settings.faintRatio ** 2);
    this.#labels = new Int32Array(n);
    this.#order = new Int32Array(n);
    this.#zoneCounts = new Float64Array(this.#zoneMaps.length);
    this.#zoneContinued = new Uint8Array(this.#zoneMaps.length);
    this.#boxRows = new Float32Array(n);
    this.#textureNow = new Float32Array(n);
    this.#textureBg = new Float32Array(n);
  }

  get frameBytes(): number {
    return this.#n;
  }

  /** Forget the background: the next frame becomes it (after the camera was away). */
  reset(): void {
    this.#lastAt = undefined;
    this.#previousAt = undefined;
  }

  /**
   * The next frame is not compared with the previous one (rule 11): their
   * pictures may be seconds apart although they arrived a moment apart (the
   * still feed hands a key frame over a GOP late; a decoder started on the
   * copied stream begins at the newest picture). Its motion is then reported
   * unconfirmed, as after a gap, instead of failing the persistence test.
   */
  unlinkPrevious(): void {
    this.#previousAt = undefined;
  }

  /** One gray frame (width × height bytes, row by row) taken at `atMs`. */
  process(gray: Uint8Array, atMs: number): Verdict {
    if (gray.length < this.#n) throw new Error(`detector: frame has ${gray.length} bytes, expected ${this.#n}`);
    const s = this.#s;
    const { mean, lo, hi } = this.#measure(gray);
    const dt = this.#lastAt === undefined ? -1 : atMs - this.#lastAt;
    this.#lastAt = atMs;
    const jump = Math.abs(mean - this.#lastMean) > Math.max(8, s.brightnessJump * this.#lastMean);
    this.#lastMean = mean;
    const restart = dt < 0 || dt > MAX_GAP_MS || jump;
    const learn = restart ? 1 : 1 - Math.exp(-dt / (s.backgroundSeconds * 1000));
    // The stretch's range is part of the background: it follows the scene as slowly
    // as the background does, or a bright object entering would re-stretch every pixel.
    this.#lo += learn * (lo - this.#lo);
    this.#hi += learn * (hi - this.#hi);
    this.#stretch(gray);
    this.#blur();
    const blurred = this.#blurred;
    const bg = this.#background;
    if (restart) {
      // No background yet, or the light changed (a switch, IR day/night, lightning):
      // the stretch cannot undo every such change, so this frame is the new scene.
      for (let i = 0; i < this.#n; i++) bg[i] = blurred[i]!;
      this.#previousAt = undefined;
      return { atMs, changed: 0, recalibrated: true, zones: [], confirmed: false };
    }
    const flickerRate = 1 - Math.exp(-dt / (s.flickerSeconds * 1000));
    const analysed = this.#analysed;
    const flicker = this.#flicker;
    const changed = this.#changed;
    const threshold = s.threshold;
    const faint = threshold * s.faintRatio;
    const flickerLimit = s.flickerLimit;
    const n = this.#n;
    const shift = this.#globalShift();
    let raw = 0;
    let faintCount = 0;
    for (let i = 0; i < n; i++) {
      // Less the whole picture's shift: a slow light ramp moves every pixel alike.
      const diff = blurred[i]! - bg[i]! - shift;
      if (analysed[i]! === 1 && (diff > threshold || diff < -threshold)) {
        raw++;
        // 1: changed; 2: changed, but the pixel changes all the time.
        changed[i] = flicker[i]! < flickerLimit ? 1 : 2;
      } else if (analysed[i]! === 1 && (diff > faint || diff < -faint)) {
        // 3: changed at the faint threshold only (rule 12).
        changed[i] = 3;
        faintCount++;
      } else changed[i] = 0;
    }
    const share = this.#analysedCount === 0 ? 0 : raw / this.#analysedCount;
    if (share > s.recalibrateAbove) {
      // The whole scene changed (lights, IR switch): it is the new background, not motion.
      this.#lo = lo;
      this.#hi = hi;
      this.#stretch(gray);
      this.#blur();
      for (let i = 0; i < this.#n; i++) bg[i] = blurred[i]!;
      this.#previousAt = undefined;
      return { atMs, changed: share, recalibrated: true, zones: [], confirmed: false };
    }
    // Blobs before learning: they compare the frame's texture with the background's as it was.
    const confirmed = this.#previousAt !== undefined && atMs - this.#previousAt <= s.persistMs;
    // Only where the faint threshold stands well clear of what still pixels stray by (3 σ):
    // not at night under heavy gain, not under rain (the background keeps ghosts of its streaks).
    const faintLook = s.faintRatio < 1 && faintCount > 0 && faint >= FAINT_CLEARANCE * this.#spread;
    if (confirmed) {
      this.#persistentPatches(this.#persistent, false);
      if (faintLook) this.#persistentPatches(this.#persistentFaint, true);
    }
    this.#counted.fill(0);
    const counts = this.#zoneCounts;
    counts.fill(0);
    this.#zoneContinued.fill(0);
    this.#noise = -1;
    this.#blobs(false, confirmed);
    if (faintLook) this.#blobs(true, confirmed);
    const zones: ZoneMotion[] = [];
    for (let z = 0; z < counts.length; z++) if (counts[z]! > 0) zones.push({ zone: this.#zoneNames[z]!, area: counts[z]! / n, continued: this.#zoneContinued[z] === 1 });
    const previous = this.#previous;
    this.#previousAt = atMs;
    // This frame's counted blobs are the next frame's previous ones (rule 13).
    [this.#counted, this.#previousCounted] = [this.#previousCounted, this.#counted];
    for (let i = 0; i < n; i++) {
      const c = changed[i]!;
      previous[i] = c === 0 ? 0 : c === 3 ? 1 : 2;
      const b = bg[i]!;
      bg[i] = b + learn * (blurred[i]! - b);
      const f = flicker[i]!;
      // The flicker map keeps its meaning: how often a pixel passed the threshold.
      flicker[i] = f + flickerRate * ((c === 1 || c === 2 ? 1 : 0) - f);
    }
    return { atMs, changed: share, recalibrated: false, zones, confirmed };
  }

  /**
   * The median of frame − background over the analysed pixels. Light that
   * changes slowly (dusk, a cloud) shifts the whole picture faster than a
   * 10-s background follows; objects move a minority of pixels and leave the
   * median alone.
   */
  #globalShift(): number {
    const hist = this.#diffHist;
    hist.fill(0);
    const blurred = this.#blurred;
    const bg = this.#background;
    const analysed = this.#analysed;
    const n = this.#n;
    // (d + 255.5) | 0 is Math.round(d) + 255 for the differences here (|d| ≤ 255, float32
    // precision), but an int32 index: a rounded double as the index took twice the time.
    for (let i = 0; i < n; i++) if (analysed[i]) hist[(blurred[i]! - bg[i]! + 255.5) | 0]!++;
    const half = this.#analysedCount / 2;
    let median = 255;
    for (let v = 0, acc = 0; v < 511; v++) {
      acc += hist[v]!;
      if (acc >= half) {
        median = v;
        break;
      }
    }
    // The spread around it (median absolute deviation): how far a still pixel strays from its background.
    let mad = 0;
    for (let d = 0, acc = hist[median]!; d < 511; d++) {
      if (acc >= half) {
        mad = d;
        break;
      }
      if (median - d - 1 >= 0) acc += hist[median - d - 1]!;
      if (median + d + 1 < 511) acc += hist[median + d + 1]!;
    }
    this.#spread = 1.4826 * mad;
    return median - 255;
  }

  /** Mean and 2nd/98th percentiles of the analysed pixels. */
  #measure(gray: Uint8Array): { mean: number; lo: number; hi: number } {
    const hist = this.#hist;
    hist.fill(0);
    const analysed = this.#analysed;
    const n = this.#n;
    for (let i = 0; i < n; i++) if (analysed[i]) hist[gray[i]!]!++;
    const total = this.#analysedCount || 1;
    let sum = 0;
    for (let v = 1; v < 256; v++) sum += v * hist[v]!;
    let lo = 0;
    let hi = 255;
    for (let v = 0, acc = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc >= total * LOW_PERCENTILE) {
        lo = v;
        break;
      }
    }
    for (let v = 255, acc = 0; v >= 0; v--) {
      acc += hist[v]!;
      if (acc >= total * (1 - HIGH_PERCENTILE)) {
        hi = v;
        break;
      }
    }
    return { mean: sum / total, lo, hi };
  }

  /** Maps the (smoothed) percentile range onto 0..255, gain capped. */
  #stretch(gray: Uint8Array): void {
    const lo = this.#lo;
    const hi = this.#hi;
    const gain = Math.min(this.#s.maxGain, 255 / Math.max(1, hi - lo));
    // Centre the stretched range, so a capped gain keeps mid-gray mid-gray.
    const offset = 127.5 - ((lo + hi) / 2) * gain;
    const lut = this.#lut;
    for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(v * gain + offset)));
    const out = this.#stretched;
    const n = this.#n;
    for (let i = 0; i < n; i++) out[i] = lut[gray[i]!]!;
  }

  /** 3×3 box blur, separable, edges clamped: single-pixel noise never reaches the threshold alone. */
  #blur(): void {
    const { width: w, height: h } = this.#s;
    const src = this.#stretched;
    const rows = this.#rowBlur;
    for (let y = 0; y < h; y++) {
      const r = y * w;
      rows[r] = 2 * src[r]! + src[r + 1]!;
      for (let x = r + 1; x < r + w - 1; x++) rows[x] = src[x - 1]! + src[x]! + src[x + 1]!;
      rows[r + w - 1] = src[r + w - 2]! + 2 * src[r + w - 1]!;
    }
    const out = this.#blurred;
    for (let y = 0; y < h; y++) {
      const up = (y === 0 ? 0 : y - 1) * w;
      const r = y * w;
      const down = (y === h - 1 ? y : y + 1) * w;
      // (sum * 7282) >> 16 is sum / 9, rounded, for sums up to 9 × 255.
      for (let x = 0; x < w; x++) out[r + x] = ((rows[up + x]! + rows[r + x]! + rows[down + x]!) * 7282 + 32768) >>> 16;
    }
  }

  /** `src` minus its (2r+1)² box mean, edges clamped: the fine texture, without the light falling on it. */
  #texture(src: ArrayLike<number>, out: Float32Array): void {
    const { width: w, height: h } = this.#s;
    const r = TEXTURE_RADIUS;
    const rows = this.#boxRows;
    const side = 2 * r + 1;
    for (let y = 0; y < h; y++) {
      const o = y * w;
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += src[o + Math.min(w - 1, Math.max(0, k))]!;
      for (let x = 0; x < w; x++) {
        rows[o + x] = sum;
        sum += src[o + Math.min(w - 1, x + r + 1)]! - src[o + Math.max(0, x - r)]!;
      }
    }
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += rows[Math.min(h - 1, Math.max(0, k)) * w + x]!;
      for (let y = 0; y < h; y++) {
        out[y * w + x] = src[y * w + x]! - sum / (side * side);
        sum += rows[Math.min(h - 1, y + r + 1) * w + x]! - rows[Math.max(0, y - r) * w + x]!;
      }
    }
  }

  /**
   * The frame's noise in texture terms: the spread of (frame texture −
   * background texture) over the whole analysed picture, from its median
   * absolute value (moving objects are a minority and leave the median alone;
   * the changed pixels alone would be the noisiest ones, chosen by it). What
   * is left of a lit wall's texture once the background's is taken out is
   * this noise.
   */
  #textureNoise(): number {
    const now = this.#textureNow;
    const was = this.#textureBg;
    const analysed = this.#analysed;
    const hist = this.#noiseHist;
    hist.fill(0);
    for (let i = 0; i < this.#n; i++) {
      if (!analysed[i]) continue;
      hist[Math.min(NOISE_BINS - 1, Math.floor(Math.abs(now[i]! - was[i]!) * NOISE_BIN_SCALE))]!++;
    }
    const half = this.#analysedCount / 2;
    let mad = 0;
    for (let v = 0, acc = 0; v < NOISE_BINS; v++) {
      acc += hist[v]!;
      if (acc >= half) {
        mad = (v + 0.5) / NOISE_BIN_SCALE;
        break;
      }
    }
    // For normal noise the median absolute value is 0.6745 σ.
    const sigma = mad / 0.6745;
    return Math.max(FLAT_TEXTURE, sigma * sigma);
  }

  /**
   * Whether a blob (its pixels in `order[0..count)`) is light on the scene
   * rather than a thing in it: the frame's fine texture there is the
   * background's, scaled by a plausible gain (light adds or multiplies; it
   * neither removes a wall's texture nor draws new edges), up to the noise.
   * An object hides the texture behind it and brings its own edges.
   */
  #isLight(order: Int32Array, count: number, noise: number): boolean {
    const now = this.#textureNow;
    const was = this.#textureBg;
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let k = 0; k < count; k++) {
      const p = order[k]!;
      const a = now[p]!;
      const b = was[p]!;
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    const g = bb > 0 ? Math.min(LIGHT_GAIN_MAX, Math.max(LIGHT_GAIN_MIN, ab / bb)) : 1;
    const residual = (aa - 2 * g * ab + g * g * bb) / count;
    return residual <= this.#s.lightResidual * noise;
  }

  /**
   * Pixels that changed in this frame and in the previous one (a fraction of
   * a second ago), grouped into 8-connected patches: each such pixel gets its
   * patch's size. A thing, even a fast car, overlaps where it was one frame
   * earlier, so it has a large patch. Rain streaks and noise are drawn anew
   * every frame: where two frames' streaks meet is as sparse as the square of
   * their density, a few scattered pixels, even when one frame's streaks touch
   * each other into large clusters.
   */
  #persistentPatches(size: Int32Array, faint: boolean): void {
    const { width: w, height: h } = this.#s;
    const changed = this.#changed;
    const previous = this.#previous;
    const queue = this.#order;
    const n = this.#n;
    // -1: in both frames, not yet in a patch.
    if (faint) for (let i = 0; i < n; i++) size[i] = changed[i]! > 0 && previous[i]! > 0 ? -1 : 0;
    else for (let i = 0; i < n; i++) size[i] = (changed[i] === 1 || changed[i] === 2) && previous[i] === 2 ? -1 : 0;
    for (let seed = 0; seed < n; seed++) {
      if (size[seed] !== -1) continue;
      let head = 0;
      let tail = 0;
      queue[tail++] = seed;
      size[seed] = -2;
      while (head < tail) {
        const p = queue[head++]!;
        const px = p % w;
        const py = (p - px) / w;
        for (let y = Math.max(0, py - 1); y <= Math.min(h - 1, py + 1); y++)
          for (let x = Math.max(0, px - 1); x <= Math.min(w - 1, px + 1); x++) {
            const q = y * w + x;
            if (size[q] === -1) {
              size[q] = -2;
              queue[tail++] = q;
            }
          }
      }
      for (let k = 0; k < tail; k++) size[queue[k]!] = tail;
    }
  }

  /**
   * 8-connected blobs of changed pixels; those of at least minArea, and not
   * mostly flickering pixels, count in every zone they touch. Judged per blob,
   * not per pixel: a blob's rim changes less often than its core (the blur),
   * so a per-pixel rule would let the rim of a shaking bush through. With
   * `faint` (rule 12): blobs of pixels over the faint threshold, every size
   * rule scaled by (1 / faintRatio)²; pixels a blob at the threshold already
   * counted are not counted again. With `persistence` (the previous frame is
   * recent), a counted blob that shares half the minimum area of pixels with
   * the previous frame's counted blobs marks its zones continued (rule 13).
   */
  #blobs(faint: boolean, persistence: boolean): void {
    const { width: w, height: h } = this.#s;
    const changed = this.#changed;
    const labels = this.#labels;
    const order = this.#order;
    const counts = this.#zoneCounts;
    const counted = this.#counted;
    const previousCounted = this.#previousCounted;
    const continued = this.#zoneContinued;
    const flicker = this.#flicker;
    const flickerLimit = this.#s.flickerLimit;
    const persistent = faint ? this.#persistentFaint : this.#persistent;
    const minPx = faint ? this.#minFaintPx : this.#minAreaPx;
    // At the threshold: pixels over it (1, 2); faint: over the faint one too (3).
    const top = faint ? 3 : 2;
    labels.fill(0);
    let label = 0;
    const n = this.#n;
    for (let seed = 0; seed < n; seed++) {
      const cs = changed[seed]!;
      if (cs === 0 || cs > top || labels[seed]) continue;
      label++;
      // Flood fill; `order` doubles as the queue and the blob's pixel list.
      let head = 0;
      let tail = 0;
      let flickering = 0;
      let core = 0;
      let persisted = 0;
      let faintOnly = 0;
      order[tail++] = seed;
      labels[seed] = label;
      while (head < tail) {
        const p = order[head++]!;
        if (flicker[p]! >= flickerLimit) flickering++;
        if (changed[p] === 3) faintOnly++;
        if (persistence && persistent[p]! > persisted) persisted = persistent[p]!;
        const px = p % w;
        const py = (p - px) / w;
        let around = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const y = py + dy;
          if (y < 0 || y >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const x = px + dx;
            if (x < 0 || x >= w) continue;
            const q = y * w + x;
            const c = changed[q]!;
            if (c === 0 || c > top) continue;
            around++;
            if (!labels[q]) {
              labels[q] = label;
              order[tail++] = q;
            }
          }
        }
        if (around === 9) core++;
      }
      // A blob made mostly of pixels that change all the time is foliage or water, however large.
      if (tail < minPx || flickering * 2 > tail) continue;
      // The faint look is for faint things: a blob mostly over the threshold was judged there.
      if (faint && faintOnly * 2 < tail) continue;
      // Rain and snow streaks and noise make thin or ragged blobs; a thing has a solid core
      // (pixels whose whole 3×3 neighbourhood changed) of at least half the minimum area.
      if (core * 2 < minPx) continue;
      // With a recent frame to compare: a patch of it, half the minimum area, was there then too.
      if (persistence && persisted * 2 < minPx) continue;
      if (this.#noise < 0) {
        // Only in frames with a candidate blob: most analysed frames have none.
        this.#texture(this.#blurred, this.#textureNow);
        this.#texture(this.#background, this.#textureBg);
        this.#noise = this.#textureNoise();
      }
      if (this.#isLight(order, tail, this.#noise)) continue;
      // Rule 13: the same thing twice. Rain's patches that pass persistence by chance are
      // elsewhere in the next frame; a thing overlaps where it was counted a frame ago.
      let again = 0;
      if (persistence) for (let k = 0; k < tail; k++) again += previousCounted[order[k]!]!;
      const same = persistence && again * 2 >= minPx;
      for (let z = 0; z < this.#zoneMaps.length; z++) {
        const map = this.#zoneMaps[z]!;
        let c = 0;
        let inside = 0;
        for (let k = 0; k < tail; k++) {
          const p = order[k]!;
          inside |= map[p]!;
          if (!counted[p]) c += map[p]!;
        }
        counts[z] = counts[z]! + c;
        if (same && inside) continued[z] = 1;
      }
      for (let k = 0; k < tail; k++) counted[order[k]!] = 1;
    }
  }
}
