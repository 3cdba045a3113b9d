export * from './cloud.ts';
export * from './config.ts';
export * from './store.ts';
export * from './broker.ts';
export * from './sync.ts';
export * from './http.ts';
export * from './media.ts';
export * from './media-index.ts';
