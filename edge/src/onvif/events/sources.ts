/**
 * ONVIF events for every camera that should have them: which cameras (the
 * plan, pure), and one CameraEvents per camera started and stopped together.
 */
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import type { Logger } from '../../log.ts';
import { parseOnvifAddress, type OnvifTarget } from '../address.ts';
import type { OnvifCredentials } from '../client.ts';
import { CameraEvents, type AlarmSink, type CameraEventsStatus } from './camera-events.ts';

type MotionSource = 'video' | 'onvif' | 'both';

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

export interface OnvifEventSourcesDeps {
  clock: Clock;
  log: Logger;
  sink: AlarmSink;
  /** For `PRAGMA data_version`: it changes when the CLI (another connection) edits cameras. */
  db: Db;
  cameras: () => readonly EventCamera[];
  settings: Readonly<Record<string, CameraMotionSettings>>;
  pollMs?: number;
}

/**
 * One CameraEvents per planned camera, kept in line with the camera table the
 * way the recorder is: a cheap poll of the database's data_version, so a camera
 * added, disabled or given a new password by the CLI follows within seconds.
 */
export class OnvifEventSources {
  readonly #deps: OnvifEventSourcesDeps;
  readonly #parts = new Map<number, { part: CameraEvents; key: string }>();
  #timer: unknown;
  #dataVersion = -1;
  #syncing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: OnvifEventSourcesDeps) {
    this.#deps = deps;
  }

  /** Returns at once: subscribing happens in the background. */
  start(): void {
    this.#stopped = false;
    this.#dataVersion = this.#version();
    void this.sync();
    this.#timer = this.#deps.clock.setInterval(() => {
      const version = this.#version();
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      void this.sync();
    }, this.#deps.pollMs ?? 2000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.clock.clearInterval(this.#timer);
    await this.#syncing;
    await Promise.all([...this.#parts.values()].map(({ part }) => part.stop()));
    this.#parts.clear();
  }

  /** Brings the running sources in line with the plan. Serialised. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((err: unknown) => this.#deps.log.error({ err }, 'ONVIF events: camera sync failed'));
    return this.#syncing;
  }

  status(): CameraEventsStatus[] {
    return [...this.#parts.values()].map(({ part }) => part.status()).sort((a, b) => a.cameraId - b.cameraId);
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const { clock, log, sink } = this.#deps;
    const plan = planOnvifEvents(this.#deps.cameras(), this.#deps.settings);
    const wanted = new Map(plan.sources.map((p) => [p.cameraId, p]));
    const stops: Promise<void>[] = [];
    for (const [id, { part, key }] of this.#parts) {
      const next = wanted.get(id);
      if (!next || keyOf(next) !== key) {
        this.#parts.delete(id);
        stops.push(part.stop());
      }
    }
    await Promise.all(stops);
    for (const skip of plan.skipped) {
      if (skip.reason === 'bad ONVIF address') log.warn({ cameraId: skip.cameraId }, 'ONVIF events skipped: the ONVIF address cannot be read');
    }
    for (const [id, p] of wanted) {
      if (this.#parts.has(id) || this.#stopped) continue;
      const part = new CameraEvents({ cameraId: id, target: p.target, credentials: p.credentials, clock, log: log.child({ cameraId: id }), sink, settings: { mergeGapMs: p.mergeGapMs } });
      this.#parts.set(id, { part, key: keyOf(p) });
      part.start();
    }
  }

  #version(): number {
    return this.#deps.db.pragma('data_version', { simple: true }) as number;
  }
}

/** What a running source depends on: a change restarts it. */
function keyOf(p: PlannedSource): string {
  return JSON.stringify([p.target.url, p.credentials.username, p.credentials.password, p.mergeGapMs]);
}
