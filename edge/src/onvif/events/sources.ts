/**
 * ONVIF events for every camera that should have them: which cameras (the
 * plan, pure), and one CameraEvents per camera started and stopped together.
 */
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { parseOnvifAddress, type OnvifTarget } from '../address.ts';
import type { OnvifCredentials } from '../client.ts';
import { CameraEvents, type AlarmSink, type CameraEventsStatus } from './camera-events.ts';

export type MotionSource = 'video' | 'onvif' | 'both';

/** A camera's `motion.source` and `onvif_events` settings. */
export interface CameraMotionSettings {
  source: MotionSource;
  /** Config's ONVIF address; null: the one provisioning stored, if any. */
  onvifAddress: string | null;
  mergeGapMs: number;
}

/** Both: a camera that offers ONVIF events uses them, and one that does not is skipped cleanly. */
export const defaultCameraMotion: CameraMotionSettings = { source: 'both', onvifAddress: null, mergeGapMs: 10_000 };

export interface EventCamera {
  id: number;
  name: string;
  enabled: boolean;
  onvifUrl: string | null;
  username: string | null;
  password: string | null;
}

export interface PlannedSource {
  cameraId: number;
  target: OnvifTarget;
  credentials: OnvifCredentials;
  mergeGapMs: number;
}

export type SkipReason = 'disabled' | 'video only' | 'no ONVIF address' | 'bad ONVIF address';

export function planOnvifEvents(cameras: readonly EventCamera[], settings: Readonly<Record<string, CameraMotionSettings>>): { sources: PlannedSource[]; skipped: Array<{ cameraId: number; reason: SkipReason }> } {
  const sources: PlannedSource[] = [];
  const skipped: Array<{ cameraId: number; reason: SkipReason }> = [];
  for (const c of cameras) {
    const s = settings[c.name] ?? defaultCameraMotion;
    const address = s.onvifAddress ?? c.onvifUrl;
    const reason: SkipReason | null = !c.enabled ? 'disabled' : s.source === 'video' ? 'video only' : !address ? 'no ONVIF address' : null;
    if (reason || !address) {
      skipped.push({ cameraId: c.id, reason: reason ?? 'no ONVIF address' });
      continue;
    }
    try {
      sources.push({ cameraId: c.id, target: parseOnvifAddress(address), credentials: { username: c.username, password: c.password }, mergeGapMs: s.mergeGapMs });
    } catch {
      skipped.push({ cameraId: c.id, reason: 'bad ONVIF address' });
    }
  }
  return { sources, skipped };
}

export class OnvifEventSources {
  readonly #deps: { clock: Clock; log: Logger; sink: AlarmSink };
  #parts: CameraEvents[] = [];

  constructor(deps: { clock: Clock; log: Logger; sink: AlarmSink }) {
    this.#deps = deps;
  }

  /** Starts one source per planned camera; returns at once (subscribing happens in the background). */
  start(planned: readonly PlannedSource[]): void {
    const { clock, log, sink } = this.#deps;
    this.#parts = planned.map((p) => new CameraEvents({ cameraId: p.cameraId, target: p.target, credentials: p.credentials, clock, log, sink, settings: { mergeGapMs: p.mergeGapMs } }));
    for (const part of this.#parts) part.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.stop()));
  }

  status(): CameraEventsStatus[] {
    return this.#parts.map((p) => p.status());
  }
}
