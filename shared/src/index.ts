// One platform for both processes: clock, error table, log redaction, password format (the MQTT peer is
// `@cunbox/shared/mqtt-peer`: only the processes' sync loads MQTT.js, not every CLI command).
export * from './platform/clock.ts';
export * from './platform/errors.ts';
export * from './platform/redact.ts';
export * from './platform/logger.ts';
export * from './oplog/index.ts';
export * from './governance/index.ts';
// Roles, permissions and passwords: the edge and the cloud's phone API check the same ones.
export * from './auth/index.ts';
// The edge ↔ cloud sync protocol.
export * from './sync/index.ts';
// Sensitive fields: what is encrypted at rest and what the cloud never holds in full.
export * from './privacy/index.ts';
// sd_notify for the edge's and the cloud's Type=notify units.
export * from './systemd/notify.ts';
// Free text and numbers from requests: one rule for the edge's API and the cloud's.
export * from './input/index.ts';
// Files replaced whole, durably (keys, broker files).
export * from './fs/write-durably.ts';
// OpenAPI: what the edge and the cloud do alike to document their routes.
export * from './http/openapi.ts';
// What the edge's and the cloud's APIs answer with, for their OpenAPI documents.
export * from './http/reply-schemas.ts';
// Schema migrations: one runner for the edge's and the cloud's databases.
export * from './platform/migrations.ts';
