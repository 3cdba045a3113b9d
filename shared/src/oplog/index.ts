export * from './hlc.ts';
export * from './ids.ts';
export * from './types.ts';
export * from './fold.ts';
export * from './row.ts';
export * from './op-log.ts';
