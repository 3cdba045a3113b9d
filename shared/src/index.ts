export * from './redact.ts';
export * from './oplog/index.ts';
export * from './governance/index.ts';
