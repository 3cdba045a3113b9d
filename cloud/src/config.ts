/**
 * The cloud's YAML config. Secrets (operator token, service password, the
 * database URL with its password) live in files named here, never in the
 * config itself.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { MosquittoFilesConfig } from './mosquitto-files.ts';

/** Where the cloud keeps its data: SQLite under data_dir (one process), or a PostgreSQL server several workers share. */
export type CloudStoreConfig = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

export interface CloudConfig {
  dataDir: string;
  /** Absent: SQLite (today's default). */
  store?: CloudStoreConfig;
  /** `trustProxy`: which proxies' X-Forwarded-For to believe (fastify's trustProxy), so per-address limits see the phone, not the proxy. */
  http: { host: string; port: number; trustProxy?: boolean | string };
  operatorToken: string;
  mqtt:
    | { mode: 'embedded'; host: string; port: number; publicUrl: string | null }
    | { mode: 'external'; url: string; username: string; password: string; publicUrl: string | null; mosquitto?: MosquittoFilesConfig | null; sharedGroup?: string | null };
  /** How long the cloud keeps event thumbnails (days; absent: media.ts's default). */
  media?: { thumbnailRetentionDays: number };
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['data_dir', 'operator_token_file'],
  properties: {
    data_dir: { type: 'string', minLength: 1 },
    operator_token_file: { type: 'string', minLength: 1 },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        kind: { enum: ['sqlite', 'postgres'], default: 'sqlite' },
        // A file holding postgresql://user:password@host/db: the password stays out of the config.
        url_file: { type: 'string', minLength: 1 },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8090 },
        // Behind the TLS proxy: its address (or CIDR list, comma-separated), or true for any.
        trust_proxy: { type: ['boolean', 'string'], default: false },
      },
    },
    media: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // Event thumbnails older than this are deleted (hourly); ticket photos and certificates are not touched.
        thumbnail_retention_days: { type: 'integer', minimum: 1, maximum: 3650 },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 1883 },
        url: { type: 'string', pattern: '^mqtts?://' },
        username: { type: 'string', minLength: 1 },
        password_file: { type: 'string', minLength: 1 },
        public_url: { type: 'string', pattern: '^mqtts?://' },
        // Several cloud processes behind one external broker: the group of their shared subscription (docs/design/cloud-workers.md).
        shared_group: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
        // An external Mosquitto whose password and ACL files the cloud writes (mosquitto-files.ts).
        mosquitto: {
          type: 'object',
          additionalProperties: false,
          required: ['password_file', 'acl_file', 'pid_file'],
          properties: { password_file: { type: 'string', minLength: 1 }, acl_file: { type: 'string', minLength: 1 }, pid_file: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

interface Raw {
  data_dir: string;
  operator_token_file: string;
  store: { kind: 'sqlite' | 'postgres'; url_file?: string };
  http: { host: string; port: number; trust_proxy: boolean | string };
  media?: { thumbnail_retention_days?: number };
  mqtt: { host: string; port: number; url?: string; username?: string; password_file?: string; public_url?: string; shared_group?: string; mosquitto?: { password_file: string; acl_file: string; pid_file: string } };
}

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true }).compile<Raw>(schema);

export function parseCloudConfig(text: string, file: string): CloudConfig {
  const data: unknown = parse(text) ?? {};
  if (!validate(data)) throw new Error(`${file}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  const base = dirname(resolve(file));
  const secret = (f: string): string => readFileSync(resolve(base, f), 'utf8').trim();
  const m = data.mqtt;
  let mqtt: CloudConfig['mqtt'];
  if (m.url) {
    if (!m.username || !m.password_file) throw new Error(`${file}: mqtt.url needs mqtt.username and mqtt.password_file`);
    const mq = m.mosquitto;
    const mosquitto = mq ? { passwordFile: resolve(base, mq.password_file), aclFile: resolve(base, mq.acl_file), pidFile: resolve(base, mq.pid_file) } : null;
    mqtt = { mode: 'external', url: m.url, username: m.username, password: secret(m.password_file), publicUrl: m.public_url ?? null, mosquitto, sharedGroup: m.shared_group ?? null };
  } else {
    if (m.mosquitto) throw new Error(`${file}: mqtt.mosquitto needs an external broker (mqtt.url)`);
    // The embedded broker lives in one cloud process: there is nobody to share the uplink with.
    if (m.shared_group) throw new Error(`${file}: mqtt.shared_group needs an external broker (mqtt.url)`);
    mqtt = { mode: 'embedded', host: m.host, port: m.port, publicUrl: m.public_url ?? null };
  }
  return { dataDir: resolve(base, data.data_dir), store: storeConfig(data.store, file, secret), http: { host: data.http.host, port: data.http.port, trustProxy: data.http.trust_proxy }, operatorToken: secret(data.operator_token_file), mqtt, ...(data.media?.thumbnail_retention_days ? { media: { thumbnailRetentionDays: data.media.thumbnail_retention_days } } : {}) };
}

function storeConfig(s: Raw['store'], file: string, secret: (f: string) => string): CloudStoreConfig {
  if (s.kind === 'sqlite') {
    if (s.url_file) throw new Error(`${file}: store.url_file is for store.kind postgres`);
    return { kind: 'sqlite' };
  }
  if (!s.url_file) throw new Error(`${file}: store.kind postgres needs store.url_file (a file holding the postgresql:// URL)`);
  const url = secret(s.url_file);
  // Never echo the URL: it holds the database password.
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${file}: store.url_file ${s.url_file} does not hold a postgresql:// URL`);
  return { kind: 'postgres', url };
}

export function loadCloudConfig(file: string): CloudConfig {
  return parseCloudConfig(readFileSync(file, 'utf8'), file);
}
