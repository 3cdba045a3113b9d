/**
 * ONVIF events of one camera as a motion/tamper source: keeps a PullPoint
 * subscription alive and turns its notifications into stored events.
 *
 * Meant to be long-lived: a failed subscribe or pull (camera restarted and
 * forgot the subscription, refused connection, garbage reply) waits out a
 * backoff and subscribes again, until stop(). It never throws to its caller.
 * A camera without the Events service is left alone after one look.
 *
 * Every notification is stamped on receipt with our clock: cameras' clocks
 * drift, and some send 0000-00-00T00:00:00Z. PullMessages is a long poll, so
 * receipt is within a round trip of the camera raising it. The camera's own
 * time, when it is a real one, goes into the event's detail.
 */
import { MOTION_EVENT_TYPE, MOTION_START_EVENT_TYPE, TAMPER_EVENT_TYPE, TAMPER_START_EVENT_TYPE, type EpisodeStartDetail, type MotionEventDetail, type TamperEventDetail } from '@cunbox/shared';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { Backoff, type BackoffPolicy } from '../../recorder/backoff.ts';
import type { OnvifTarget } from '../address.ts';
import type { OnvifCredentials } from '../client.ts';
import { Episodes, type EpisodeAction } from './episodes.ts';
import { readNotifications, type AlarmKind } from './notification.ts';
import { PullPoint } from './pullpoint.ts';

/**
 * Where events go: the event store, in the model both motion sources share
 * (shared/src/sync/protocol.ts): `motion.start` / `tamper.start` when an
 * episode opens, and the summary `motion` / `tamper`, dated at the start, when it ends.
 */
export interface AlarmSink {
  record(cameraId: number, type: string, detail: Record<string, unknown>, atMs: number): number;
}

const START_TYPE: Record<AlarmKind, string> = { motion: MOTION_START_EVENT_TYPE, tamper: TAMPER_START_EVENT_TYPE };
const SUMMARY_TYPE: Record<AlarmKind, string> = { motion: MOTION_EVENT_TYPE, tamper: TAMPER_EVENT_TYPE };

export type CameraEventsState = 'idle' | 'connecting' | 'subscribed' | 'retrying' | 'unsupported' | 'stopped';

export interface CameraEventsSettings {
  /** An alarm off for less than this and on again is one episode. */
  mergeGapMs: number;
  /** Per ONVIF request (the long poll has its own). */
  requestTimeoutMs: number;
  backoff: BackoffPolicy;
  /** An empty PullMessages answered faster than this is a camera not long-polling: wait the rest. */
  minPullMs: number;
  /** Floor for the delay after a refused login: cameras lock the account after a few bad ones. */
  authRetryMinMs: number;
}

const defaultCameraEventsSettings: CameraEventsSettings = {
  mergeGapMs: 10_000,
  requestTimeoutMs: 5_000,
  backoff: { baseMs: 2_000, maxMs: 120_000, budget: 10, windowMs: 10 * 60_000 },
  minPullMs: 1_000,
  authRetryMinMs: 60_000,
};

export interface CameraEventsDeps {
  cameraId: number;
  target: OnvifTarget;
  credentials: OnvifCredentials;
  clock: Clock;
  log: Logger;
  sink: AlarmSink;
  settings?: Partial<CameraEventsSettings>;
  random?: () => number;
}

export interface CameraEventsStatus {
  cameraId: number;
  state: CameraEventsState;
  /** Subscriptions made since start (1 + resubscriptions). */
  subscriptions: number;
  /** Alarm kinds with an episode open now. */
  open: string[];
  /** Motion and tamper notifications received since start. */
  received: number;
  lastError: string | null;
  /** While retrying: when the next subscribe starts (our clock). */
  retryAt: number | null;
}

export class CameraEvents {
  readonly #deps: CameraEventsDeps;
  readonly #settings: CameraEventsSettings;
  readonly #backoff: Backoff;
  readonly #episodes: Episodes;
  #state: CameraEventsState = 'idle';
  #session: PullPoint | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;
  /** Bumped by stop(): a loop still inside a long poll from before a stop must not carry on after a new start. */
  #generation = 0;
  #subscriptions = 0;
  #received = 0;
  #lastError: string | null = null;
  #retryAt: number | null = null;
  /** Start rows' ids, so an end names the start it closes. */
  #startIds = new Map<string, number | null>();
  #dueTimer: unknown;
  #wake: (() => void) | undefined;
  #sleepTimer: unknown;

  constructor(deps: CameraEventsDeps) {
    this.#deps = deps;
    this.#settings = { ...defaultCameraEventsSettings, ...deps.settings };
    this.#backoff = new Backoff(this.#settings.backoff, deps.random);
    this.#episodes = new Episodes(this.#settings.mergeGapMs);
  }

  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#run(this.#generation).catch((err: unknown) => {
      // #run handles its own failures; this is a bug, not a camera problem.
      this.#deps.log.error({ err, cameraId: this.#deps.cameraId }, 'ONVIF events loop failed');
    });
  }

  /** Unsubscribes (bounded by the request timeout), ends open episodes, and stops. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#stopping = true;
    this.#generation++;
    this.#deps.clock.clearTimeout(this.#dueTimer);
    this.#deps.clock.clearTimeout(this.#sleepTimer);
    this.#wake?.();
    const session = this.#session;
    this.#session = undefined;
    // The camera answers the pending long poll when its subscription goes; the loop then sees #stopping.
    if (session) {
      await session.unsubscribe();
      session.close();
    }
    this.#apply(this.#episodes.closeAll(this.#deps.clock.now()));
    this.#state = 'stopped';
    this.#running = undefined;
  }

  status(): CameraEventsStatus {
    return { cameraId: this.#deps.cameraId, state: this.#state, subscriptions: this.#subscriptions, open: this.#episodes.open, received: this.#received, lastError: this.#lastError, retryAt: this.#retryAt };
  }

  #live(generation: number): boolean {
    return !this.#stopping && generation === this.#generation;
  }

  async #run(generation: number): Promise<void> {
    const { clock, log, cameraId } = this.#deps;
    while (this.#live(generation)) {
      try {
        this.#state = 'connecting';
        this.#backoff.recordStart(clock.now());
        const session = new PullPoint(this.#deps.target, this.#deps.credentials, clock, this.#settings.requestTimeoutMs);
        // Held from the start, so that stop() can end a connect still in flight.
        this.#session = session;
        const opened = await session.open();
        if (!this.#live(generation)) return;
        if (opened === 'unsupported') {
          this.#session = undefined;
          session.close();
          this.#state = 'unsupported';
          log.info({ cameraId }, 'camera offers no ONVIF events service; motion comes from video only');
          return;
        }
        this.#subscriptions++;
        this.#state = 'subscribed';
        await this.#pullLoop(session, generation);
      } catch (err) {
        if (!this.#live(generation)) return;
        const failed = this.#session;
        this.#session = undefined;
        if (failed) {
          // After a timeout the camera may still hold it; a restarted camera answers with a fault, which is fine.
          await failed.unsubscribe();
          failed.close();
        }
        if (!this.#live(generation)) return;
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#state = 'retrying';
        const authRefused = (err as { code?: unknown }).code === 'ONVIF_AUTH_FAILED';
        const delay = this.#backoff.next(clock.now(), authRefused ? this.#settings.authRetryMinMs : 0);
        this.#retryAt = clock.now() + delay;
        log.warn({ cameraId, reason: this.#lastError, retryInMs: delay }, 'ONVIF event subscription lost; subscribing again');
        await this.#sleep(delay);
        this.#retryAt = null;
      }
    }
  }

  async #pullLoop(session: PullPoint, generation: number): Promise<void> {
    const { clock } = this.#deps;
    while (this.#live(generation)) {
      if (session.renewDue) await session.renew();
      const askedAt = clock.now();
      const reply = await session.pull();
      if (!this.#live(generation)) return;
      // A pull that worked proves the subscription; the next failure starts from base delay.
      this.#backoff.reset();
      const notes = readNotifications(reply);
      this.#received += notes.length;
      const now = clock.now();
      for (const n of notes) {
        const detail = n.cameraAtMs === null ? {} : { cameraAtMs: n.cameraAtMs };
        this.#apply(this.#episodes.observe(n, now), detail);
      }
      this.#scheduleDue();
      if (notes.length === 0 && now - askedAt < this.#settings.minPullMs) await this.#sleep(this.#settings.minPullMs - (now - askedAt));
    }
  }

  #apply(actions: EpisodeAction[], extra: Record<string, unknown> = {}): void {
    const { cameraId, sink, log } = this.#deps;
    for (const a of actions) {
      try {
        if (a.type === 'start') {
          const detail: EpisodeStartDetail = { v: 1, source: 'onvif', zone: null, topic: a.topic, ...extra };
          this.#startIds.set(a.kind, sink.record(cameraId, START_TYPE[a.kind], { ...detail }, a.atMs));
        } else {
          const startEventId = this.#startIds.get(a.kind) ?? null;
          this.#startIds.delete(a.kind);
          const end = { v: 1 as const, source: 'onvif' as const, zone: null, endMs: a.atMs, startEventId, topic: a.topic, reason: a.reason };
          const detail: MotionEventDetail | TamperEventDetail = a.kind === 'motion' ? { ...end, peakAtMs: a.startedAtMs, score: null, labels: [], thumbnail: null } : end;
          sink.record(cameraId, SUMMARY_TYPE[a.kind], { ...detail }, a.startedAtMs);
        }
      } catch (err) {
        // A full disk must not stop the subscription; the next episode tries again.
        log.error({ err, cameraId }, 'could not store an ONVIF event');
      }
    }
  }

  /** Ends wait out the merge gap on the clock, whether or not more notifications come. */
  #scheduleDue(): void {
    const { clock } = this.#deps;
    clock.clearTimeout(this.#dueTimer);
    const at = this.#episodes.nextDueAt();
    if (at === null || this.#stopping) return;
    this.#dueTimer = clock.setTimeout(() => {
      this.#apply(this.#episodes.due(clock.now()));
      this.#scheduleDue();
    }, Math.max(0, at - clock.now()));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = this.#deps.clock.setTimeout(resolve, ms);
    });
  }
}
