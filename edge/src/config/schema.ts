/**
 * The edge's one YAML config file, as a JSON Schema. Every error is reported at
 * once (ajv allErrors) with the file line it points to; unknown keys are errors
 * so a typo never silently falls back to a default.
 */
const SIZE = { type: ['integer', 'string'], pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)?\\s*$', minimum: 0 } as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data_dir'],
  properties: {
    data_dir: { type: 'string', minLength: 1, description: 'Where the database and recordings live.' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
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
        min_free_percent: { type: 'number', minimum: 0, maximum: 90, default: 5 },
        min_free_bytes: { ...SIZE, default: '2GiB' },
        max_bytes: { anyOf: [SIZE, { type: 'null' }], default: null },
        interval_seconds: { type: 'number', minimum: 1, maximum: 3600, default: 60 },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      description: 'The governance HTTP API (issue #4); without this section it is not started.',
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        // Sign-in security (等保 2.0 level 2 asks for each of these to be set and enforced).
        idle_timeout_minutes: { type: 'integer', minimum: 1, maximum: 1440, default: 30, description: 'A dashboard session unused this long ends.' },
        absolute_lifetime_hours: { type: 'integer', minimum: 1, maximum: 720, default: 12, description: 'A dashboard session ends this long after login, used or not.' },
        login_max_failures: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'Failed logins of one account before it is locked.' },
        lockout_minutes: { type: 'integer', minimum: 1, maximum: 1440, default: 15, description: 'The first lockout; each further one lasts twice as long (at most a day).' },
      },
    },
    // Issue #5: sync with the cloud; without this section the edge runs alone.
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
        },
      },
    },
  },
} as const;

/** The file as written (after defaults). */
export interface RawConfig {
  data_dir: string;
  log_level: string;
  recording: {
    segment_seconds: number;
    watchdog_seconds: number;
    connect_timeout_seconds: number;
    transport: 'tcp' | 'udp';
    ffmpeg: string;
  };
  retention: {
    days: number;
    min_free_percent: number;
    min_free_bytes: number | string;
    max_bytes: number | string | null;
    interval_seconds: number;
  };
  http?: { host: string; port: number; idle_timeout_minutes: number; absolute_lifetime_hours: number; login_max_failures: number; lockout_minutes: number };
  cloud?: { url: string; edge_id: string; credentials_file: string; upload_kbps?: number };
  cameras: Array<{
    name: string;
    zone?: string;
    main: string;
    sub?: string;
    user?: string;
    password?: string;
    enabled: boolean;
    retention_days?: number;
  }>;
}
