export * from './redact.ts';
export * from './oplog/index.ts';
export * from './governance/index.ts';
// Issue #5: the edge ↔ cloud sync protocol.
export * from './sync/index.ts';
