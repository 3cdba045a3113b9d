/**
 * The cloud's Prometheus metrics: one registry per Cloud (tests run several in
 * one process). Sync counts are read at scrape time from CloudSync's own stats,
 * so the sync path gains no work; HTTP answers are counted by route pattern.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';

/** What the scrape reads; undefined before the parts exist. */
export interface CloudMetricSources {
  edgesOnline: () => number;
  stats: () => { opsApplied: number; opsDuplicate: number; eventsIngested: number; deadLettered: number };
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export class CloudMetrics {
  readonly registry = new Registry();
  #sources: CloudMetricSources | undefined;
  readonly #http: Counter<'method' | 'route' | 'status'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#http = new Counter({ name: 'cunbox_cloud_http_requests_total', help: 'HTTP requests answered (phone API, pairing, operator), by route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    const sources = () => this.#sources;
    new Gauge({
      name: 'cunbox_cloud_edges_online',
      help: 'Edges the cloud hears from (hello, presence or any message since they came online)',
      registers,
      collect() {
        this.set(sources()?.edgesOnline() ?? 0);
      },
    });
    // Counters whose truth is CloudSync's own tally since start: set from it at scrape time.
    const tally = (name: string, help: string, read: (s: ReturnType<CloudMetricSources['stats']>) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = sources()?.stats();
          this.reset();
          if (s) this.inc(read(s));
        },
      });
    new Counter({
      name: 'cunbox_cloud_ops_ingested_total',
      help: 'Governance ops received from edges: applied, or duplicates of ones already held',
      labelNames: ['result'],
      registers,
      collect() {
        const s = sources()?.stats();
        this.reset();
        if (!s) return;
        this.inc({ result: 'applied' }, s.opsApplied);
        this.inc({ result: 'duplicate' }, s.opsDuplicate);
      },
    });
    tally('cunbox_cloud_events_ingested_total', 'Edge events stored', (s) => s.eventsIngested);
    tally('cunbox_cloud_dead_letters_total', 'Sync messages refused and kept for inspection', (s) => s.deadLettered);
  }

  watch(sources: CloudMetricSources): void {
    this.#sources = sources;
  }

  /** `route` is the pattern, never the URL (ids and codes stay out of labels). */
  httpResponse(method: string, route: string | undefined, status: number): void {
    this.#http.inc({ method, route: route ?? 'unmatched', status: String(status) });
  }

  /** Counts every answer; call before any route is added. */
  countResponses(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => this.httpResponse(req.method, req.routeOptions.url, reply.statusCode));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
