import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { buildApp } from './app.ts';
import type { Api, ApiDeps, ApiOptions } from './route-context.ts';
import { readTls, type TlsFiles } from './tls.ts';

const AUDIT_PRUNE_INTERVAL_MS = 86_400_000;

export interface HttpPartDeps {
  clock: Clock;
  log: Logger;
  http: { host: string; port: number; tls?: TlsFiles | null };
  /** The services the routes call, built by the composition root (their `options` come from `options` below). */
  api: Omit<ApiDeps, 'options'>;
  auditRetentionDays: number;
  options?: ApiOptions;
}

/**
 * The edge's HTTP API listening on host:port, and the daily prune of the
 * audit log it writes. The services behind it (governance, the office screen's
 * feed, credentials) are built, started and stopped by the composition root.
 */
export class HttpPart {
  readonly #deps: HttpPartDeps;
  #app: Api | undefined;
  #pruneTimer: unknown;

  constructor(deps: HttpPartDeps) {
    this.#deps = deps;
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
    const { clock, log, http, api } = this.#deps;
    const tls = http.tls ? readTls(http.tls) : null;
    if (tls) log.info({ fingerprint: tls.fingerprint, notAfter: tls.notAfter.toISOString() }, 'HTTPS certificate');
    const { audit } = api;
    // Rows an older version wrote join the chain now; then the daily prune (never under 180 days).
    audit.seal();
    const prune = () => {
      const n = audit.prune(this.#deps.auditRetentionDays);
      if (n > 0) log.info({ module: 'audit', rows: n, head: audit.verify().head }, 'old audit rows pruned');
    };
    prune();
    this.#pruneTimer = clock.setInterval(prune, AUDIT_PRUNE_INTERVAL_MS);
    this.#app = await buildApp({ ...api, options: { publicUrl: `${tls ? 'https' : 'http'}://${http.host}:${http.port}`, tls, ...this.#deps.options } });
    await this.#app.listen({ host: http.host, port: http.port });
    log.info({ host: http.host, port: this.address.port, tls: tls !== null }, 'HTTP API listening');
  }

  /** The caller stops the office screen's feed first: close() would otherwise wait for its streams (or cut them without a last byte). */
  async stop(): Promise<void> {
    if (this.#pruneTimer !== undefined) this.#deps.clock.clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    await this.#app?.close();
    this.#app = undefined;
  }
}
