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
import { isTimeZone } from '../local-time.ts';
import { TemplatedError } from '../probe/problem.ts';
import { defaultCameraMotion, type CameraMotionSettings as CameraMotionSource } from '../onvif/events/sources.ts';
import type { TrackerSettings } from '../motion/tracker.ts';
import type { CameraMotionSettings } from '../motion/settings-store.ts';

/** 1 Mbit/s: a village 4G uplink stays usable for ops and video while photos go up. */
export const DEFAULT_UPLOAD_KBPS = 1024;
/** Live view through the cloud: three sub streams of about 500 kbit/s. */
export const DEFAULT_RELAY_KBPS = 1536;
/** A year of audit trail unless the config says otherwise (never under 180 days). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

export interface EdgeConfig {
  file: string | null;
  dataDir: string;
  logLevel: string;
  /** Bound on Edge.stop(); see there. Absent: DEFAULT_STOP_TIMEOUT_MS. */
  stopTimeoutMs?: number;
  /** IANA zone for times shown to and typed by people (storage is UTC). */
  timezone: string;
  recorder: RecorderSettings;
  retention: RetentionSettings;
  cameras: CameraInput[];
  /** Names of the config-file cameras marked `checkpoint: true` (the file is the truth for them at every start). */
  checkpoints?: string[];
  /** Per camera name, what its `motion` and `onvif_events` sections say; a camera not here gets the defaults. */
  cameraMotion?: Record<string, CameraMotionSource>;
  /** The governance HTTP API; null (or absent): not started. */
  http?: { host: string; port: number; /** HTTPS when set: PEM files. */ tls?: TlsFiles | null; security?: HttpSecurity } | null;
  /** Printed on certificates; null (or absent): certificates cannot be printed. */
  village?: VillageIdentity | null;
  /** Sync with the cloud; null (or absent): not started. */
  cloud?: { url: string; edgeId: string; credentialsFile: string; /** Media upload cap; 0: none. */ uploadKbps?: number; /** Live relay upload cap; 0: none. */ relayKbps?: number } | null;
  /** How long the audit log is kept (at least 180 days); absent: 365. */
  audit?: { retentionDays: number };
  /** Daily backups (`cunbox backup`); doctor checks the newest is recent. null (or absent): none scheduled. */
  backup?: { dir: string; keep: number; dailyAt: string } | null;
  /** Motion detection; null (or absent): not started. */
  motion?: MotionConfig | null;
}

/** The motion section, and the motion settings of config-file cameras by camera name. */
interface MotionConfig {
  tracker: TrackerSettings;
  activeFps: number;
  cameras: Record<string, Omit<CameraMotionSettings, 'cameraId'>>;
}

/** Session timeouts and login lockout of the HTTP API. */
interface HttpSecurity {
  sessionIdleMs: number;
  sessionLifetimeMs: number;
  loginMaxFailures: number;
  lockoutMs: number;
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
    throw new TemplatedError('CONFIG_INVALID', 'cannot read config file {file}: {reason}', { file, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string | null = null): EdgeConfig {
  const where = file ?? '<config>';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TemplatedError('CONFIG_INVALID', '{file}: not valid YAML', { file: where }, {
      details: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { text: `${where}:${pos ? `${pos.line}:${pos.col}` : '?'} ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, vars: {} };
      }),
    });
  }
  const data: unknown = doc.toJS() ?? {};
  const validate = validator();
  if (!validate(data)) {
    const details = (validate.errors ?? []).map((e) => describeError(e, doc, lines, where));
    throw problems(where, details);
  }
  const cfg = data;
  if (!isTimeZone(cfg.timezone)) {
    const node = doc.get('timezone', true);
    const pos = isNode(node) && node.range ? lines.linePos(node.range[0]) : undefined;
    throw problems(where, [`${where}:${pos ? `${pos.line}:${pos.col}` : '?'} timezone: "${cfg.timezone}" is not a time zone (e.g. Asia/Shanghai, UTC)`]);
  }
  const base = file ? dirname(resolve(file)) : process.cwd();
  return {
    file,
    dataDir: resolve(base, cfg.data_dir),
    logLevel: cfg.log_level,
    stopTimeoutMs: cfg.stop_timeout_seconds * 1000,
    timezone: cfg.timezone,
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
    http: cfg.http
      ? {
          host: cfg.http.host,
          port: cfg.http.port,
          ...(cfg.http.tls ? { tls: { certFile: resolve(base, cfg.http.tls.cert), keyFile: resolve(base, cfg.http.tls.key) } } : {}),
          security: {
            sessionIdleMs: cfg.http.idle_timeout_minutes * 60_000,
            sessionLifetimeMs: cfg.http.absolute_lifetime_hours * 3600_000,
            loginMaxFailures: cfg.http.login_max_failures,
            lockoutMs: cfg.http.lockout_minutes * 60_000,
          },
        }
      : null,
    village: cfg.village
      ? {
          name: cfg.village.name,
          issuer: cfg.village.issuer ?? `${cfg.village.name}村民委员会`,
          verifyBaseUrl: cfg.village.verify_base_url.replace(/\/+$/, ''),
          address: cfg.village.address ?? null,
          phone: cfg.village.phone ?? null,
        }
      : null,
    cloud: cfg.cloud ? { url: cfg.cloud.url, edgeId: cfg.cloud.edge_id, credentialsFile: resolve(base, cfg.cloud.credentials_file), uploadKbps: cfg.cloud.upload_kbps ?? DEFAULT_UPLOAD_KBPS, relayKbps: cfg.cloud.relay_kbps ?? DEFAULT_RELAY_KBPS } : null,
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
    checkpoints: cfg.cameras.filter((c) => c.checkpoint).map((c) => c.name.trim()),
    cameraMotion: Object.fromEntries(
      cfg.cameras.map((c) => [
        c.name,
        {
          source: c.motion?.source ?? defaultCameraMotion.source,
          onvifAddress: c.onvif_events?.address ?? null,
          mergeGapMs: c.onvif_events?.merge_gap_seconds !== undefined ? Math.round(c.onvif_events.merge_gap_seconds * 1000) : defaultCameraMotion.mergeGapMs,
        },
      ]),
    ),
    audit: { retentionDays: cfg.audit.retention_days },
    backup: cfg.backup ? { dir: resolve(base, cfg.backup.dir), keep: cfg.backup.keep, dailyAt: cfg.backup.daily_at } : null,
    motion: cfg.motion
      ? {
          tracker: { minFrames: cfg.motion.min_frames, mergeGapMs: cfg.motion.merge_gap_seconds * 1000, maxEventMs: cfg.motion.max_event_seconds * 1000 },
          activeFps: cfg.motion.active_fps,
          cameras: Object.fromEntries(
            cfg.cameras
              .filter((c) => c.motion)
              .map((c) => {
                const m = c.motion!;
                const area = (kind: 'zone' | 'mask') => (a: { name: string; points: Array<[number, number]> }) => ({ kind, name: a.name, points: a.points });
                return [c.name.trim(), { enabled: m.enabled && m.source !== 'onvif', sensitivity: m.sensitivity, minAreaPercent: m.min_area_percent, zones: m.zones.map(area('zone')), masks: m.masks.map(area('mask')) }];
              }),
          ),
        }
      : null,
  };
}

/** The file's problems, one detail line each (they name keys and lines: not translated). */
function problems(where: string, details: string[]): TemplatedError {
  return new TemplatedError('CONFIG_INVALID', details.length === 1 ? '{file}: 1 problem' : '{file}: {n} problems', { file: where, n: details.length }, { details: details.map((text) => ({ text, vars: {} })) });
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
