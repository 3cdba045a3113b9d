/** Errors of the cloud API: one table, stable codes. */
export const cloudErrors = {
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  PAIR_CODE_INVALID: 403,
  INVALID_INPUT: 400,
  // The phone API (phone/): a role without the permission, a workflow step not allowed from here, too many failed sign-ins.
  FORBIDDEN: 403,
  INVALID_TRANSITION: 409,
  RATE_LIMITED: 429,
  // What Fastify itself refuses (bad JSON, a body over the limit, a content type no parser takes).
  MALFORMED_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
} as const;
export type CloudErrorCode = keyof typeof cloudErrors;
