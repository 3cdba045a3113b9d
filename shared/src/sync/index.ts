export * from './protocol.ts';
export * from './window.ts';
