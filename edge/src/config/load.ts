import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { CunboxError } from '../errors.ts';
import { configSchema, type RawConfig } from './schema.ts';
import type { CameraInput } from '../cameras/registry.ts';
import type { RecorderSettings } from '../recorder/camera-recorder.ts';
import { defaultRecorderSettings } from '../recorder/camera-recorder.ts';
import { defaultRetentionSettings, type RetentionSettings } from '../storage/retention.ts';
import type { TlsFiles } from '../api/tls.ts';
import type { VillageIdentity } from '../governance/village.ts';

/** 1 Mbit/s: a village 4G uplink stays usable for ops and video while photos go up. */
export const DEFAULT_UPLOAD_KBPS = 1024;
/** A year of audit trail unless the config says otherwise (never under 180 days). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

export interface EdgeConfig {
  file: string | null;
  dataDir: string;
  logLevel: string;
  /** Bound on Edge.stop(); see there. Absent: DEFAULT_STOP_TIMEOUT_MS. */
  stopTimeoutMs?: number;
  recorder: RecorderSettings;
  retention: RetentionSettings;
  cameras: CameraInput[];
  /** The governance HTTP API; null (or absent): not started. */
  http?: { host: string; port: number; /** HTTPS when set: PEM files. */ tls?: TlsFiles | null } | null;
  /** Printed on certificates; null (or absent): certificates cannot be printed. */
  village?: VillageIdentity | null;
  /** Sync with the cloud (issue #5); null (or absent): not started. */
  cloud?: { url: string; edgeId: string; credentialsFile: string; /** Media upload cap (issue #5); 0: none. */ uploadKbps?: number } | null;
  /** How long the audit log is kept (at least 180 days); absent: 365. */
  audit?: { retentionDays: number };
  /** Daily backups (`cunbox backup`); null (or absent): none scheduled. */
  backup?: { dir: string; keep: number; dailyAt: string } | null;
}

// Compiled on first use, so that commands that read no config (--help) do not pay for it.
let compiled: ValidateFunction<RawConfig> | undefined;
function validator(): ValidateFunction<RawConfig> {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true }).compile<RawConfig>(configSchema);
  return compiled;
}

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/** "2GiB", "500 MB", 1024 → bytes. */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(value);
  if (!m) throw new CunboxError('CONFIG_INVALID', `not a size: ${value}`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'B').toUpperCase()]!);
}

/** Reads, validates and resolves a config file. Throws CONFIG_INVALID listing every problem. */
export function loadConfigFile(file: string): EdgeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CunboxError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string | null = null): EdgeConfig {
  const where = file ?? '<config>';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CunboxError(
      'CONFIG_INVALID',
      `${where}: not valid YAML`,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${where}:${pos ? `${pos.line}:${pos.col}` : '?'} ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const validate = validator();
  if (!validate(data)) {
    const details = (validate.errors ?? []).map((e) => describeError(e, doc, lines, where));
    throw new CunboxError('CONFIG_INVALID', `${where}: ${details.length} problem${details.length === 1 ? '' : 's'}`, details);
  }
  const cfg = data;
  const base = file ? dirname(resolve(file)) : process.cwd();
  return {
    file,
    dataDir: resolve(base, cfg.data_dir),
    logLevel: cfg.log_level,
    stopTimeoutMs: cfg.stop_timeout_seconds * 1000,
    recorder: {
      ...defaultRecorderSettings,
      ffmpegPath: cfg.recording.ffmpeg,
      segmentSeconds: cfg.recording.segment_seconds,
      watchdogMs: cfg.recording.watchdog_seconds * 1000,
      connectTimeoutMs: cfg.recording.connect_timeout_seconds * 1000,
      transport: cfg.recording.transport,
    },
    retention: {
      defaultDays: cfg.retention.days,
      minDays: cfg.retention.min_days,
      minFreeRatio: cfg.retention.min_free_percent / 100,
      minFreeBytes: parseSize(cfg.retention.min_free_bytes),
      maxBytes: cfg.retention.max_bytes === null ? null : parseSize(cfg.retention.max_bytes),
      intervalMs: cfg.retention.interval_seconds * 1000,
      watchMs: defaultRetentionSettings.watchMs,
      batchSize: defaultRetentionSettings.batchSize,
    },
    http: cfg.http ? { host: cfg.http.host, port: cfg.http.port, tls: cfg.http.tls ? { certFile: resolve(base, cfg.http.tls.cert), keyFile: resolve(base, cfg.http.tls.key) } : null } : null,
    village: cfg.village
      ? {
          name: cfg.village.name,
          issuer: cfg.village.issuer ?? `${cfg.village.name}村民委员会`,
          verifyBaseUrl: cfg.village.verify_base_url.replace(/\/+$/, ''),
          address: cfg.village.address ?? null,
          phone: cfg.village.phone ?? null,
        }
      : null,
    cloud: cfg.cloud ? { url: cfg.cloud.url, edgeId: cfg.cloud.edge_id, credentialsFile: resolve(base, cfg.cloud.credentials_file), uploadKbps: cfg.cloud.upload_kbps ?? DEFAULT_UPLOAD_KBPS } : null,
    cameras: cfg.cameras.map((c) => ({
      name: c.name,
      zone: c.zone ?? null,
      mainUrl: c.main,
      subUrl: c.sub ?? null,
      username: c.user ?? null,
      password: c.password ?? null,
      enabled: c.enabled,
      retentionDays: c.retention_days ?? null,
    })),
    audit: { retentionDays: cfg.audit.retention_days },
    backup: cfg.backup ? { dir: resolve(base, cfg.backup.dir), keep: cfg.backup.keep, dailyAt: cfg.backup.daily_at } : null,
  };
}

function describeError(e: ErrorObject, doc: ReturnType<typeof parseDocument>, lines: LineCounter, where: string): string {
  const path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  let key = path.join('.') || '(top level)';
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    path.push(extra);
    key = path.join('.');
    message = 'unknown key (check its spelling)';
  } else if (e.keyword === 'enum') {
    message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'pattern' && key.endsWith('main')) {
    message = 'must be an rtsp:// or rtsps:// URL';
  } else if (e.keyword === 'pattern' && key === 'village.verify_base_url') {
    message = 'must be an http:// or https:// address without query, e.g. https://kuangcun.example.cn';
  }
  const node = doc.getIn(path, true);
  const offset = isNode(node) && node.range ? node.range[0] : undefined;
  const pos = offset !== undefined ? lines.linePos(offset) : undefined;
  return `${where}:${pos ? `${pos.line}:${pos.col}` : '?'} ${key}: ${message}`;
}
