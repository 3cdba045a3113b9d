/**
 * The edge's errors are the shared table (one code, status and exit code for
 * the edge, the cloud and their CLIs); this module keeps the edge's name for it.
 */
export { ERROR_TABLE as errorTable, CunboxError, type ErrorCode } from '@cunbox/shared';
