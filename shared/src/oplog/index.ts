export * from './hlc.ts';
export * from './ids.ts';
export * from './types.ts';
export * from './fold.ts';
