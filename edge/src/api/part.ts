import type { AddressInfo } from 'node:net';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { UserStore } from '../auth/users.ts';
import type { HoldStore } from '../storage/holds.ts';
import { Governance } from '../governance/governance.ts';
import { buildApp, type Api, type ApiOptions } from './app.ts';
import type { VideoDeps } from './routes/video.ts';
import type { HttpSecurity } from '../config/load.ts';

export interface HttpPartDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  dataDir: string;
  holds: HoldStore;
  cameraExists: (cameraId: number) => boolean;
  http: { host: string; port: number; security?: HttpSecurity };
  video?: VideoDeps;
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
    const users = new UserStore({ db, clock });
    this.#governance = new Governance({ db, clock, log, dataDir, users, holds });
    const sec = http.security;
    const security: ApiOptions = sec
      ? { credentialLimits: { sessionIdleMs: sec.sessionIdleMs, sessionLifetimeMs: sec.sessionLifetimeMs }, loginLimits: { perAccount: sec.loginMaxFailures, lockMs: sec.lockoutMs } }
      : {};
    this.#app = await buildApp({ db, clock, log, users, governance: this.#governance, cameraExists, video: this.#deps.video, options: { publicUrl: `http://${http.host}:${http.port}`, ...security, ...this.#deps.options } });
    this.#governance.start();
    await this.#app.listen({ host: http.host, port: http.port });
    log.info({ host: http.host, port: this.address.port }, 'HTTP API listening');
  }

  async stop(): Promise<void> {
    this.#governance?.stop();
    await this.#app?.close();
    this.#app = undefined;
    this.#governance = undefined;
  }
}
