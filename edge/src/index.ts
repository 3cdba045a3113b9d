export { Edge, type EdgeDeps } from './edge.ts';
export { loadConfigFile, parseConfig, type EdgeConfig } from './config/load.ts';
export { createLogger, silentLogger } from './log.ts';
export { systemClock, type Clock } from './clock.ts';
