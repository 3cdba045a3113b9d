/**
 * What a simulated village does, as pure functions of a seeded random source: ops at a
 * daily pattern (quiet nights, a morning and an evening peak), bursts (a meeting's minutes,
 * a batch of registrations entered at once), and going offline for a while and back (a
 * power or uplink cut).
 */

export interface LoadPattern {
  /** Mean ops per second per edge over a simulated day. */
  opsPerEdgeS: number;
  /** Seconds of this run that make one simulated day. */
  dayS: number;
  /** A burst's size, and how often one starts per edge (per second). */
  burstOps: number;
  burstsPerEdgeS: number;
  /** How often an online edge goes offline (per second), and for how long (s). */
  offlinePerEdgeS: number;
  offlineS: [number, number];
}

/** Relative activity by hour (0–23), mean 1: a village office's day. */
const HOURLY = [0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.2, 2.4, 2.0, 1.6, 0.9, 1.2, 1.7, 1.8, 1.6, 1.3, 1.2, 1.5, 1.4, 0.9, 0.4, 0.2] as const;
const HOURLY_MEAN = HOURLY.reduce((a, b) => a + b, 0) / HOURLY.length;

/** The activity factor at `elapsedS` into the run, the run starting at 08:00 of the simulated day. */
export function dailyFactor(elapsedS: number, dayS: number): number {
  const hours = (8 + (24 * elapsedS) / dayS) % 24;
  const h = Math.floor(hours);
  const f = hours - h;
  return (HOURLY[h]! * (1 - f) + HOURLY[(h + 1) % 24]! * f) / HOURLY_MEAN;
}

/** mulberry32: a small seeded generator, so a run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Poisson count with mean `mean` (Knuth; the means here are small). */
export function poisson(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

/** How many ops an edge commits in a step of `dtS` seconds at `elapsedS`: the daily pattern plus any burst. */
export function opsInStep(p: LoadPattern, elapsedS: number, dtS: number, random: () => number): number {
  const steady = poisson(p.opsPerEdgeS * dailyFactor(elapsedS, p.dayS) * dtS, random);
  const burst = random() < p.burstsPerEdgeS * dtS ? p.burstOps : 0;
  return steady + burst;
}
