/**
 * What every edge route group is given: the services it calls, built by the
 * composition root (edge.ts), and what the app decided at start-up. Route
 * groups are fastify plugins registered with this context; none imports the
 * app that registers it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { UserStore } from '../auth/users.ts';
import type { KioskAccounts } from '../auth/kiosks.ts';
import type { LoginLockout } from '../auth/lockout.ts';
import { CunboxError } from '../errors.ts';
import type { Governance } from '../governance/governance.ts';
import type { Actor } from '../governance/common.ts';
import type { VillageIdentity } from '../governance/village.ts';
import type { CameraRegistry } from '../cameras/registry.ts';
import type { CameraAccess } from '../playback/access.ts';
import type { SegmentIndex } from '../storage/segment-index.ts';
import type { HoldStore } from '../storage/holds.ts';
import type { Layout } from '../storage/layout.ts';
import type { StorageStatus } from '../storage/status.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import type { ExportQueue } from '../playback/exports.ts';
import type { LiveService } from '../playback/live.ts';
import type { SnapshotService } from '../playback/snapshots.ts';
import type { EventStore } from '../events/event-store.ts';
import type { MotionSettingsStore } from '../motion/settings-store.ts';
import type { CheckpointStore } from '../checkpoints/store.ts';
import type { EdgeMetrics } from '../metrics/metrics.ts';
import type { ScreenFeed } from '../screen/feed.ts';
import type { CheckResult } from '../doctor/check.ts';
import type { AuditLog } from './audit.ts';
import type { Credentials, Principal } from './auth.ts';
import type { RouteAccess } from './permissions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every /api and /open311 route must say. */
    access?: RouteAccess;
    /** Open311 clients send api_key as a form field: authenticate after the body is parsed. */
    apiKeyInBody?: boolean;
    /** An 'authenticated' route an office screen (role kiosk) may call too; every other one refuses it. */
    kiosk?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ApiOptions {
  /** Set the Secure flag on the session cookie (behind HTTPS). */
  secureCookies?: boolean;
  /** Where this API is reached (Open311 media links). */
  publicUrl?: string;
  /** Issuer and verification address of certificates; null: certificates cannot be printed. */
  village?: VillageIdentity | null;
  /** Serve HTTPS (PEM); cookies are then Secure and HSTS is sent whatever `secureCookies` says. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** The built browser app to serve at / (see web.ts); null: API only. */
  webRoot?: string | null;
  /** The box's time zone (IANA): Open311 writes its times with this zone's offset, the browser app shows times in it. */
  timeZone?: string;
}

/** What the video routes need from the edge (recorder side). */
interface VideoDeps {
  registry: CameraRegistry;
  index: SegmentIndex;
  holds: HoldStore;
  exports: ExportQueue;
  layout: Layout;
  live: LiveService;
  snapshots: SnapshotService;
  spawner: Spawner;
  /** Which cameras are checkpoints (路口卡口), for GET /api/checkpoints/activity. */
  checkpoints: CheckpointStore;
  /** The event index (GET /api/events); absent: no event routes. */
  events?: EventStore;
  /** Motion settings per camera; `changed` applies an edit to the running detectors. Absent: no motion routes. */
  motion?: { settings: MotionSettingsStore; changed: () => void };
}

/** What the health route needs from the edge: the storage monitor's verdict. */
interface HealthDeps {
  /** The last verdict; undefined before the first check. */
  readonly latest: StorageStatus | undefined;
  check(): Promise<StorageStatus>;
}

/** What /metrics and /healthz need from the edge. */
interface ObservabilityDeps {
  metrics: EdgeMetrics;
  /** Names of the failing liveness checks; empty when all is well. Never throws. */
  liveness: () => Promise<string[]>;
}

/** The services the API calls, each built once by the composition root. */
export interface ApiDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  users: UserStore;
  governance: Governance;
  /** The hash-chained audit log every route writes to. */
  audit: AuditLog;
  /** Sessions and API tokens. */
  credentials: Credentials;
  /** Failed-login lockout (per account and per address, kept in the database). */
  lockout: LoginLockout;
  /** Which cameras a restricted account may watch. */
  cameraAccess: CameraAccess;
  /** The office screens' accounts and their tokens. */
  kiosks: KioskAccounts;
  cameraExists: (cameraId: number) => boolean;
  /** Playback, export, snapshots, live view; absent: no video routes. */
  video?: VideoDeps;
  /** The storage monitor, for GET /api/health; absent: no storage section. */
  storage?: HealthDeps;
  /** `cunbox doctor`'s checks, run on request (GET /api/system/doctor); absent: no such route. */
  doctor?: () => Promise<CheckResult[]>;
  /** GET /metrics and /healthz; absent: neither route. */
  observability?: ObservabilityDeps;
  /** The office big screen's aggregates and push; absent: no /api/screen routes. */
  screen?: ScreenFeed;
  options?: ApiOptions;
}

/** What each route group is registered with. */
export interface RouteContext {
  deps: ApiDeps;
  /** Who the request's credentials name now (a long-lived stream re-checks its caller). */
  authenticate: (req: FastifyRequest) => Principal | null;
  options: Required<ApiOptions>;
}

export type Api = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

/** A route group: a fastify plugin (its own encapsulated scope) given the route context. */
export type RoutePlugin = FastifyPluginAsyncTypebox<RouteContext>;

export function actorOf(req: FastifyRequest): Actor {
  if (!req.principal) throw new CunboxError('UNAUTHENTICATED', 'log in first');
  return { username: req.principal.username, role: req.principal.role };
}
