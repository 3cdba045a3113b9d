export * from './rules.ts';
export * from './commands.ts';
export * from './views.ts';
