// Motion benchmark, in one run: what motion detection costs (CPU) and how well it detects
// (quality on the ground-truth set, docs/design/motion-ground-truth.md).
//
//   npx tsx scripts/bench/motion.ts --cameras 64 --json docs/design/bench-motion-64.json
//
// CPU: N simulated cameras; the edge records them, alone and then with motion detection on
// every sub stream, against the same simulator. `--clip truth` (default): camera i plays
// ground-truth clip i mod 12, served as is, with the clip's zones and masks in its config —
// 4 clips with people and cars, 8 with light, rain, noise, shake and leaves where nothing solid
// moves (`busy_share` says which share of camera-time truly had motion). `--clip crossing`: a
// box crossing for 6 s of every 20; `--clip still`: nothing moves.
// Windows alternate: recording, recording+motion, recording, …, recording; each motion run is
// compared with the mean of the two recording runs around it (CPU readings drift on a VM).
//
// Quality: offline (`quality_mode`): every clip decoded once with the motion feed's scaling,
// then played `--loops` times through the real detector and tracker the way the feed delivers
// frames (key frames while still, `active_fps` after motion, restarts costing a key frame);
// see motion-quality.ts. Offline because the frames are then the same on every run and the
// result does not depend on how loaded the machine is; `--quality-only` skips the CPU part,
// `--quality-feed active` analyses every frame at active_fps instead (the most frames, a stricter test).
//
// JSON keys:
//   cameras, clip, seconds, runs      what was measured (each window after a warm-up)
//   truth_size                        the ground-truth clips' size (`--truth-size`): full 640x360, small 320x180
//   busy_share                        share of camera-time with true motion (truth clips)
//   recording_cpu_pct                 edge process + its ffmpeg children, recording only, % of one core
//   recording_motion_cpu_pct          the same with motion detection on
//   motion_cpu_pct                    added by motion detection (median over runs); target ≤ 50
//   motion_per_camera_pct             the same per camera
//   per_run[].motion_node_cpu_pct     of motion_cpu_pct, what the edge's Node process added (detector, pipes); the rest is ffmpeg
//   motion_own_cpu_pct                the motion feeds' ffmpeg processes' own CPU (each sampled every 200 ms) + what the
//                                     Node process added (median over runs): what motion costs, without the difference
//                                     of two windows that a shared box's neighbours move (edge-window.ts)
//   per_run[].recorder_ffmpeg_cpu_pct[_with_motion]  the recorders' ffmpeg alone, without and with motion: the check that
//                                     motion does not slow recording in a way the own-CPU figure would not see
//   per_run[].unsampled_cpu_pct       children's CPU after their last sample (exited feeds), in neither figure by role
//   events                            motion events stored during the motion windows
//   quality_mode                      how quality was measured
//   recall                            true motion intervals detected / all; target ≥ 0.95
//   false_events_per_hour             events with no true motion, per hour of distractor footage; target ≤ 1
//   latency_p95_ms                    true start → event start; target ≤ one GOP + 1000
//   thumbnail_p95_ms                  true start → the frame whose picture the event keeps first
//   quality                           the detail: counts, hours, per-scenario events
//   quality.clip_sha256               per clip, the start of its video's SHA-256 (renders are byte-identical; a run scored other bytes if these differ)
//   per_run                           every CPU run's numbers
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printAndSave } from './report.ts';
import { alternateWindows, benchLog as log, measureEdgeWindow, median, round2 as round, windowNumbers, windowOptions } from './edge-window.ts';
import { parseSceneClip, startMotionScene } from './motion-scene.ts';
import { loadGroundTruth, parseSizeName, type GroundTruthClip } from '../motion-truth/ground-truth.ts';
import { decodeClip, defaultFeedModel, p95, scoreClips } from './motion-quality.ts';

const { values } = parseArgs({
  options: {
    ...windowOptions,
    // truth: the ground-truth clips; crossing: a box crosses for 6 s of every 20; still: nothing moves.
    clip: { type: 'string', default: 'truth' },
    // Quality: how many times each ground-truth clip is played offline.
    loops: { type: 'string', default: '25' },
    'quality-only': { type: 'boolean', default: false },
    // pipeline: frames as the feed delivers them; active: every frame at active_fps (stricter).
    'quality-feed': { type: 'string', default: 'pipeline' },
    // The ground-truth clips' size: full (640x360 15 fps, a typical sub stream), small (320x180,
    // the same scenes: a camera whose sub or third stream is set that small) or full-5fps
    // (640x360 at 5 fps: a sub stream whose frame rate is set to 5).
    'truth-size': { type: 'string', default: 'full' },
  },
});
const CLIP = parseSceneClip(values.clip, ['truth', 'crossing', 'still']);
if (values['quality-feed'] !== 'pipeline' && values['quality-feed'] !== 'active') throw new Error('--quality-feed must be pipeline or active');
const FEED = { ...defaultFeedModel, alwaysActive: values['quality-feed'] === 'active' };
const TRUTH_SIZE = parseSizeName(values['truth-size'], '--truth-size');
const LOOPS = Number(values.loops);
if (!Number.isInteger(LOOPS) || LOOPS <= 0) throw new Error('--loops must be a positive integer');
const { cameras: N, seconds: T, warmup: W, runs: RUNS } = windowNumbers(values);
const GOP_MS = 2000;

/** Quality on the ground-truth set, offline (see motion-quality.ts). */
async function quality(clips: GroundTruthClip[]) {
  log(`quality: decoding ${clips.length} ground-truth clips, playing each ${LOOPS} times`);
  const decoded = [];
  for (const c of clips) decoded.push(await decodeClip(c));
  const q = scoreClips(decoded, LOOPS, FEED);
  const s = q.score;
  return {
    quality_mode: `offline: each ground-truth clip decoded as the motion feed decodes it (160x90 gray, loop filter skipped), played ${LOOPS} times through detector + tracker ${
      FEED.alwaysActive ? `with every frame at ${FEED.activeFps} fps (no key-frame-only phase)` : `with the feed's frame choice (key frames while still, ${FEED.activeFps} fps while active, ${FEED.restartMs} ms restart + next key frame on each switch)`
    }`,
    recall: s.recall === null ? null : Math.round(s.recall * 1000) / 1000,
    false_events_per_hour: s.falseEventsPerHour === null ? null : round(s.falseEventsPerHour),
    latency_p95_ms: s.latencyMs ? Math.round(s.latencyMs.p95) : null,
    latency_target_ms: GOP_MS + 1000,
    thumbnail_p95_ms: q.thumbnailMs.length ? Math.round(p95(q.thumbnailMs)!) : null,
    quality: {
      loops: LOOPS,
      true_intervals: s.trueIntervals,
      detected: s.detected,
      false_events_on_distractors: s.falseEventsOnDistractors,
      false_events_on_motion_clips: s.falseEventsOnMotionClips,
      distractor_hours: round(s.distractorHours),
      latency_ms: s.latencyMs && { p50: Math.round(s.latencyMs.p50), p95: Math.round(s.latencyMs.p95), max: Math.round(s.latencyMs.max) },
      frames_analysed: q.framesAnalysed,
      active_share: round(q.activeShare),
      switches_per_hour: Math.round(q.switchesPerHour),
      scenarios: q.perClip,
      // The recall follows the exact pixels (a fast car is seen in one or two frames), so a
      // run names the bytes it scored: two runs compare only when these match.
      clip_sha256: Object.fromEntries(clips.map((c) => [c.name, createHash('sha256').update(readFileSync(c.path)).digest('hex').slice(0, 16)])),
    },
  };
}

/** Share of camera-time with true motion in some zone, camera i playing clips[i mod n]. */
function busyShare(clips: GroundTruthClip[], cameras: number): number {
  let busy = 0;
  let total = 0;
  for (let i = 0; i < cameras; i++) {
    const t = clips[i % clips.length]!.truth;
    const spans = t.intervals.map((iv) => [iv.start, iv.end] as const).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let end = -Infinity;
    for (const [a, b] of spans) {
      if (b <= end) continue;
      covered += b - Math.max(a, end);
      end = b;
    }
    busy += covered;
    total += t.frames / t.fps;
  }
  return total ? busy / total : 0;
}

const truthClips = await loadGroundTruth({ size: TRUTH_SIZE, onLog: log });
const q = await quality(truthClips);
if (values['quality-only']) {
  printAndSave({ cameras: 0, truth_size: TRUTH_SIZE, ...q }, values.json);
  process.exit(0);
}
const root = mkdtempSync(join(tmpdir(), 'cunbox-bench-motion-'));
const { sim, cameraLines } = await startMotionScene(CLIP, N, truthClips);
try {
  const runs = await alternateWindows(RUNS, (name, motion) => measureEdgeWindow({ sim, dir: join(root, name), motion, warmupSeconds: W, seconds: T, cameraLines, log }));
  const perRun = runs.map((r) => ({
    recording_cpu_pct: round(r.recordingCpuPct),
    recording_cpu_pct_around: r.recordingAround.map(round),
    recording_motion_cpu_pct: round(r.withMotion.cpuPct),
    motion_cpu_pct: round(r.withMotion.cpuPct - r.recordingCpuPct),
    motion_node_cpu_pct: round(r.withMotion.nodeCpuPct - r.recordingNodeCpuPct),
    motion_ffmpeg_cpu_pct: round(r.withMotion.ffmpegCpuPct.motion),
    motion_own_cpu_pct: round(r.withMotion.ffmpegCpuPct.motion + r.withMotion.nodeCpuPct - r.recordingNodeCpuPct),
    recorder_ffmpeg_cpu_pct: round(r.recordingFfmpegCpuPct),
    recorder_ffmpeg_cpu_pct_with_motion: round(r.withMotion.ffmpegCpuPct.recording),
    other_ffmpeg_cpu_pct: round(r.withMotion.ffmpegCpuPct.other),
    unsampled_cpu_pct: round(r.withMotion.unsampledCpuPct),
    events: r.withMotion.events,
  }));
  const extra = median(perRun.map((p) => p.motion_cpu_pct));
  const own = median(perRun.map((p) => p.motion_own_cpu_pct));
  const rec = median(perRun.map((p) => p.recording_cpu_pct));
  const mot = median(perRun.map((p) => p.recording_motion_cpu_pct));
  printAndSave(
    {
      cameras: N,
      clip: CLIP,
      truth_size: TRUTH_SIZE,
      seconds: T,
      runs: RUNS,
      busy_share: CLIP === 'truth' ? round(busyShare(truthClips, N)) : null,
      recording_cpu_pct: rec,
      recording_motion_cpu_pct: mot,
      motion_cpu_pct: extra,
      motion_per_camera_pct: round(extra / N),
      motion_own_cpu_pct: own,
      motion_own_per_camera_pct: round(own / N),
      events: perRun.reduce((s, p) => s + p.events, 0),
      ...q,
      per_run: perRun,
    },
    values.json,
  );
} finally {
  await sim.stop();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
