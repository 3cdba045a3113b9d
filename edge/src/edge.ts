import type { Clock } from './clock.ts';
import { settlesWithin, systemClock } from './clock.ts';
import type { Logger } from './log.ts';
import { openDatabase, type Db } from './db/database.ts';
import { CameraRegistry } from './cameras/registry.ts';
import type { EdgeConfig } from './config/load.ts';
import { EventStore } from './events/event-store.ts';
import { OnvifEventSources } from './onvif/events/sources.ts';
import { nodeSpawner, type Spawner } from './ffmpeg/process.ts';
import { Recorder } from './recorder/recorder.ts';
import type { CameraStatus, RecorderSink } from './recorder/types.ts';
import { Layout } from './storage/layout.ts';
import { loadOrCreateKey } from '@cunbox/shared';
import { AuditLog } from './api/audit.ts';
import { SegmentIndex, type NewSegment } from './storage/segment-index.ts';
import { reconcile, type ReconcileReport } from './storage/reconcile.ts';
import { Retention } from './storage/retention.ts';
import { StorageMonitor } from './storage/monitor.ts';
import { statfsDiskUsage, type DiskUsage } from './storage/disk.ts';
import { acquireLock } from './storage/lock.ts';
import { HoldStore } from './storage/holds.ts';
import { stopOrphanRecorders } from './recorder/orphans.ts';
import { HttpPart } from './api/part.ts';
import { Credentials } from './api/auth.ts';
import { UserStore } from './auth/users.ts';
import { LoginLockout } from './auth/lockout.ts';
import { KioskAccounts } from './auth/kiosks.ts';
import { CameraAccess } from './playback/access.ts';
import { Governance } from './governance/governance.ts';
import { ScreenFeed } from './screen/feed.ts';
import { computeSummary } from './screen/summary.ts';
import { ExportQueue } from './playback/exports.ts';
import { LiveService } from './playback/live.ts';
import { SnapshotService } from './playback/snapshots.ts';
import { RecordingSnapshots } from './playback/recording-snapshot.ts';
// Sync with the cloud.
import { SyncClient } from './sync/client.ts';
import { readCredentials } from './sync/credentials.ts';
import { MediaUploader } from './sync/media-uploader.ts';
import { EdgeRelay } from './sync/relay.ts';
import { LiveUplinks } from './sync/relay-live.ts';
import { relayUploader } from './sync/relay-upload.ts';
import { relayCameraUrl, relayClip, relayLiveSource } from './sync/relay-cameras.ts';
import { MediaDownloader } from './sync/media-downloader.ts';
import { missingTicketPhotos } from './governance/media.ts';
import { MediaQueue, collectTicketPhotos } from './sync/media-queue.ts';
import { CertificatePdfs } from './sync/certificate-pdfs.ts';
import { kbpsToBytesPerSecond } from './sync/throttle.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_RELAY_KBPS, DEFAULT_UPLOAD_KBPS } from './config/load.ts';
import { OpStore } from './governance/store.ts';
import { SlaMonitor, TicketService, footageHoldHook } from './governance/tickets.ts';
import { MediaStore } from './governance/media.ts';
import { HelpService } from './governance/help.ts';
import { CertificateService } from './governance/certificates.ts';
import { AnnouncementService } from './governance/announcements.ts';
import { PartyService } from './governance/party.ts';
import { FieldCipher, LIVE_RENEWAL_TIMEOUT_MS, governanceModels } from '@cunbox/shared';
import { EdgeMetrics } from './metrics/metrics.ts';
import { liveness, outboxOf } from './metrics/sources.ts';
import { BackupScheduler } from './backup/scheduler.ts';
import { findWebRoot } from './api/web.ts';
import { MotionService } from './motion/service.ts';
import { CheckpointStore } from './checkpoints/store.ts';
import { requiredDays } from './storage/capacity.ts';
import { MotionSettingsStore } from './motion/settings-store.ts';
import { ChangeSignal } from './screen/signal.ts';
import { runDoctor } from './doctor/checks.ts';
import { edgePorts } from './doctor/ports.ts';

export interface EdgeDeps {
  config: EdgeConfig;
  log: Logger;
  clock?: Clock;
  spawner?: Spawner;
  diskUsage?: DiskUsage;
  /** Called for every indexed segment with its latency (close → row); used by the benchmark. */
  onSegmentIndexed?: (row: NewSegment, latencyMs: number) => void;
  /** The built browser app to serve; undefined: the build beside this code (edge/dist/web), if any; null: none. */
  webRoot?: string | null;
}

/** What a stop left unfinished when its deadline passed; empty after a clean stop. */
export interface StopReport {
  pending: string[];
}

/** Enough for 64 cameras to quit ffmpeg and index their last segment, inside systemd's TimeoutStopSec=30. */
const DEFAULT_STOP_TIMEOUT_MS = 20_000;

/**
 * The edge's composition root: builds every part, starts them in order and
 * stops them in the order that loses nothing (see stop()). Nothing here does
 * I/O until start().
 */
export class Edge {
  readonly #deps: EdgeDeps;
  readonly layout: Layout;
  readonly clock: Clock;
  #db: Db | undefined;
  #release: (() => void) | undefined;
  #recorder: Recorder | undefined;
  #retention: Retention | undefined;
  #storage: StorageMonitor | undefined;
  #parts: { registry: CameraRegistry; events: EventStore; index: SegmentIndex; holds: HoldStore; exports: ExportQueue } | undefined;
  startupReport: ReconcileReport | undefined;
  #http: HttpPart | undefined;
  #governance: Governance | undefined;
  #screen: ScreenFeed | undefined;
  #live: LiveService | undefined;
  #snapshots: SnapshotService | undefined;
  #sync: SyncClient | undefined;
  #relay: EdgeRelay | undefined;
  #relayLive: LiveUplinks | undefined;
  #media: MediaUploader | undefined;
  #mediaDown: MediaDownloader | undefined;
  #metrics: EdgeMetrics | undefined;
  #backup: BackupScheduler | undefined;
  #onvifEvents: OnvifEventSources | undefined;
  #motion: MotionService | undefined;
  /** The stop step under way, for the report when the deadline passes. */
  #stopStep: string | undefined;

  constructor(deps: EdgeDeps) {
    this.#deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.layout = new Layout(deps.config.dataDir);
  }

  get db(): Db {
    if (!this.#db) throw new Error('edge not started');
    return this.#db;
  }

  get parts() {
    if (!this.#parts) throw new Error('edge not started');
    return this.#parts;
  }

  async start(): Promise<void> {
    const { config, log } = this.#deps;
    const clock = this.clock;
    this.#release = acquireLock(this.layout.lockFile);
    try {
      const db = openDatabase(this.layout.database);
      this.#db = db;
      const metrics = new EdgeMetrics();
      this.#metrics = metrics;
      metrics.watch({
        cameras: () => this.#recorder?.status() ?? [],
        storage: () => this.#storage?.latest,
        outbox: () => (this.#sync && this.#db ? outboxOf(this.#db, this.#sync, clock) : undefined),
      });
      const registry = new CameraRegistry({ db, clock });
      registry.syncFromConfig(config.cameras);
      // Whatever the office screen shows changed: events (camera online/offline, motion), governance ops.
      const screenSignal = new ChangeSignal();
      const events = new EventStore({
        db,
        clock,
        onRecorded: (type) => {
          metrics.eventRecorded(type);
          screenSignal.notify('event');
        },
      });
      const onIndexed = (row: NewSegment, latencyMs: number) => {
        metrics.segmentIndexed(row, latencyMs);
        this.#deps.onSegmentIndexed?.(row, latencyMs);
      };
      const index = new SegmentIndex({ db, layout: this.layout, clock, log: log.child({ module: 'index' }), onIndexed });
      const holds = new HoldStore({ db, clock });
      const exports = new ExportQueue({
        db,
        layout: this.layout,
        clock,
        spawner: this.#deps.spawner ?? nodeSpawner,
        log: log.child({ module: 'exports' }),
        holds,
        index,
        cameraName: (id) => registry.get(id),
        ffmpegPath: config.recorder.ffmpegPath,
      });
      this.#parts = { registry, events, index, holds, exports };

      // Before any recorder runs: stop ffmpegs a crashed edge left writing,
      // finish interrupted deletions, index what the crash left behind.
      await stopOrphanRecorders({ db, layout: this.layout, clock, log: log.child({ module: 'orphans' }) });
      this.startupReport = await reconcile({ db, layout: this.layout, index, log: log.child({ module: 'reconcile' }) }, { repair: true });
      if (this.startupReport.findings.length > 0) {
        log.info({ findings: this.startupReport.findings.length }, 'start-up reconciliation mended the index');
      }

      const sink: RecorderSink = {
        beginRun: (cameraId, at) => index.beginRun(cameraId, at),
        setRunPid: (runId, pid) => index.setRunPid(runId, pid),
        setRunAnchor: (runId, anchor) => index.setRunAnchor(runId, anchor),
        endRun: (runId, at) => index.endRun(runId, at),
        segmentClosed: (seg) => index.indexClosed(seg),
        cameraEvent: (cameraId, type, detail) => {
          events.record(cameraId, type, detail);
          log.info({ cameraId, event: type, ...detail }, 'camera event');
        },
        lastKnownOnline: (cameraId) => events.lastOnline(cameraId),
      };
      this.#recorder = new Recorder({
        db,
        registry,
        clock,
        spawner: this.#deps.spawner ?? nodeSpawner,
        log: log.child({ module: 'recorder' }),
        layout: this.layout,
        settings: config.recorder,
        sink,
      });
      const diskUsage = this.#deps.diskUsage ?? statfsDiskUsage;
      const storage = new StorageMonitor({ db, layout: this.layout, clock, log: log.child({ module: 'storage' }), settings: config.retention, diskUsage, events });
      this.#storage = storage;
      this.#retention = new Retention({
        db,
        layout: this.layout,
        clock,
        log: log.child({ module: 'retention' }),
        settings: config.retention,
        diskUsage,
        // Footage deleted for space: judge the disk now, not at the next check.
        afterPass: (r) => {
          metrics.retentionPass(r);
          if (r.bySpace > 0) void storage.checkLogged();
        },
      });
      await this.#retention.runOnce();
      this.#retention.start();
      await storage.checkLogged();
      storage.start();
      await this.#recorder.start();
      exports.start();
      // The cameras' own motion and tamper alarms (motion.source onvif or both).
      this.#onvifEvents = new OnvifEventSources({ clock, log: log.child({ module: 'onvif-events' }), sink: events, db, cameras: () => registry.listWithSecrets(), settings: config.cameraMotion ?? {} });
      this.#onvifEvents.start();
      // Config-file cameras: the file says which are checkpoints (路口卡口).
      const checkpoints = new CheckpointStore({ db });
      const checkpointNames = new Set(config.checkpoints ?? []);
      for (const cam of registry.list()) if (cam.source === 'config') checkpoints.set(cam.id, checkpointNames.has(cam.name));
      const motionSettings = new MotionSettingsStore({ db });
      // The media outbox (one for its every writer): motion events' thumbnails, ticket photos and certificate PDFs wait in it for the uploader.
      const mediaQueue = new MediaQueue({ db, clock });
      // Motion detection on the sub streams: only with a `motion` section.
      if (config.motion) {
        // Config-file cameras: the file is the truth for their motion settings too.
        for (const [name, settings] of Object.entries(config.motion.cameras)) {
          const cam = registry.getByName(name);
          if (cam) motionSettings.replace(settings, cam.id);
        }
        this.#motion = new MotionService({
          db,
          registry,
          settingsStore: motionSettings,
          events,
          layout: this.layout,
          clock,
          spawner: this.#deps.spawner ?? nodeSpawner,
          log: log.child({ module: 'motion' }),
          tracker: config.motion.tracker,
          feed: { ffmpegPath: config.recorder.ffmpegPath, transport: config.recorder.transport, activeFps: config.motion.activeFps },
          ...(config.cloud ? { media: mediaQueue } : {}),
          retentionDays: (id) => requiredDays(registry.get(id)?.retentionDays ?? null, config.retention),
        });
        await this.#motion.start();
      }
      // The daily backup (database, config, credentials, keys): only with a `backup` section.
      if (config.backup) {
        this.#backup = new BackupScheduler({ config, settings: config.backup, db, clock, log: log.child({ module: 'backup' }), events });
        this.#backup.start();
      }
      // Residents' ID and phone numbers and special-group flags are encrypted with a key kept beside the database.
      const cipher = new FieldCipher(loadOrCreateKey(this.layout.dataKey));
      // One audit chain for the API and the entries sync brings from the cloud; its key beside the database too.
      const audit = new AuditLog({ db, clock, key: loadOrCreateKey(this.layout.auditKey) });
      // The accounts and their camera permissions: the API's and the relay's, so both apply the same rule.
      const users = new UserStore({ db, clock });
      const cameraAccess = new CameraAccess(db);
      // Governance and its HTTP API: only with an `http` section in the config.
      if (config.http) {
        const spawner = this.#deps.spawner ?? nodeSpawner;
        const ffmpegPath = config.recorder.ffmpegPath;
        this.#live = new LiveService({ spawner, clock, log: log.child({ module: 'live' }), ffmpegPath });
        // With motion detection on, the wall's pictures come from its feeds: one RTSP session and decode per camera, not two.
        // A camera nobody watched gets its first picture from the recording being written, while its feed starts.
        const recorded = new RecordingSnapshots({ layout: this.layout, spawner, clock, log: log.child({ module: 'snapshots' }), ffmpegPath, closedSegment: (id) => {
          const row = index.forCamera(id, clock.now() - 60_000).at(-1);
          return row && this.layout.absolute(row.path);
        } });
        this.#snapshots = new SnapshotService({ spawner, clock, log: log.child({ module: 'snapshots' }), ffmpegPath, shared: (id) => this.#motion?.latestPicture(id), recorded: (id) => recorded.latest(id) });
        const motion = this.#motion;
        const video = { registry, index, holds, exports, layout: this.layout, live: this.#live, snapshots: this.#snapshots, spawner, checkpoints, events, motion: { settings: motionSettings, changed: () => void motion?.sync() } };
        if (!config.village) log.warn('no village section in the config: certificates cannot be printed until village.name and village.verify_base_url are set');
        const govLog = log.child({ module: 'governance' });
        const opStore = new OpStore({ db, clock, log: govLog, models: governanceModels, hooks: { ticket: footageHoldHook(db, holds) }, cipher, onChanged: () => screenSignal.notify('ops') });
        const govMedia = new MediaStore({ db, clock, dataDir: config.dataDir });
        const govCtx = { store: opStore, clock, log: govLog, media: govMedia, users };
        const governance = new Governance({
          store: opStore,
          media: govMedia,
          log: govLog,
          tickets: new TicketService(govCtx),
          help: new HelpService(govCtx),
          certificates: new CertificateService(govCtx),
          announcements: new AnnouncementService(govCtx),
          party: new PartyService(govCtx),
          sla: new SlaMonitor(govCtx),
        });
        this.#governance = governance;
        const screenSources = { events, cameras: () => registry.list(), cameraStates: () => this.#recorder?.status() ?? [], storage: () => storage.latest, cloud: () => (this.#sync ? this.#sync.connected : config.cloud ? false : null) };
        const villageName = config.village?.name ?? null;
        this.#screen = new ScreenFeed({ clock, log: log.child({ module: 'screen' }), signal: screenSignal, compute: (now) => computeSummary({ ...screenSources, governance, villageName }, now) });
        const sec = config.http.security;
        const credentials = new Credentials({ db, clock, limits: sec && { sessionIdleMs: sec.sessionIdleMs, sessionLifetimeMs: sec.sessionLifetimeMs } });
        const lockout = new LoginLockout({ db, clock, limits: sec && { perAccount: sec.loginMaxFailures, lockMs: sec.lockoutMs } });
        const api = {
          db,
          clock,
          log,
          users,
          governance,
          audit,
          credentials,
          lockout,
          cameraAccess,
          kiosks: new KioskAccounts({ users, credentials, access: cameraAccess }),
          cameraExists: (id: number) => registry.get(id) !== undefined,
          video,
          storage,
          doctor: () => runDoctor({ config, env: process.env, ports: edgePorts(config) }),
          screen: this.#screen,
          observability: { metrics, liveness: () => liveness({ db: () => this.#db, recorders: () => this.recorder.status(), storage: () => storage.latest }) },
        };
        const options = { village: config.village ?? null, timeZone: config.timezone, webRoot: this.#deps.webRoot === undefined ? findWebRoot() : this.#deps.webRoot };
        this.#http = new HttpPart({ clock, log, http: config.http, api, auditRetentionDays: config.audit?.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS, options });
        // Both before the API listens: the first request finds the SLA monitor and the screen's feed running.
        governance.start();
        this.#screen.start();
        await this.#http.start();
      }
      // Sync: only with a `cloud` section. It shares governance's op store when there
      // is one: one store per database keeps one hybrid logical clock.
      if (config.cloud) {
        const credentials = readCredentials(config.cloud.credentialsFile);
        if (credentials.edgeId !== config.cloud.edgeId) throw new Error(`cloud.edge_id ${config.cloud.edgeId} does not match the credentials file (${credentials.edgeId})`);
        const store = this.#governance?.store ?? new OpStore({ db, clock, log: log.child({ module: 'oplog' }), models: governanceModels, hooks: { ticket: footageHoldHook(db, holds) }, cipher });
        this.#sync = new SyncClient({ db, store, clock, log: log.child({ module: 'sync' }), credentials, audit });
        // Phones ask through the cloud for a camera's picture (docs/design/relay.md): where the edge has pictures to give.
        if (this.#snapshots && this.#live) {
          const cloudCreds = { edgeId: credentials.username, password: credentials.password };
          const recordings = { index, layout: this.layout, spawner: this.#deps.spawner ?? nodeSpawner, clock, ffmpegPath: config.recorder.ffmpegPath };
          const relayLog = log.child({ module: 'relay' });
          const live = this.#live;
          const snapshots = this.#snapshots;
          const sync = this.#sync;
          this.#relayLive = new LiveUplinks({
            clock,
            log: relayLog,
            cloudUrl: config.cloud.url,
            credentials: cloudCreds,
            watch: (source, viewer) => live.watch(source, viewer),
            options: { maxUploads: 4, maxBacklogBytes: 256 * 1024, renewalTimeoutMs: LIVE_RENEWAL_TIMEOUT_MS, bytesPerSecond: kbpsToBytesPerSecond(config.cloud.relayKbps ?? DEFAULT_RELAY_KBPS) },
          });
          const relay = new EdgeRelay({
            clock,
            log: relayLog,
            user: (name) => users.getByUsername(name),
            may: (userId, role, cameraId) => cameraAccess.may(userId, role, cameraId),
            cameraUrl: (id) => relayCameraUrl(registry, id),
            liveSource: (id) => relayLiveSource(registry, id),
            live: this.#relayLive,
            snapshot: (id, url) => snapshots.latest(id, url),
            clip: (id, range, out) => relayClip(recordings, id, range, out),
            tmpDir: this.layout.absolute('relay-tmp'),
            upload: relayUploader({ cloudUrl: config.cloud.url, credentials: cloudCreds }),
            reply: (msg) => sync.publishRelay(msg),
            audit: (e) => audit.record(e),
          });
          this.#relay = relay;
          sync.setRelayHandler((req) => relay.handle(req));
          await relay.start();
        }
        this.#sync.start();
        // Approved certificates follow as PDFs (ID number masked) for the requester's phone, whoever approved them.
        const certificatePdfs = this.#governance && new CertificatePdfs({ db, queue: mediaQueue, certificates: this.#governance.certificates, village: config.village ?? null, dataDir: config.dataDir, clock, log: log.child({ module: 'certificate-pdfs' }) });
        // Photos travel beside the ops, over HTTP under a bandwidth cap: they never delay an op ack.
        this.#media = new MediaUploader({
          queue: mediaQueue,
          clock,
          log: log.child({ module: 'media-sync' }),
          dataDir: config.dataDir,
          cloudUrl: config.cloud.url,
          credentials: { edgeId: credentials.username, password: credentials.password },
          collect: async () => {
            collectTicketPhotos(db, clock.now());
            await certificatePdfs?.collect();
          },
          options: { bytesPerSecond: kbpsToBytesPerSecond(config.cloud.uploadKbps ?? DEFAULT_UPLOAD_KBPS) },
        });
        this.#media.start();
        // And down: photos phones attached through the cloud, fetched by the edge (it accepts no inbound connection).
        const gov = this.#governance;
        if (gov) {
          this.#mediaDown = new MediaDownloader({
            clock,
            log: log.child({ module: 'media-fetch' }),
            cloudUrl: config.cloud.url,
            credentials: { edgeId: credentials.username, password: credentials.password },
            missing: () => missingTicketPhotos(gov.store, gov.media),
            store: async (id, data) => void (await gov.media.add(data, 'cloud', id)),
          });
          this.#mediaDown.start();
        }
      }
      log.info({ dataDir: config.dataDir, cameras: this.#recorder.status().length }, 'edge started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Stops in the order that loses nothing:
   * 1. no new work: API, media uploads, live views, snapshots, exports,
   *    motion detection (open motion events are stored as they end here);
   *    the recorders are told to stop at the same moment, so that an ffmpeg the
   *    unit's SIGTERM already ended is never restarted meanwhile;
   * 2. recorders: each ffmpeg quits and its last segment is indexed;
   * 3. retention; 4. sync (outbox rows written by steps 1–3 wait in the
   *    database for the next start); 5. the database and the lock.
   * Bounded by `deadlineMs` (config `stop_timeout_seconds`): past it, stop()
   * returns what was still pending and leaves the database open; the caller
   * should exit (non-zero), as `cunbox serve` does.
   */
  async stop(deadlineMs = this.#deps.config.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS): Promise<StopReport> {
    const done = this.#stopParts();
    if (await settlesWithin(this.clock, done, deadlineMs)) {
      await done;
      return { pending: [] };
    }
    const pending = [this.#stopStep ?? 'stop'];
    const cameras = this.#recorder?.stopping() ?? [];
    if (cameras.length > 0) pending.push(`cameras ${cameras.join(', ')}`);
    return { pending };
  }

  async #stopParts(): Promise<void> {
    const step = async (name: string, work: () => Promise<unknown> | undefined) => {
      this.#stopStep = name;
      await work();
    };
    const recorders = this.#recorder?.stop().catch((err: unknown) => this.#deps.log.error({ err }, 'stopping the recorders failed'));
    await step('new work (API, uploads, live, exports, backup)', () =>
      Promise.all([this.#relay?.stop(), this.#media?.stop(), this.#mediaDown?.stop(), this.#stopApi(), this.#live?.stop(), this.#snapshots?.stop(), this.#parts?.exports.stop(), this.#backup?.stop(), this.#onvifEvents?.stop(), this.#motion?.stop()]),
    );
    this.#onvifEvents = undefined;
    this.#motion = undefined;
    this.#media = undefined;
    this.#relay = undefined;
    this.#relayLive = undefined;
    this.#mediaDown = undefined;
    this.#backup = undefined;
    this.#http = undefined;
    this.#screen = undefined;
    this.#governance = undefined;
    await step('recorders (last segments)', () => recorders);
    await step('retention', () => this.#retention?.stop());
    await step('storage monitor', () => this.#storage?.stop());
    await step('sync', () => this.#sync?.stop());
    this.#sync = undefined;
    this.#stopStep = undefined;
    this.#db?.close();
    this.#db = undefined;
    this.#release?.();
    this.#release = undefined;
  }

  /** Governance, its SLA monitor, then the API (the screens' streams end first: close() would wait for them). */
  async #stopApi(): Promise<void> {
    this.#governance?.stop();
    this.#screen?.stop();
    await this.#http?.stop();
  }

  /** The HTTP API, when the config has an `http` section. */
  get http(): HttpPart | undefined {
    return this.#http;
  }

  /** The op store and the governance services behind the API, when the config has an `http` section. */
  get governance(): Governance | undefined {
    return this.#governance;
  }

  /** The media uploader, when the config has a `cloud` section. */
  get mediaUploader(): MediaUploader | undefined {
    return this.#media;
  }

  /** Fetches photos phones attached through the cloud, with a `cloud` section and the HTTP API. */
  get mediaDownloader(): MediaDownloader | undefined {
    return this.#mediaDown;
  }

  /** The cameras' ONVIF event sources (per camera: subscribed, retrying, unsupported…). */
  get onvifEvents(): OnvifEventSources | undefined {
    return this.#onvifEvents;
  }

  /** The daily backup, when the config has a `backup` section. */
  get backup(): BackupScheduler | undefined {
    return this.#backup;
  }

  /** Motion detection, when the config has a `motion` section. */
  get motion(): MotionService | undefined {
    return this.#motion;
  }

  /** The sync part, when the config has a `cloud` section. */
  /** The live uploads phones watch through the cloud (relay-live.ts); undefined without a cloud or cameras. */
  get relayLive(): LiveUplinks | undefined {
    return this.#relayLive;
  }

  get sync(): SyncClient | undefined {
    return this.#sync;
  }

  /** The Prometheus registry of this edge (served at GET /metrics). */
  get metrics(): EdgeMetrics {
    if (!this.#metrics) throw new Error('edge not started');
    return this.#metrics;
  }

  cameraStatus(): CameraStatus[] {
    return this.#recorder?.status() ?? [];
  }

  /**
   * Whether the edge still does its job, for the systemd watchdog: the database
   * answers and the recorder supervisor reports. (A blocked event loop never
   * gets as far as asking.)
   */
  healthy(): boolean {
    if (!this.#db || !this.#recorder) return false;
    this.#db.prepare('SELECT 1').get();
    this.#recorder.status();
    return true;
  }

  /** One line for `systemctl status`: cameras recording, and the cloud link. */
  statusLine(): string {
    const cams = this.cameraStatus();
    const recording = cams.filter((c) => c.state === 'recording').length;
    const sync = this.#sync ? (this.#sync.connected ? 'cloud connected' : 'cloud offline') : 'no cloud';
    return `recording ${recording}/${cams.length} cameras; ${sync}`;
  }

  get retention(): Retention {
    if (!this.#retention) throw new Error('edge not started');
    return this.#retention;
  }

  /** The disk's last verdict and its alarms. */
  get storage(): StorageMonitor {
    if (!this.#storage) throw new Error('edge not started');
    return this.#storage;
  }

  get recorder(): Recorder {
    if (!this.#recorder) throw new Error('edge not started');
    return this.#recorder;
  }
}
