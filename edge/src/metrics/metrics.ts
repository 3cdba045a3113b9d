/**
 * The edge's Prometheus metrics. One registry per Edge (tests run several in one
 * process), built by the composition root. Counters are bumped where the work
 * happens (segment indexed, retention pass, event stored, HTTP response);
 * gauges are read at scrape time from the parts that already know the answer,
 * so no hot path does extra work for them.
 *
 * Labels carry camera ids, event types, route patterns and status codes, never
 * names, URLs, ids from a path or tokens: the page is served without a login.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CameraStatus, RecorderState } from '../recorder/types.ts';
import type { StorageStatus } from '../storage/status.ts';
import type { NewSegment } from '../storage/segment-index.ts';
import type { RetentionResult } from '../storage/retention.ts';

/** Rows waiting for the cloud's ack, and the age of the oldest event (ms; 0 when none). */
export interface OutboxGauge {
  ops: number;
  events: number;
  oldestEventAgeMs: number;
  connected: boolean;
}

/** What the scrape-time gauges read; undefined where there is nothing to read (no sync without a cloud section). */
export interface MetricSources {
  cameras: () => CameraStatus[];
  storage: () => StorageStatus | undefined;
  outbox: () => OutboxGauge | undefined;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Every state, so a state no camera is in reads 0 rather than vanishing (alerts compare against it). */
const RECORDER_STATES: Record<RecorderState, true> = { idle: true, connecting: true, recording: true, stalled: true, offline: true, 'auth-failed': true, stopped: true };

export class EdgeMetrics {
  readonly registry = new Registry();
  #sources: MetricSources | undefined;
  readonly #segments: Counter<'camera'>;
  readonly #segmentBytes: Counter<'camera'>;
  readonly #indexLatency: Histogram;
  readonly #retentionSegments: Counter<'reason'>;
  readonly #retentionBytes: Counter;
  readonly #events: Counter<'type'>;
  readonly #http: Counter<'method' | 'route' | 'status'>;

  constructor() {
    const registers = [this.registry];
    // Process and runtime metrics, event-loop delay among them (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry });
    this.#segments = new Counter({ name: 'cunbox_segments_written_total', help: 'Segments closed and indexed', labelNames: ['camera'], registers });
    this.#segmentBytes = new Counter({ name: 'cunbox_segment_bytes_written_total', help: 'Bytes of footage indexed', labelNames: ['camera'], registers });
    this.#indexLatency = new Histogram({
      name: 'cunbox_index_latency_seconds',
      help: 'From ffmpeg closing a segment to its index row',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#retentionSegments = new Counter({ name: 'cunbox_retention_deleted_segments_total', help: 'Segments retention deleted, by rule (age: past retention_days; space: free-space reserve)', labelNames: ['reason'], registers });
    this.#retentionBytes = new Counter({ name: 'cunbox_retention_deleted_bytes_total', help: 'Bytes of footage retention deleted', registers });
    this.#events = new Counter({ name: 'cunbox_events_total', help: 'Events stored (camera online/offline, storage alarms, …), by type', labelNames: ['type'], registers });
    this.#http = new Counter({ name: 'cunbox_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['method', 'route', 'status'], registers });

    const sources = () => this.#sources;
    new Gauge({
      name: 'cunbox_cameras',
      help: 'Cameras by recorder state',
      labelNames: ['state'],
      registers,
      collect() {
        for (const state of Object.keys(RECORDER_STATES)) this.set({ state }, 0);
        for (const c of sources()?.cameras() ?? []) this.inc({ state: c.state });
      },
    });
    const disk = (name: string, help: string, read: (s: StorageStatus) => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = sources()?.storage();
          // NaN, not 0, before the first check or without a bitrate: 0 days left would read as an alarm.
          const v = s ? read(s) : null;
          this.set(v ?? Number.NaN);
        },
      });
    disk('cunbox_disk_free_bytes', 'Free bytes on the data disk (at the last storage check)', (s) => s.disk.freeBytes);
    disk('cunbox_disk_total_bytes', 'Size of the data disk', (s) => s.disk.totalBytes);
    disk('cunbox_disk_reserved_bytes', 'Free space retention keeps by deleting the oldest footage', (s) => s.reservedBytes);
    disk('cunbox_storage_days_left', 'Days of footage the disk holds at the current bitrate', (s) => s.daysAtCurrentBitrate);
    const outbox = (name: string, help: string, read: (o: OutboxGauge) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const o = sources()?.outbox();
          this.set(o ? read(o) : Number.NaN);
        },
      });
    outbox('cunbox_sync_outbox_ops', 'Governance ops not yet acknowledged by the cloud', (o) => o.ops);
    outbox('cunbox_sync_outbox_events', 'Events not yet acknowledged by the cloud', (o) => o.events);
    outbox('cunbox_sync_ack_lag_seconds', 'Age of the oldest event the cloud has not acknowledged (0 when none)', (o) => o.oldestEventAgeMs / 1000);
    outbox('cunbox_sync_connected', '1 while connected to the cloud', (o) => (o.connected ? 1 : 0));
  }

  /** Set once the parts exist; scrapes before that read empty sources. */
  watch(sources: MetricSources): void {
    this.#sources = sources;
  }

  segmentIndexed(row: NewSegment, latencyMs: number): void {
    const camera = String(row.cameraId);
    this.#segments.inc({ camera });
    this.#segmentBytes.inc({ camera }, row.bytes);
    this.#indexLatency.observe(Math.max(0, latencyMs) / 1000);
  }

  retentionPass(r: RetentionResult): void {
    this.#retentionSegments.inc({ reason: 'age' }, r.byAge);
    this.#retentionSegments.inc({ reason: 'space' }, r.bySpace);
    this.#retentionBytes.inc(r.deletedBytes);
  }

  eventRecorded(type: string): void {
    this.#events.inc({ type });
  }

  /** `route` is the pattern (/api/tickets/:id), never the raw URL; unmatched requests share one label. */
  httpResponse(method: string, route: string | undefined, status: number): void {
    this.#http.inc({ method, route: route ?? 'unmatched', status: String(status) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
