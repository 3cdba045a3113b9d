/**
 * One MQTT connection that comes back by itself: the edge's sync client and the
 * cloud's sync engine each hold one. MQTT.js reconnects on a fixed period and
 * without jitter, so a broker restart would see every edge return in the same
 * second; here its own reconnect is off and the peer waits `backoffDelay`
 * (exponential, capped, jittered) on the injected clock between attempts, and
 * subscribes again on every connection (sessions are clean: the broker keeps
 * nothing for us across a drop).
 */
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Clock } from './clock.ts';
import { backoffDelay } from '../sync/window.ts';
import { redactUrls } from './redact.ts';

/** What the peer needs of a logger (pino's shape). */
interface PeerLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
}

export interface MqttPeerDeps {
  url: string;
  /** Asked before every attempt: the edge's will carries the time its connection started. */
  connectOptions: () => Omit<IClientOptions, 'reconnectPeriod'>;
  /** Subscribed at QoS 1 on every connection. */
  subscriptions: readonly string[];
  clock: Clock;
  /** The jitter's source (Math.random in production, fixed in tests). */
  random: () => number;
  backoff: { baseMs: number; maxMs: number };
  log: PeerLogger;
  /** Names the peer in its log lines ('sync', 'cloud sync'). */
  label: string;
  /** Each connection, once its subscriptions are granted: nothing sent before then can miss an answer. */
  onReady?: () => void;
  onMessage: (topic: string, payload: Buffer, packet: IPublishPacket) => void;
  /** The connection is gone (not after stop()); what was in flight on it may be lost. Called before the retry is scheduled. */
  onDown?: () => void;
}

export class ReconnectingMqttPeer {
  readonly #deps: MqttPeerDeps;
  #client: MqttClient | undefined;
  #retry: unknown;
  #attempt = 0;
  #stopped = true;

  constructor(deps: MqttPeerDeps) {
    this.#deps = deps;
  }

  /** Connected to the broker right now (subscriptions may still be on their way). */
  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  start(): void {
    this.#stopped = false;
    this.#attempt = 0;
    this.#connect();
  }

  /**
   * Ends the connection and any pending retry. `goodbye`, when connected: a last
   * word (the edge's offline presence) that, acked within `graceMs`, is followed
   * by a clean DISCONNECT. Every wait is bounded by `graceMs` on the clock: a
   * broker that goes away at this moment never answers, and MQTT.js (without
   * its own reconnect) never settles.
   */
  async stop(opts: { goodbye?: (client: MqttClient) => Promise<unknown>; graceMs?: number } = {}): Promise<void> {
    const graceMs = opts.graceMs ?? 2000;
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = undefined;
    if (!c) return;
    if (!opts.goodbye) {
      await this.#within(graceMs, c.endAsync(true));
      return;
    }
    if (c.connected && (await this.#within(graceMs, opts.goodbye(c))) && (await this.#within(graceMs, c.endAsync(false)))) return;
    // Not connected, or the broker did not answer in time: drop the socket (the will stands in).
    // A graceful end still waiting for the broker ignores a second end(), hence the destroy;
    // endAsync waits for the socket's close event, which never comes again if it already closed.
    c.stream?.destroy();
    await this.#within(graceMs, c.endAsync(true));
  }

  /** QoS 1 unless told; dropped when there is no connection (MQTT.js queues it while one is being made). */
  publish(topic: string, payload: Buffer | string, opts: IClientPublishOptions = { qos: 1 }): void {
    this.#client?.publish(topic, payload, opts);
  }

  /** Whether `p` settled within `ms` (a rejection counts as not done). */
  async #within(ms: number, p: Promise<unknown>): Promise<boolean> {
    const { clock } = this.#deps;
    let timer: unknown;
    const late = new Promise<false>((resolve) => (timer = clock.setTimeout(() => resolve(false), ms)));
    const done = p.then(() => true, () => false);
    try {
      return await Promise.race([done, late]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  #connect(): void {
    const { url, log, label, clock } = this.#deps;
    const client = mqtt.connect(url, { ...this.#deps.connectOptions(), reconnectPeriod: 0 });
    this.#client = client;
    client.on('connect', () => {
      this.#attempt = 0;
      log.info({ url: redactUrls(url) }, `${label} connected to the broker`);
      client.subscribe([...this.#deps.subscriptions], { qos: 1 }, (err) => {
        if (this.#client !== client) return;
        if (err) {
          // Refused subscriptions leave a connection that hears nothing: drop it and try again later.
          log.warn({ err: redactUrls(err.message) }, `${label} subscriptions refused`);
          client.stream?.destroy();
          return;
        }
        this.#deps.onReady?.();
      });
    });
    client.on('message', (t, payload, packet) => this.#deps.onMessage(t, payload, packet));
    client.on('error', (err) => log.warn({ err: redactUrls(err.message) }, `${label} MQTT error`));
    client.on('close', () => {
      if (this.#client !== client) return;
      client.removeAllListeners('close');
      client.end(true);
      this.#client = undefined;
      this.#deps.onDown?.();
      if (this.#stopped) return;
      const delay = backoffDelay(this.#attempt++, this.#deps.backoff, this.#deps.random);
      log.info({ delayMs: delay }, `${label} disconnected; reconnecting`);
      this.#retry = clock.setTimeout(() => this.#connect(), delay);
    });
  }
}
