import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENT_THUMBNAIL_KIND, MOTION_EVENT_TYPE, MOTION_START_EVENT_TYPE, type EpisodeStartDetail, type MotionEventDetail } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { authenticatedUrl, type CameraRegistry, type CameraWithSecrets } from '../cameras/registry.ts';
import type { EventStore } from '../events/event-store.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import type { MediaQueue } from '../sync/media-queue.ts';
import type { Layout } from '../storage/layout.ts';
import { CameraMotion, defaultMotionFeedSettings, type FinishedMotion, type MotionFeedSettings, type StartedMotion } from './camera-motion.ts';
import { defaultDetectorSettings, thresholdFor } from './detector.ts';
import type { MotionSettingsStore, CameraMotionSettings } from './settings-store.ts';
import type { TrackerSettings } from './tracker.ts';
import type { MotionMode } from './args.ts';
import { pruneThumbnails } from './thumbnail-retention.ts';

const PRUNE_EVERY_MS = 3_600_000;

export interface MotionServiceDeps {
  db: Db;
  registry: CameraRegistry;
  settingsStore: MotionSettingsStore;
  events: EventStore;
  layout: Layout;
  clock: Clock;
  spawner: Spawner;
  log: Logger;
  tracker: TrackerSettings;
  feed: Partial<MotionFeedSettings>;
  /** Thumbnails are queued here for the cloud when sync runs; absent: kept on the box only. */
  media?: MediaQueue;
  /** How often the camera and motion tables are checked for changes (CLI, API). */
  pollMs?: number;
  /** Days a camera's footage is kept (its own, else the default): its thumbnails go with it. */
  retentionDays?: (cameraId: number) => number;
  /** Told of every stored motion summary (tests, metrics). */
  onEvent?: (id: number, e: FinishedMotion) => void;
  /** Told of every stored motion start (tests, benchmarks). */
  onStart?: (id: number, e: StartedMotion) => void;
  onMode?: (cameraId: number, mode: MotionMode) => void;
}

/**
 * One motion feed per enabled camera whose motion is on. Like the recorder it
 * follows the camera and motion tables (a cheap data_version poll), restarting
 * a feed only when what it runs with changed. An event's start becomes a
 * `motion.start` row the moment the tracker opens it; its end a `motion`
 * summary row (dated at the start) with the thumbnail beside. Both rows are
 * the cloud's outbox.
 */
export class MotionService {
  readonly #d: MotionServiceDeps;
  readonly #feeds = new Map<number, { feed: CameraMotion; key: string }>();
  #timer: unknown;
  #pruneTimer: unknown;
  #dataVersion = -1;
  #syncing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: MotionServiceDeps) {
    this.#d = deps;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#dataVersion = this.#d.db.pragma('data_version', { simple: true }) as number;
    await this.sync();
    this.#timer = this.#d.clock.setInterval(() => this.#poll(), this.#d.pollMs ?? 2000);
    this.#prune();
    this.#pruneTimer = this.#d.clock.setInterval(() => this.#prune(), PRUNE_EVERY_MS);
  }

  #prune(): void {
    const days = this.#d.retentionDays;
    if (!days) return;
    try {
      const removed = pruneThumbnails(this.#d.layout, this.#d.clock.now(), days);
      if (removed > 0) this.#d.log.info({ days: removed }, 'old motion thumbnails deleted');
    } catch (err) {
      this.#d.log.warn({ err }, 'cannot delete old motion thumbnails');
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#d.clock.clearInterval(this.#timer);
    this.#d.clock.clearInterval(this.#pruneTimer);
    await this.#syncing;
    await Promise.all([...this.#feeds.values()].map((f) => f.feed.stop()));
    this.#feeds.clear();
  }

  /** The newest picture of a camera's motion feed, if one runs (the snapshot wall reuses it). */
  latestPicture(cameraId: number): { jpeg: Buffer; atMs: number } | undefined {
    return this.#feeds.get(cameraId)?.feed.latestPicture;
  }

  /** Cameras analysed now, and each one's mode. */
  status(): Array<{ cameraId: number; mode: MotionMode }> {
    return [...this.#feeds.values()].map((f) => ({ cameraId: f.feed.cameraId, mode: f.feed.mode }));
  }

  #poll(): void {
    const version = this.#d.db.pragma('data_version', { simple: true }) as number;
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    void this.sync();
  }

  /** Brings the feeds in line with the tables; also what a change through this process's API calls. Serialised. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((err: unknown) => this.#d.log.error({ err }, 'motion sync failed'));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const wanted = new Map<number, { cam: CameraWithSecrets; settings: CameraMotionSettings; key: string }>();
    for (const cam of this.#d.registry.listWithSecrets()) {
      if (!cam.enabled) continue;
      const settings = this.#d.settingsStore.get(cam.id);
      if (!settings.enabled) continue;
      wanted.set(cam.id, { cam, settings, key: JSON.stringify([cam.subUrl ?? cam.mainUrl, cam.username, cam.password, settings]) });
    }
    const stops: Promise<void>[] = [];
    for (const [id, f] of this.#feeds) {
      if (wanted.get(id)?.key === f.key) continue;
      this.#feeds.delete(id);
      stops.push(f.feed.stop());
    }
    await Promise.all(stops);
    for (const [id, w] of wanted) {
      if (this.#feeds.has(id) || this.#stopped) continue;
      const feed = this.#feedFor(w.cam, w.settings);
      this.#feeds.set(id, { feed, key: w.key });
      feed.start();
    }
  }

  #feedFor(cam: CameraWithSecrets, s: CameraMotionSettings): CameraMotion {
    const { clock, spawner, log } = this.#d;
    return new CameraMotion({
      cameraId: cam.id,
      // Without a sub stream the main one is analysed: key frames only, but at full size (more CPU).
      url: authenticatedUrl(cam.subUrl ?? cam.mainUrl, cam.username, cam.password),
      detector: {
        ...defaultDetectorSettings,
        threshold: thresholdFor(s.sensitivity),
        minArea: s.minAreaPercent / 100,
        zones: s.zones.map((z) => ({ name: z.name, points: z.points })),
        masks: s.masks.map((m) => m.points),
      },
      tracker: this.#d.tracker,
      settings: { ...defaultMotionFeedSettings, ...this.#d.feed },
      clock,
      spawner,
      log: log.child({ cameraId: cam.id, camera: cam.name }),
      sink: { motionStarted: (e) => this.#storeStart(e), motionEnded: (e) => this.#store(e), modeChanged: (id, mode) => this.#d.onMode?.(id, mode) },
    });
  }

  #storeStart(e: StartedMotion): number {
    const detail: EpisodeStartDetail = { v: 1, source: 'video', zone: e.zone };
    const id = this.#d.events.record(e.cameraId, MOTION_START_EVENT_TYPE, { ...detail }, e.startMs);
    this.#d.onStart?.(id, e);
    return id;
  }

  /** Thumbnail first (a row never names a picture that is not there), then the row, then the upload. */
  #store(e: FinishedMotion): void {
    const { layout, events, media, log } = this.#d;
    let thumbnail: MotionEventDetail['thumbnail'] = null;
    let file: string | undefined;
    if (e.thumbnail) {
      try {
        const sha256 = createHash('sha256').update(e.thumbnail).digest('hex');
        file = layout.absolute(layout.thumbnailPath(e.cameraId, e.startMs, sha256));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(`${file}.part`, e.thumbnail);
        renameSync(`${file}.part`, file);
        thumbnail = { sha256, bytes: e.thumbnail.length };
      } catch (err) {
        log.warn({ err, cameraId: e.cameraId }, 'cannot store a motion thumbnail; the event is kept without it');
        file = undefined;
      }
    }
    const detail: MotionEventDetail = { v: 1, source: 'video', zone: e.zone, endMs: e.endMs, peakAtMs: e.peakAtMs, score: Math.round(e.peakArea * 1e4) / 1e4, labels: [], thumbnail, startEventId: e.startEventId };
    const id = events.record(e.cameraId, MOTION_EVENT_TYPE, { ...detail }, e.startMs);
    if (media && file && thumbnail) {
      try {
        media.enqueue({ path: file, sha256: thumbnail.sha256, size: thumbnail.bytes, kind: EVENT_THUMBNAIL_KIND, ref: `event-${id}`, mime: 'image/jpeg' });
      } catch (err) {
        log.warn({ err }, 'cannot queue a motion thumbnail for the cloud');
      }
    }
    this.#d.onEvent?.(id, e);
  }
}
