export * from './protocol.ts';
export * from './window.ts';
export * from './media.ts';
