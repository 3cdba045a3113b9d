import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CameraRegistry, CameraWithSecrets } from '../cameras/registry.ts';
import type { Db } from '../db/database.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import type { Layout } from '../storage/layout.ts';
import { CameraRecorder, type RecorderSettings } from './camera-recorder.ts';
import type { CameraStatus, RecorderSink } from './types.ts';

export interface RecorderDeps {
  db: Db;
  registry: CameraRegistry;
  clock: Clock;
  spawner: Spawner;
  log: Logger;
  layout: Layout;
  settings: RecorderSettings;
  sink: RecorderSink;
  /** How often the camera table is checked for changes made by the CLI. */
  pollMs?: number;
}

/**
 * Keeps one CameraRecorder per enabled camera. The CLI edits cameras in the
 * same SQLite file from another process; `PRAGMA data_version` changes when it
 * commits, so a cheap poll picks changes up within seconds, no restart needed.
 */
export class Recorder {
  readonly #deps: RecorderDeps;
  readonly #recorders = new Map<number, CameraRecorder>();
  #timer: unknown;
  #dataVersion = -1;
  #syncing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: RecorderDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.sync();
    this.#timer = this.#deps.clock.setInterval(() => this.#poll(), this.#deps.pollMs ?? 2000);
  }

  /** Stops every camera at once; from the first line on, no camera recorder is started again. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.clock.clearInterval(this.#timer);
    const now = [...this.#recorders.values()].map((r) => r.stop());
    await this.#syncing;
    // A sync that was under way may have started recorders after the line above.
    await Promise.all([...now, ...[...this.#recorders.values()].map((r) => r.stop())]);
    this.#recorders.clear();
  }

  /** Cameras whose stop has begun but not finished (their ffmpeg or last indexing still pending). */
  stopping(): number[] {
    return [...this.#recorders.values()].filter((r) => r.stopping).map((r) => r.cameraId);
  }

  status(): CameraStatus[] {
    return [...this.#recorders.values()].map((r) => r.status()).sort((a, b) => a.cameraId - b.cameraId);
  }

  recorder(cameraId: number): CameraRecorder | undefined {
    return this.#recorders.get(cameraId);
  }

  #poll(): void {
    const version = this.#deps.db.pragma('data_version', { simple: true }) as number;
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    void this.sync();
  }

  /** Brings the running recorders in line with the camera table. Serialised. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((err) => this.#deps.log.error({ err }, 'camera sync failed'));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const wanted = new Map<number, CameraWithSecrets>();
    for (const cam of this.#deps.registry.listWithSecrets()) if (cam.enabled) wanted.set(cam.id, cam);
    const stops: Promise<void>[] = [];
    for (const [id, rec] of this.#recorders) {
      const next = wanted.get(id);
      if (!next || changed(rec.camera, next)) {
        this.#recorders.delete(id);
        this.#deps.log.info({ cameraId: id, reason: next ? 'changed' : 'removed or disabled' }, 'stopping camera recorder');
        stops.push(rec.stop());
      }
    }
    await Promise.all(stops);
    for (const [id, cam] of wanted) {
      const running = this.#recorders.get(id);
      if (running) {
        // A rename or a new zone: no restart, but status shows the new name.
        running.updateCamera(cam);
        continue;
      }
      if (this.#stopped) return;
      const rec = new CameraRecorder({ ...this.#deps, camera: cam, log: this.#deps.log.child({ cameraId: id, camera: cam.name }) });
      this.#recorders.set(id, rec);
      rec.start();
    }
  }
}

/** Only what changes the ffmpeg command restarts a recorder; a rename does not. */
function changed(a: CameraWithSecrets, b: CameraWithSecrets): boolean {
  return a.mainUrl !== b.mainUrl || a.username !== b.username || a.password !== b.password;
}
