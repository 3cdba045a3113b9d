/** The edge logs through the same redacting logger as the cloud (shared/src/platform/logger.ts). */
export { createLogger, silentLogger } from '@cunbox/shared';
export type { Logger } from 'pino';
