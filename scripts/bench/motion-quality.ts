/**
 * The motion detector's quality on the ground-truth set, offline: each clip is
 * decoded once with the motion feed's own scaling (analysis size, gray, loop
 * filter skipped), then played through the real detector and tracker the way
 * `CameraMotion` feeds them: key frames only while still; after the first key
 * frame with motion the feed restarts and, from the next key frame on,
 * delivers `activeFps`; `holdMs` after the last motion (no event open) it
 * restarts back to key frames. A restart costs `restartMs` and resumes at the
 * next key frame (a new RTSP client sees nothing before one).
 *
 * Offline, not through the simulator: the same frames every time, hours of
 * footage in seconds, and no dependence on how loaded the machine is. The clip
 * is looped `loops` times; its truth is scored with `score()` as if it had
 * played from wall time 0.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MotionDetector, defaultDetectorSettings, thresholdFor } from '../../edge/src/motion/detector.ts';
import { MotionTracker, defaultTrackerSettings, type MotionEvent } from '../../edge/src/motion/tracker.ts';
import { ANALYSIS_HEIGHT, ANALYSIS_WIDTH, defaultMotionFeedSettings } from '../../edge/src/motion/camera-motion.ts';
import { ModePolicy, type ModePolicySettings } from '../../edge/src/motion/mode-policy.ts';
import { cameraTruth, score, unrollTruth, type Detection, type GroundTruthClip, type Score } from '../motion-truth/ground-truth.ts';

const run = promisify(execFile);

export interface DecodedClip {
  clip: GroundTruthClip;
  frames: Uint8Array[];
  keyFrames: Set<number>;
  frameMs: number;
}

/** Every frame at the analysis size, decoded as the motion feed decodes (see args.ts). */
export async function decodeClip(clip: GroundTruthClip): Promise<DecodedClip> {
  const size = ANALYSIS_WIDTH * ANALYSIS_HEIGHT;
  const { stdout } = await run(
    'ffmpeg',
    ['-nostdin', '-hide_banner', '-loglevel', 'error', '-skip_loop_filter', 'all', '-i', clip.path, '-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', `scale=${ANALYSIS_WIDTH}:${ANALYSIS_HEIGHT}:flags=area,format=gray`, '-f', 'rawvideo', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const frames: Uint8Array[] = [];
  for (let at = 0; at + size <= stdout.length; at += size) frames.push(new Uint8Array(stdout.subarray(at, at + size)));
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', clip.path]);
  const keyFrames = new Set<number>();
  probe.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .forEach((l, i) => {
      if (l.trim().startsWith('1')) keyFrames.add(i);
    });
  return { clip, frames, keyFrames, frameMs: 1000 / clip.truth.fps };
}

export interface FeedModel {
  activeFps: number;
  policy: ModePolicySettings;
  /** ffmpeg stop + start + RTSP setup before the new mode's first key frame can arrive. */
  restartMs: number;
  sensitivity: number;
  /** Every frame at `activeFps`, never key frames only: the detector sees the most frames it can (a stricter test than the pipeline). */
  alwaysActive: boolean;
  /**
   * Active mode decodes only this long after each key frame (the rest of the GOP is
   * not given to the decoder); undefined: the whole GOP.
   */
  burstMs?: number;
}

export const defaultFeedModel: FeedModel = { activeFps: defaultMotionFeedSettings.activeFps, policy: defaultMotionFeedSettings.policy, restartMs: 700, sensitivity: 50, alwaysActive: false };

export interface ClipRun {
  events: MotionEvent[];
  /** Per event: the time of the frame that opened it (its picture is the first one kept). */
  openedAtMs: number[];
  framesAnalysed: number;
  activeMs: number;
  /** Mode switches (each one an ffmpeg restart in the pipeline). */
  switches: number;
}

/** Plays a decoded clip `loops` times through detector + tracker, switching modes as the pipeline does. */
export function playClip(d: DecodedClip, loops: number, model: FeedModel = defaultFeedModel): ClipRun {
  const { clip, frames, keyFrames, frameMs } = d;
  const detector = new MotionDetector({
    ...defaultDetectorSettings,
    threshold: thresholdFor(model.sensitivity),
    width: ANALYSIS_WIDTH,
    height: ANALYSIS_HEIGHT,
    zones: clip.truth.zones,
    masks: clip.truth.masks.map((m) => m.points),
  });
  const tracker = new MotionTracker(defaultTrackerSettings);
  const events: MotionEvent[] = [];
  const openedAtMs: number[] = [];
  const total = frames.length * loops;
  const activeStride = Math.max(1, Math.round(clip.truth.fps / model.activeFps));
  let mode = (model.alwaysActive ? 'active' : 'still') as 'still' | 'active';
  /** No frame is delivered before this time (a restart in progress), nor until a key frame. */
  let resumeAt = 0;
  let waitingForKey = true;
  let activeSince = 0;
  let activeMs = 0;
  const policy = new ModePolicy(model.policy);
  let switches = 0;
  let analysed = 0;
  let activeCount = 0;
  let keyAt = 0;
  for (let g = 0; g < total; g++) {
    const t = g * frameMs;
    const i = g % frames.length;
    if (t < resumeAt) continue;
    const key = keyFrames.has(i);
    if (waitingForKey) {
      if (!key) continue;
      waitingForKey = false;
      activeCount = 0;
    }
    if (mode === 'still' && !key) continue;
    if (key) keyAt = t;
    if (model.burstMs !== undefined && mode === 'active') {
      if (key) activeCount = 0;
      if (t - keyAt > model.burstMs) continue;
    }
    if (mode === 'active' && activeCount++ % activeStride !== 0) continue;
    analysed++;
    const verdict = detector.process(frames[i]!, t);
    const step = tracker.push(verdict);
    // An event starts at the first frame of its run; this frame opened it, and its picture is the first one kept.
    for (let k = 0; k < step.started.length; k++) openedAtMs.push(t);
    events.push(...step.ended);
    const restart = (next: 'still' | 'active') => {
      if (mode === 'active') activeMs += t - activeSince;
      mode = next;
      if (next === 'active') activeSince = t;
      resumeAt = t + model.restartMs;
      waitingForKey = true;
    };
    if (model.alwaysActive) continue;
    const wanted = policy.next(mode, verdict);
    if (wanted !== mode) {
      switches++;
      restart(wanted);
    }
  }
  if (mode === 'active') activeMs += total * frameMs - activeSince;
  events.push(...tracker.flush());
  return { events, openedAtMs, framesAnalysed: analysed, activeMs, switches };
}

export interface QualityResult {
  score: Score;
  thumbnailMs: number[];
  framesAnalysed: number;
  activeShare: number;
  /** Mode switches per hour of camera time (each an ffmpeg restart). */
  switchesPerHour: number;
  perClip: Array<{ name: string; kind: string; events: number; falseEvents: number; trueIntervals: number; detected: number; activeShare: number; switchesPerHour: number }>;
}

/** Scores every clip played `loops` times (clip k is camera `clip.name`, wall time = clip time from 0). */
export function scoreClips(decoded: readonly DecodedClip[], loops: number, model: FeedModel = defaultFeedModel): QualityResult {
  const truths = [];
  const detections: Detection[] = [];
  const opened: Array<{ camera: string; atMs: number }> = [];
  let framesAnalysed = 0;
  let activeMs = 0;
  let totalMs = 0;
  let switches = 0;
  const activity = new Map<string, { activeShare: number; switchesPerHour: number }>();
  for (const d of decoded) {
    const periodMs = Math.round((d.clip.truth.frames / d.clip.truth.fps) * 1000);
    const r = playClip(d, loops, model);
    framesAnalysed += r.framesAnalysed;
    activeMs += r.activeMs;
    switches += r.switches;
    activity.set(d.clip.name, { activeShare: Math.round((r.activeMs / (periodMs * loops)) * 100) / 100, switchesPerHour: Math.round((r.switches / (periodMs * loops)) * 3_600_000) });
    totalMs += periodMs * loops;
    truths.push(cameraTruth(d.clip.name, d.clip, 0, 0, periodMs * loops));
    for (const e of r.events) detections.push({ camera: d.clip.name, zone: e.zone, startMs: e.startMs, endMs: e.endMs });
    for (const at of r.openedAtMs) opened.push({ camera: d.clip.name, atMs: at });
  }
  const s = score(truths, detections);
  // Thumbnail: true start → the frame that opened the event matching it (its picture is the
  // first one kept): the first opening from a merge gap before the start (an event already
  // running) to score()'s 3-s grace after the end.
  const thumbnailMs: number[] = [];
  for (const cam of truths) {
    const mine = opened.filter((o) => o.camera === cam.camera).map((o) => o.atMs);
    for (const iv of unrollTruth(cam)) {
      const first = mine.find((at) => at >= iv.startMs - defaultTrackerSettings.mergeGapMs && at < iv.endMs + 3000);
      if (first !== undefined) thumbnailMs.push(Math.max(0, first - iv.startMs));
    }
  }
  const perClip = s.scenarios.map((sc) => ({
    name: sc.scenario,
    kind: sc.kind,
    events: detections.filter((x) => x.camera === sc.scenario).length,
    falseEvents: sc.falseEvents,
    trueIntervals: sc.trueIntervals,
    detected: sc.detected,
    ...(activity.get(sc.scenario) ?? { activeShare: 0, switchesPerHour: 0 }),
  }));
  return { score: s, thumbnailMs, framesAnalysed, activeShare: totalMs ? activeMs / totalMs : 0, switchesPerHour: totalMs ? (switches / totalMs) * 3_600_000 : 0, perClip };
}




/** Nearest-rank percentile. */
export function p95(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil(0.95 * s.length))) - 1]!;
}
