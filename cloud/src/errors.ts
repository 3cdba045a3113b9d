/** Errors of the cloud API: the shared table (the edge answers with the same codes and statuses). */
export type { ErrorCode as CloudErrorCode } from '@cunbox/shared';
