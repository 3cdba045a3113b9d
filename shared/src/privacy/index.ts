export * from './sensitive.ts';
export * from './field-cipher.ts';
export * from './key-file.ts';
