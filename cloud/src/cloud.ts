/**
 * The cloud's composition root: storage, the broker (embedded Aedes unless the
 * config names an external one), the sync engine and the HTTP API. Nothing
 * does I/O before start(); stop() undoes start() in reverse.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FieldCipher, governanceModels, loadOrCreateKey, systemClock, type Clock } from '@cunbox/shared';
import type { CloudConfig } from './config.ts';
import { SqliteCloudStore, type CloudStore } from './store.ts';
import { asyncMediaIndex, asyncStore, type AsyncCloudStore, type AsyncMediaIndex } from './store-async.ts';
import { openPgDatabase, type PgPool } from './pg/database.ts';
import { PgCloudStore } from './pg/store.ts';
import { PgMediaIndex } from './pg/media-index.ts';
import { EmbeddedBroker } from './broker.ts';
import { MosquittoFiles, mosquittoHash } from './mosquitto-files.ts';
import { CloudSync, type CloudSyncOptions } from './sync.ts';
import { buildCloudApi } from './http.ts';
import { CloudMedia, type MediaOptions } from './media.ts';
import { SqliteMediaIndex } from './media-index.ts';
import { openCloudDatabase, type CloudDb } from './database.ts';
import { CloudMetrics } from './metrics.ts';
import { EdgeAuthenticator, type EdgeAuthOptions } from './edge-auth.ts';
import { LoginLimiter, type LoginLimits } from './phone/rate-limit.ts';
import { CloudRelay, type CloudRelayOptions } from './relay.ts';
import { CloudLiveRelay, type CloudLiveOptions } from './relay-live.ts';
import { findPhoneAppRoot } from './phone-web.ts';

export const SERVICE_USER = 'cunbox-cloud';

/**
 * Failed edge logins (MQTT, media) allowed per edge id and per address in the
 * window. An edge's own reconnects succeed and are cached, so these are spent
 * only by wrong passwords.
 */
export const defaultEdgeAuthLimits: LoginLimits = { perAccount: 10, perAddress: 30, windowMs: 5 * 60_000 };

export class Cloud {
  readonly #config: CloudConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #syncOptions: Partial<CloudSyncOptions>;
  readonly #servicePassword: string | undefined;
  /** The SQLite store (store.kind sqlite only): tests read it synchronously. */
  #sqlite: SqliteCloudStore | undefined;
  #store: AsyncCloudStore | undefined;
  #db: CloudDb | undefined;
  #pool: PgPool | undefined;
  /** What the last database probe found (healthy() answers it and starts the next). */
  #databaseAnswers = true;
  #probing = false;
  #broker: EmbeddedBroker | undefined;
  #sync: CloudSync | undefined;
  #app: FastifyInstance | undefined;
  #media: CloudMedia | undefined;
  #metrics: CloudMetrics | undefined;
  readonly #mediaOptions: Partial<MediaOptions>;
  readonly #edgeAuth: { limits?: Partial<LoginLimits>; options?: Partial<EdgeAuthOptions> };
  #edgeAuthenticator: EdgeAuthenticator | undefined;
  #mosquittoFiles: MosquittoFiles | undefined;
  #relay: CloudRelay | undefined;
  readonly #relayOptions: Partial<CloudRelayOptions>;
  #live: CloudLiveRelay | undefined;
  readonly #liveOptions: Partial<CloudLiveOptions>;
  readonly #phoneApp: string | null | undefined;

  /** `servicePassword`: tests that act as the service user pass one; otherwise it is random per start. `clock`: the system's unless a test drives time. */
  constructor(deps: {
    config: CloudConfig;
    log: Logger;
    clock?: Clock;
    syncOptions?: Partial<CloudSyncOptions>;
    servicePassword?: string;
    mediaOptions?: Partial<MediaOptions>;
    edgeAuth?: { limits?: Partial<LoginLimits>; options?: Partial<EdgeAuthOptions> };
    relayOptions?: Partial<CloudRelayOptions>;
    liveOptions?: Partial<CloudLiveOptions>;
    /** The built phone app served at /m/; absent: cloud/dist/m when built (found at start), null: none. */
    phoneApp?: string | null;
  }) {
    this.#relayOptions = deps.relayOptions ?? {};
    this.#liveOptions = deps.liveOptions ?? {};
    this.#phoneApp = deps.phoneApp;
    this.#mediaOptions = deps.mediaOptions ?? {};
    this.#edgeAuth = deps.edgeAuth ?? {};
    this.#config = deps.config;
    this.#servicePassword = deps.servicePassword;
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#syncOptions = deps.syncOptions ?? {};
  }

  /** The SQLite store, read synchronously (tests, tools); the asynchronous `data` is the one on either database. */
  get store(): CloudStore {
    if (this.#config.store?.kind === 'postgres') throw new Error('the cloud runs on PostgreSQL: use cloud.data');
    if (!this.#sqlite) throw new Error('cloud not started');
    return this.#sqlite;
  }
  /** The cloud's store, SQLite or PostgreSQL as configured (store-async.ts). */
  get data(): AsyncCloudStore {
    if (!this.#store) throw new Error('cloud not started');
    return this.#store;
  }
  /** Uploaded media (ticket photos, snapshots): media.ts. */
  get media(): CloudMedia {
    if (!this.#media) throw new Error('cloud not started');
    return this.#media;
  }
  /** The Prometheus registry (served at GET /metrics). */
  get metrics(): CloudMetrics {
    if (!this.#metrics) throw new Error('cloud not started');
    return this.#metrics;
  }
  /** Edge logins (MQTT and media): its stats show how many scrypt checks ran. */
  get edgeAuth(): EdgeAuthenticator {
    if (!this.#edgeAuthenticator) throw new Error('cloud not started');
    return this.#edgeAuthenticator;
  }
  /** Phones' camera requests relayed to edges (relay.ts). */
  get relay(): CloudRelay {
    if (!this.#relay) throw new Error('cloud not started');
    return this.#relay;
  }
  /** Phones' live views relayed from edges (relay-live.ts). */
  get live(): CloudLiveRelay {
    if (!this.#live) throw new Error('cloud not started');
    return this.#live;
  }
  get sync(): CloudSync {
    if (!this.#sync) throw new Error('cloud not started');
    return this.#sync;
  }
  /** The embedded broker (undefined with an external one); tests stop and restart it. */
  get broker(): EmbeddedBroker | undefined {
    return this.#broker;
  }
  get httpPort(): number {
    return (this.#app!.server.address() as AddressInfo).port;
  }
  /** The MQTT URL edges are told to use. */
  get mqttUrl(): string {
    const m = this.#config.mqtt;
    if (m.publicUrl) return m.publicUrl;
    return m.mode === 'embedded' ? `mqtt://${m.host}:${this.#broker?.port ?? m.port}` : m.url;
  }

  async start(): Promise<void> {
    const cfg = this.#config;
    try {
      // Sensitive fields are encrypted with a key beside, never inside, the database.
      const provisioned = cfg.mqtt.mode === 'external' ? cfg.mqtt.mosquitto : null;
      const now = () => this.#clock.now();
      const storeOptions = {
        models: governanceModels,
        now,
        cipher: new FieldCipher(loadOrCreateKey(join(cfg.dataDir, 'keys', 'data.key'))),
        brokerHash: provisioned ? (password: string) => mosquittoHash(password) : undefined,
        log: this.#log.child({ module: 'store' }),
      };
      let openIndex: () => AsyncMediaIndex;
      if (cfg.store?.kind === 'postgres') {
        // Several workers may share the database: migrations run once, under a lock (pg/database.ts).
        const pool = await openPgDatabase({ url: cfg.store.url, log: this.#log.child({ module: 'database' }) });
        this.#pool = pool;
        this.#store = new PgCloudStore({ ...storeOptions, pool });
        openIndex = () => new PgMediaIndex({ pool, now });
      } else {
        // One connection to cloud.db for the whole process; closed last in stop().
        const db = openCloudDatabase(join(cfg.dataDir, 'cloud.db'));
        this.#db = db;
        this.#sqlite = new SqliteCloudStore({ ...storeOptions, db });
        // Everything awaits the store: SQLite is seen through the asynchronous interface.
        this.#store = asyncStore(this.#sqlite);
        openIndex = () => asyncMediaIndex(new SqliteMediaIndex({ db, now }));
      }
      const shared = this.#store;
      const edgeAuth = new EdgeAuthenticator({
        store: shared,
        limiter: new LoginLimiter({ now, limits: { ...defaultEdgeAuthLimits, ...this.#edgeAuth.limits } }),
        now,
        options: this.#edgeAuth.options,
      });
      this.#edgeAuthenticator = edgeAuth;
      let url: string;
      let username: string;
      let password: string;
      if (cfg.mqtt.mode === 'embedded') {
        // The service user's password lives only in this process: nothing else needs it.
        const servicePassword = this.#servicePassword ?? randomBytes(24).toString('base64url');
        this.#broker = new EmbeddedBroker({
          log: this.#log.child({ module: 'broker' }),
          auth: {
            authenticate: async (user, pass, address) => {
              if (user === SERVICE_USER) return pass === servicePassword ? { kind: 'service' } : null;
              const r = await edgeAuth.authenticate(user, pass, address);
              return r.ok ? { kind: 'edge', edgeId: r.edge.edgeId } : r.reason === 'rate-limited' ? 'rate-limited' : null;
            },
          },
        });
        await this.#broker.start(cfg.mqtt.host, cfg.mqtt.port);
        url = `mqtt://${cfg.mqtt.host}:${this.#broker.port}`;
        username = SERVICE_USER;
        password = servicePassword;
      } else {
        ({ url, username, password } = cfg.mqtt);
        if (cfg.mqtt.mosquitto) {
          this.#mosquittoFiles = new MosquittoFiles({ config: cfg.mqtt.mosquitto, serviceUser: username, servicePassword: password, source: shared, log: this.#log.child({ module: 'mosquitto-files' }) });
          await this.#mosquittoFiles.start();
        }
      }
      const sharedGroup = cfg.mqtt.mode === 'external' ? (cfg.mqtt.sharedGroup ?? null) : null;
      this.#sync = new CloudSync({ store: shared, log: this.#log.child({ module: 'sync' }), url, username, password, clock: this.#clock, options: this.#syncOptions, sharedGroup });
      this.#sync.start();
      const sync = this.#sync;
      const metrics = new CloudMetrics();
      metrics.watch({ edgesOnline: () => sync.edgesOnline, stats: () => sync.stats });
      this.#metrics = metrics;
      const media = new CloudMedia({ dataDir: cfg.dataDir, edgeAuth, log: this.#log.child({ module: 'media' }), openIndex, options: { ...(cfg.media ? { thumbnailRetentionMs: cfg.media.thumbnailRetentionDays * 24 * 3600_000 } : {}), ...this.#mediaOptions } });
      this.#media = media;
      await media.start();
      // Phones' camera requests, relayed to the village's edge over sync (relay.ts).
      const relay = new CloudRelay({ store: shared, media, publish: (edgeId, msg) => sync.publishRelay(edgeId, msg), clock: this.#clock, log: this.#log.child({ module: 'relay' }), options: this.#relayOptions });
      // Live view shares the relay's per-village byte budget (relay-live.ts).
      const live = new CloudLiveRelay({ store: shared, publish: (edgeId, msg) => sync.publishRelay(edgeId, msg), budget: relay.budget, clock: this.#clock, log: this.#log.child({ module: 'relay-live' }), options: this.#liveOptions });
      sync.setRelayHandler((edge, msg) => void (live.onReply(edge, msg) || relay.onReply(edge, msg)));
      this.#relay = relay;
      this.#live = live;
      // Phone sign-ins are counted in the database: a restart of the cloud does not reset a lockout.
      const phoneLogins = new LoginLimiter({ now, log: shared.accounts.loginFailures });
      this.#app = await buildCloudApi({ store: shared, log: this.#log, trustProxy: cfg.http.trustProxy, operatorToken: cfg.operatorToken, mqttUrl: () => this.mqttUrl, now, onCommit: () => this.#sync?.notify(), onPaired: () => this.#mosquittoFiles?.apply(), revokeEdge: (edgeId) => this.revokeEdge(edgeId), media, phoneLogins, relay, live, phoneApp: this.#phoneApp === undefined ? findPhoneAppRoot() : this.#phoneApp, observability: { metrics, liveness: () => cloudLiveness(shared, sync) } });
      await this.#app.listen({ host: cfg.http.host, port: cfg.http.port });
      this.#log.info({ http: this.httpPort, mqtt: cfg.mqtt.mode }, 'cloud started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Unpairs an edge: refused at its next login to any broker (an external Mosquitto re-reads its files now) and on the media routes. */
  async revokeEdge(edgeId: string): Promise<boolean> {
    const revoked = await this.data.revokeEdge(edgeId);
    if (revoked) await this.#mosquittoFiles?.apply();
    return revoked;
  }

  /**
   * For the systemd watchdog, which asks synchronously: started, and the
   * database answered the probe of the previous ask (this one starts the
   * next). A probe still unanswered at the next ask is a database that hangs.
   */
  healthy(): boolean {
    const store = this.#store;
    if (!store || !this.#app) return false;
    if (this.#probing) return false;
    this.#probing = true;
    store
      .village(0)
      .then(
        () => (this.#databaseAnswers = true),
        () => (this.#databaseAnswers = false),
      )
      .finally(() => (this.#probing = false));
    return this.#databaseAnswers;
  }

  /** One line for `systemctl status`. */
  statusLine(): string {
    return `http :${this.httpPort}; mqtt ${this.#config.mqtt.mode}`;
  }

  async stop(): Promise<void> {
    this.#relay?.stop();
    this.#relay = undefined;
    this.#live?.stop();
    this.#live = undefined;
    await this.#app?.close();
    this.#app = undefined;
    await this.#media?.stop();
    this.#media = undefined;
    await this.#sync?.stop();
    this.#sync = undefined;
    await this.#broker?.stop();
    this.#broker = undefined;
    this.#mosquittoFiles = undefined;
    await this.#store?.close();
    this.#store = undefined;
    this.#sqlite = undefined;
    this.#db?.close();
    this.#db = undefined;
    await this.#pool?.end();
    this.#pool = undefined;
  }
}

/** What /healthz asks: the database answers, and the sync engine holds its broker session. */
async function cloudLiveness(store: AsyncCloudStore, sync: CloudSync): Promise<string[]> {
  const failing: string[] = [];
  try {
    await store.village(0); // a primary-key lookup: does the database answer at all
  } catch {
    failing.push('database');
  }
  if (!sync.connected) failing.push('broker');
  return failing;
}
