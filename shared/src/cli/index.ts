// What the edge's `cunbox` and the cloud's `cunbox-cloud` share: language, commander's words, tables, local time.
// Its own entry point (`@cunbox/shared/cli`): services that import `@cunbox/shared` do not load commander or cli-table3.
export * from './lang.ts';
export * from './commander-i18n.ts';
export * from './table.ts';
export * from './local-time.ts';
export * from './closed-pipe.ts';
