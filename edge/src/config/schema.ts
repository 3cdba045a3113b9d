/**
 * The edge's one YAML config file, as a JSON Schema. Every error is reported at
 * once (ajv allErrors) with the file line it points to; unknown keys are errors
 * so a typo never silently falls back to a default.
 */
const SIZE = { type: ['integer', 'string'], pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)?\\s*$', minimum: 0 } as const;

/** A zone or mask: a name and 3..64 points [x, y], each 0..1 of the picture's width and height. */
const AREA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'points'],
  properties: {
    name: { type: 'string', pattern: '^[\\p{L}\\p{N}_.-]([\\p{L}\\p{N}_ .-]{0,30}[\\p{L}\\p{N}_.-])?$' },
    points: { type: 'array', minItems: 3, maxItems: 64, items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 1 } } },
  },
} as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data_dir'],
  properties: {
    data_dir: { type: 'string', minLength: 1, description: 'Where the database and recordings live.' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    stop_timeout_seconds: {
      type: 'number',
      minimum: 1,
      maximum: 600,
      default: 20,
      description: 'How long a stop may take (every camera\'s last segment indexed) before the process gives up and exits non-zero.',
    },
    // Checked against the IANA zones Node knows after the schema (load.ts).
    timezone: { type: 'string', minLength: 1, default: 'Asia/Shanghai', description: 'The zone people read and type times in (CLI); storage stays UTC.' },
    recording: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        segment_seconds: { type: 'number', minimum: 2, maximum: 600, default: 60 },
        watchdog_seconds: { type: 'number', minimum: 2, maximum: 300, default: 10 },
        connect_timeout_seconds: { type: 'number', minimum: 2, maximum: 300, default: 20 },
        transport: { enum: ['tcp', 'udp'], default: 'tcp' },
        ffmpeg: { type: 'string', minLength: 1, default: 'ffmpeg' },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        days: { type: 'number', exclusiveMinimum: 0, maximum: 3650, default: 7 },
        min_days: { anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: 3650 }, { type: 'null' }], default: null, description: 'Legal floor: no camera keeps less (e.g. 30 where public cameras must keep 30 days).' },
        min_free_percent: { type: 'number', minimum: 0, maximum: 90, default: 5 },
        min_free_bytes: { ...SIZE, default: '2GiB' },
        max_bytes: { anyOf: [SIZE, { type: 'null' }], default: null },
        interval_seconds: { type: 'number', minimum: 1, maximum: 3600, default: 60 },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      description: 'The governance HTTP API; without this section it is not started.',
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        // Sign-in security (等保 2.0 level 2 asks for each of these to be set and enforced).
        idle_timeout_minutes: { type: 'integer', minimum: 1, maximum: 1440, default: 30, description: 'A dashboard session unused this long ends.' },
        absolute_lifetime_hours: { type: 'integer', minimum: 1, maximum: 720, default: 12, description: 'A dashboard session ends this long after login, used or not.' },
        login_max_failures: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'Failed logins of one account before it is locked.' },
        lockout_minutes: { type: 'integer', minimum: 1, maximum: 1440, default: 15, description: 'The first lockout; each further one lasts twice as long (at most a day).' },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          description: 'Serve HTTPS with this certificate (`cunbox tls create` makes a self-signed one); cookies become Secure and HSTS is sent.',
          properties: {
            cert: { type: 'string', minLength: 1 },
            key: { type: 'string', minLength: 1 },
          },
        },
      },
    },
    village: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'verify_base_url'],
      description: 'Who this box speaks for: the issuer and verification address printed on certificates.',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 32, description: 'The village, e.g. 匡村.' },
        issuer: { type: 'string', minLength: 1, maxLength: 64, description: 'Printed as the issuer; default: the name + 村民委员会.' },
        verify_base_url: { type: 'string', pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', maxLength: 200, description: 'Where people outside reach this API, e.g. https://kuangcun.example.cn.' },
        address: { type: 'string', minLength: 1, maxLength: 100 },
        phone: { type: 'string', minLength: 1, maxLength: 32 },
      },
    },
    // Sync with the cloud; without this section the edge runs alone.
    cloud: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'edge_id', 'credentials_file'],
      description: 'The cloud this edge syncs with; `cunbox cloud pair` writes the credentials file.',
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        edge_id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
        credentials_file: { type: 'string', minLength: 1 },
        // Media uploads (photos, snapshots) only; ops never wait for them. 0: no cap.
        upload_kbps: { type: 'integer', minimum: 0, maximum: 10000000, description: 'Cap on media upload bandwidth in kilobits per second (default 1024; 0: none).' },
        // Live view through the cloud, every camera together; ops never wait for it (they go over MQTT).
        relay_kbps: { type: 'integer', minimum: 0, maximum: 10000000, description: 'Cap on live-view upload bandwidth to the cloud in kilobits per second, all cameras together (default 1536; 0: none). Keep it below the uplink so ops and snapshots still get through.' },
      },
    },
    cameras: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'main'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 64 },
          zone: { type: 'string', maxLength: 64 },
          main: { type: 'string', pattern: '^rtsps?://' },
          sub: { type: 'string', pattern: '^rtsps?://' },
          user: { type: 'string' },
          password: { type: 'string' },
          enabled: { type: 'boolean', default: true },
          retention_days: { type: 'number', exclusiveMinimum: 0, maximum: 3650 },
          checkpoint: { type: 'boolean', default: false, description: 'A checkpoint (路口卡口): its motion is counted per hour and zone (GET /api/checkpoints/activity).' },
          motion: {
            type: 'object',
            additionalProperties: false,
            description: "This camera's motion: where it comes from (source), and the video detector's settings (used when the top-level motion section is present).",
            properties: {
              source: { enum: ['video', 'onvif', 'both'], description: "Where motion comes from: the edge's own video detector, the camera's ONVIF events, or both (default both: ONVIF events wherever the camera offers them, the video detector when the top-level motion section is present)." },
              enabled: { type: 'boolean', default: true },
              sensitivity: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: '1..100; higher finds fainter motion.' },
              min_area_percent: { type: 'number', exclusiveMinimum: 0, maximum: 50, default: 0.2, description: 'Smallest moving blob that counts, in percent of the picture.' },
              zones: { type: 'array', maxItems: 16, default: [], items: AREA, description: 'Named areas; with zones, only motion inside them makes events (one per zone).' },
              masks: { type: 'array', maxItems: 16, default: [], items: AREA, description: 'Areas never analysed (clock overlay, trees, the road outside).' },
            },
          },
          onvif_events: {
            type: 'object',
            additionalProperties: false,
            description: "The camera's own motion and tamper alarms through ONVIF events (PullPoint).",
            properties: {
              address: { type: 'string', minLength: 1, description: 'ONVIF address (HOST[:PORT] or http://…/onvif/device_service); default: the one `cameras add --onvif` stored.' },
              merge_gap_seconds: { type: 'number', minimum: 0, maximum: 600, description: 'An alarm off for less than this and on again stays one event (default 10).' },
            },
          },
        },
      },
    },
    motion: {
      type: 'object',
      additionalProperties: false,
      description: 'Motion detection on every enabled camera\'s sub stream; without this section none runs.',
      properties: {
        active_fps: { type: 'number', minimum: 1, maximum: 15, default: 5, description: 'Frames per second analysed while motion lasts (key frames only while still).' },
        merge_gap_seconds: { type: 'number', minimum: 0, maximum: 600, default: 10, description: 'Motion resuming within this gap continues the same event.' },
        min_frames: { type: 'integer', minimum: 1, maximum: 10, default: 2, description: 'Consecutive analysed frames with motion before an event starts.' },
        max_event_seconds: { type: 'number', minimum: 10, maximum: 3600, default: 300, description: 'Longer motion is cut into events of this length.' },
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // Kept whatever footage retention says; 等保 2.0 level 2 asks for at least six months.
        retention_days: { type: 'integer', minimum: 180, maximum: 36500, default: 365, description: 'Days the audit log is kept (at least 180).' },
      },
    },
    backup: {
      type: 'object',
      additionalProperties: false,
      required: ['dir'],
      description: 'Daily online backup of the database, config, credentials and keys (never footage); without this section none is scheduled.',
      properties: {
        dir: { type: 'string', minLength: 1, description: 'Where cunbox-backup-YYYYMMDD-HHMMSS/ folders go; best on another disk.' },
        keep: { type: 'integer', minimum: 1, maximum: 365, default: 7, description: 'How many backups are kept (the newest).' },
        daily_at: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '03:30', description: 'Local time of the daily backup, HH:MM.' },
      },
    },
  },
} as const;

/** The file as written (after defaults). */
export interface RawConfig {
  data_dir: string;
  log_level: string;
  stop_timeout_seconds: number;
  timezone: string;
  recording: {
    segment_seconds: number;
    watchdog_seconds: number;
    connect_timeout_seconds: number;
    transport: 'tcp' | 'udp';
    ffmpeg: string;
  };
  retention: {
    days: number;
    min_days: number | null;
    min_free_percent: number;
    min_free_bytes: number | string;
    max_bytes: number | string | null;
    interval_seconds: number;
  };
  http?: { host: string; port: number; tls?: { cert: string; key: string }; idle_timeout_minutes: number; absolute_lifetime_hours: number; login_max_failures: number; lockout_minutes: number };
  village?: { name: string; issuer?: string; verify_base_url: string; address?: string; phone?: string };
  cloud?: { url: string; edge_id: string; credentials_file: string; upload_kbps?: number; relay_kbps?: number };
  cameras: Array<{
    name: string;
    zone?: string;
    main: string;
    sub?: string;
    user?: string;
    password?: string;
    enabled: boolean;
    retention_days?: number;
    checkpoint: boolean;
    motion?: RawCameraMotion & { source?: 'video' | 'onvif' | 'both' };
    onvif_events?: { address?: string; merge_gap_seconds?: number };
  }>;
  motion?: { active_fps: number; merge_gap_seconds: number; min_frames: number; max_event_seconds: number };
  audit: { retention_days: number };
  backup?: { dir: string; keep: number; daily_at: string };
}

interface RawCameraMotion {
  enabled: boolean;
  sensitivity: number;
  min_area_percent: number;
  zones: Array<{ name: string; points: Array<[number, number]> }>;
  masks: Array<{ name: string; points: Array<[number, number]> }>;
}
