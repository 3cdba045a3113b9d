/**
 * One PullPoint subscription on one camera, through the `onvif` package
 * (CreatePullPointSubscription, PullMessages, Renew, Unsubscribe). Every call
 * settles once, within a deadline, and fails with a CameraProblemError; the
 * supervisor (camera-events.ts) decides what a failure means.
 *
 * The package asks for a 2-minute subscription and a 1-minute long poll; the
 * camera may grant less, so the lifetime is read from its reply as a
 * difference of its own two clock readings (CurrentTime, TerminationTime),
 * which stays right whatever the camera's clock says. A camera that sends
 * impossible times (0000-00-00…) gets ASSUMED_LIFETIME_MS, which makes us
 * renew before every pull.
 */
import { Agent } from 'node:http';
import type { Clock } from '../../clock.ts';
import { attempt, classify, newCam, type CamInstance, type Callback, type OnvifCredentials } from '../client.ts';
import type { OnvifTarget } from '../address.ts';

/** The package's PullMessages asks the camera to hold the request up to PT1M. */
const PULL_WAIT_MS = 60_000;
/** Its socket waits 80 s for that reply; our deadline is a little longer. */
const PULL_DEADLINE_MS = 85_000;
const ASSUMED_LIFETIME_MS = 60_000;
/** Renew while a whole long poll and a round trip still fit in the subscription. */
const RENEW_MARGIN_MS = PULL_WAIT_MS + 10_000;

export class PullPoint {
  readonly #cam: CamInstance;
  readonly #target: OnvifTarget;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #agent: Agent;
  #renewAt = 0;

  /** No I/O: open() connects. */
  constructor(target: OnvifTarget, creds: OnvifCredentials, clock: Clock, timeoutMs: number) {
    this.#agent = new Agent();
    this.#cam = newCam(target, creds, timeoutMs, this.#agent);
    this.#target = target;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Connects (clock, services, profiles) and subscribes. `unsupported` when the
   * camera lists no Events service: nothing to retry, the caller skips it.
   */
  async open(): Promise<'subscribed' | 'unsupported'> {
    const cam = this.#cam;
    // connect(): GetSystemDateAndTime (the login digest is stamped with the camera's clock), GetServices/GetCapabilities, GetProfiles…
    await this.#call<unknown>(this.#timeoutMs * 4, (cb) => cam.connect(cb));
    // Without an events address the package would post to a relative path "events".
    if (!cam.uri?.events) return 'unsupported';
    const { data } = await this.#call<Record<string, unknown>>(this.#timeoutMs, (cb) => cam.createPullPointSubscription(cb));
    // The package sends PullMessages, Renew and Unsubscribe to this parsed address, with
    // whatever agent it carries: ours, so that close() can end a long poll.
    const address = (cam.events as { subscription?: { subscriptionReference?: { address?: unknown } } }).subscription?.subscriptionReference?.address;
    if (address && typeof address === 'object') (address as { agent?: Agent }).agent = this.#agent;
    this.#scheduleRenew(data);
    return 'subscribed';
  }

  /**
   * Ends every connection of this session now, whatever is in flight (a long
   * poll a camera holds for a minute, a connect waiting out its deadline), so
   * nothing keeps the process alive after a stop.
   */
  close(): void {
    this.#agent.destroy();
  }

  /** Waits up to PULL_WAIT_MS for notifications; the reply as the package parsed it. */
  async pull(): Promise<unknown> {
    const { data } = await this.#call<unknown>(PULL_DEADLINE_MS, (cb) => this.#cam.pullMessages({ messageLimit: 50 }, cb));
    return data;
  }

  get renewDue(): boolean {
    return this.#clock.now() >= this.#renewAt;
  }

  async renew(): Promise<void> {
    const { data } = await this.#call<Record<string, unknown>>(this.#timeoutMs, (cb) => this.#cam.renew({}, cb));
    this.#scheduleRenew(data);
  }

  /** Best effort: the camera frees the pull point now instead of at its termination time. */
  async unsubscribe(): Promise<void> {
    await this.#call<unknown>(this.#timeoutMs, (cb) => this.#cam.unsubscribe(cb, true)).catch(() => undefined);
  }

  #scheduleRenew(reply: Record<string, unknown> | undefined): void {
    const current = reply?.['currentTime'];
    const termination = reply?.['terminationTime'];
    const granted = current instanceof Date && termination instanceof Date ? termination.getTime() - current.getTime() : NaN;
    const lifetime = Number.isFinite(granted) && granted > 0 ? granted : ASSUMED_LIFETIME_MS;
    this.#renewAt = this.#clock.now() + Math.max(0, lifetime - RENEW_MARGIN_MS);
  }

  async #call<T>(deadlineMs: number, fn: (cb: Callback<T>) => void): Promise<{ data: T | undefined; xml: string | undefined }> {
    const r = await attempt<T>(this.#cam, deadlineMs, fn);
    if ('err' in r) throw classify(r.err, this.#target, r.xml);
    return r;
  }
}
