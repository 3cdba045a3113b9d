import type { AddressInfo } from 'node:net';
import type { FieldCipher } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { UserStore } from '../auth/users.ts';
import type { HoldStore } from '../storage/holds.ts';
import { Governance } from '../governance/governance.ts';
import { buildApp, type Api, type ApiDeps, type ApiOptions } from './app.ts';
import type { AuditLog } from './audit.ts';
import { readTls, type TlsFiles } from './tls.ts';
import type { VideoDeps } from './routes/video.ts';
import type { HealthDeps } from './routes/health.ts';
import type { ObservabilityDeps } from './routes/observability.ts';
import type { HttpSecurity } from '../config/load.ts';
import type { ChangeSignal } from '../screen/signal.ts';
import { ScreenFeed } from '../screen/feed.ts';
import { computeSummary, type ScreenSources } from '../screen/summary.ts';

const AUDIT_PRUNE_INTERVAL_MS = 86_400_000;

export interface HttpPartDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  dataDir: string;
  holds: HoldStore;
  cameraExists: (cameraId: number) => boolean;
  http: { host: string; port: number; tls?: TlsFiles | null; security?: HttpSecurity };
  /** The hash-chained audit log (its key read from its own file by the composition root). */
  audit: AuditLog;
  auditRetentionDays: number;
  /** Encrypts residents' sensitive fields at rest. */
  cipher: FieldCipher;
  video?: VideoDeps;
  storage?: HealthDeps;
  doctor?: ApiDeps['doctor'];
  observability?: ObservabilityDeps;
  /** The office big screen: what it reads beside governance, and the signal its sources raise on a change. */
  screen?: { signal: ChangeSignal; sources: Omit<ScreenSources, 'governance' | 'villageName'> };
  options?: ApiOptions;
}

/**
 * The edge's governance part: the op store and its services, the SLA monitor
 * and the HTTP API listening on host:port. start()/stop() like every part.
 */
export class HttpPart {
  readonly #deps: HttpPartDeps;
  #governance: Governance | undefined;
  #app: Api | undefined;
  #screen: ScreenFeed | undefined;
  #pruneTimer: unknown;

  constructor(deps: HttpPartDeps) {
    this.#deps = deps;
  }

  get governance(): Governance {
    if (!this.#governance) throw new Error('http part not started');
    return this.#governance;
  }

  get app(): Api {
    if (!this.#app) throw new Error('http part not started');
    return this.#app;
  }

  /** Where it listens (the real port when the config asked for 0). */
  get address(): { host: string; port: number } {
    const a = this.app.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    const { db, clock, log, dataDir, holds, cameraExists, http } = this.#deps;
    const tls = http.tls ? readTls(http.tls) : null;
    if (tls) log.info({ fingerprint: tls.fingerprint, notAfter: tls.notAfter.toISOString() }, 'HTTPS certificate');
    const users = new UserStore({ db, clock });
    const { audit } = this.#deps;
    // Rows an older version wrote join the chain now; then the daily prune (never under 180 days).
    audit.seal();
    const prune = () => {
      const n = audit.prune(this.#deps.auditRetentionDays);
      if (n > 0) log.info({ module: 'audit', rows: n, head: audit.verify().head }, 'old audit rows pruned');
    };
    prune();
    this.#pruneTimer = clock.setInterval(prune, AUDIT_PRUNE_INTERVAL_MS);
    const screen = this.#deps.screen;
    this.#governance = new Governance({ db, clock, log, dataDir, users, holds, cipher: this.#deps.cipher, onChanged: screen ? () => screen.signal.notify('ops') : undefined });
    const governance = this.#governance;
    const villageName = this.#deps.options?.village?.name ?? null;
    this.#screen = screen && new ScreenFeed({ clock, log: log.child({ module: 'screen' }), signal: screen.signal, compute: (now) => computeSummary({ ...screen.sources, governance, villageName }, now) });
    const sec = http.security;
    const security: ApiOptions = sec
      ? { credentialLimits: { sessionIdleMs: sec.sessionIdleMs, sessionLifetimeMs: sec.sessionLifetimeMs }, loginLimits: { perAccount: sec.loginMaxFailures, lockMs: sec.lockoutMs } }
      : {};
    this.#app = await buildApp({ db, clock, log, users, audit, governance: this.#governance, cameraExists, video: this.#deps.video, storage: this.#deps.storage, doctor: this.#deps.doctor, observability: this.#deps.observability, screen: this.#screen, options: { publicUrl: `${tls ? 'https' : 'http'}://${http.host}:${http.port}`, tls, ...security, ...this.#deps.options } });
    this.#governance.start();
    this.#screen?.start();
    await this.#app.listen({ host: http.host, port: http.port });
    log.info({ host: http.host, port: this.address.port, tls: tls !== null }, 'HTTP API listening');
  }

  async stop(): Promise<void> {
    if (this.#pruneTimer !== undefined) this.#deps.clock.clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    this.#governance?.stop();
    // Screens' streams end first: app.close() would otherwise wait for them (or cut them without a last byte).
    this.#screen?.stop();
    this.#screen = undefined;
    await this.#app?.close();
    this.#app = undefined;
    this.#governance = undefined;
  }
}
