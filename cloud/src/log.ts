/**
 * The cloud process's logger: the edge's redaction exactly (one list and one
 * scrubber in shared/src/platform), so a secret hidden in one process's log is
 * hidden in the other's.
 */
export { createLogger as createCloudLogger } from '@cunbox/shared';
