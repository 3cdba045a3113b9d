/**
 * What the relay needs to know about a camera and its recordings, read from
 * the edge's camera registry and segment index: the URLs it pulls pictures
 * and live video from, and the clips it cuts.
 */
import type { Clock } from '../clock.ts';
import { authenticatedUrl, type CameraRegistry } from '../cameras/registry.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import type { LiveSource } from '../playback/live.ts';
import { cutClip } from '../playback/clip.ts';
import type { Layout } from '../storage/layout.ts';
import type { SegmentIndex } from '../storage/segment-index.ts';

/** The camera's sub-stream URL (its main one without a sub) with its credentials; undefined: no such camera. */
export function relayCameraUrl(registry: CameraRegistry, id: number): string | undefined {
  return relayLiveSource(registry, id)?.url;
}

/** What a phone's live view streams. */
export function relayLiveSource(registry: CameraRegistry, id: number): LiveSource | undefined {
  const cam = registry.withSecrets(id);
  // A phone on a mobile link gets the sub stream: a fraction of the main one's bytes, and H.264 on most cameras.
  return cam && { cameraId: id, stream: cam.subUrl ? 'sub' : 'main', url: authenticatedUrl(cam.subUrl ?? cam.mainUrl, cam.username, cam.password) };
}

/** Cuts the camera's recordings over `range` into an MP4 at `out`; throws NO_FOOTAGE when nothing was recorded. */
export async function relayClip(
  recordings: { index: SegmentIndex; layout: Layout; spawner: Spawner; clock: Clock; ffmpegPath?: string },
  id: number,
  range: { fromMs: number; toMs: number },
  out: string,
): Promise<void> {
  await cutClip(recordings, recordings.index.forCamera(id, range.fromMs, range.toMs), range, out);
}
