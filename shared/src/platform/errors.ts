/**
 * One table of the errors the edge and the cloud report to people (CLI, API,
 * phone). Each has a stable code, so scripts, the web app and the phone can
 * match on it, an HTTP status, and an exit code for the CLIs (sysexits where
 * one fits). Messages are English; the CLIs and the apps translate by code.
 */
export const ERROR_TABLE = {
  CONFIG_INVALID: { exit: 78, status: 400 },
  INVALID_INPUT: { exit: 64, status: 400 },
  NOT_FOUND: { exit: 66, status: 404 },
  CONFLICT: { exit: 65, status: 409 },
  EDGE_RUNNING: { exit: 75, status: 409 },
  IO_ERROR: { exit: 74, status: 500 },
  CHECK_FAILED: { exit: 1, status: 500 },
  // What a camera can be wrong about when it is added or tested: one code
  // each, so a technician's script can tell them apart.
  CAMERA_UNREACHABLE: { exit: 80, status: 502 },
  ONVIF_AUTH_FAILED: { exit: 81, status: 502 },
  RTSP_AUTH_FAILED: { exit: 82, status: 502 },
  NO_H264_STREAM: { exit: 83, status: 422 },
  CAMERA_CLOCK_OFF: { exit: 84, status: 422 },
  ONVIF_BAD_REPLY: { exit: 85, status: 502 },
  STREAM_FAILED: { exit: 86, status: 502 },
  // The HTTP APIs.
  UNAUTHENTICATED: { exit: 77, status: 401 },
  FORBIDDEN: { exit: 77, status: 403 },
  MALFORMED_REQUEST: { exit: 64, status: 400 },
  PAYLOAD_TOO_LARGE: { exit: 64, status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { exit: 64, status: 415 },
  INVALID_TRANSITION: { exit: 65, status: 409 },
  RATE_LIMITED: { exit: 75, status: 429 },
  UNAVAILABLE: { exit: 69, status: 503 },
  INTERNAL: { exit: 70, status: 500 },
  // Playback and export.
  INVALID_RANGE: { exit: 64, status: 400 },
  NO_FOOTAGE: { exit: 66, status: 404 },
  EXPORT_FAILED: { exit: 74, status: 500 },
  // A phone's request relayed through the cloud to the village's edge got no answer in time.
  RELAY_TIMEOUT: { exit: 75, status: 504 },
  // Pairing an edge with the cloud: the one-time code is the credential.
  PAIR_CODE_INVALID: { exit: 77, status: 403 },
} as const satisfies Record<string, { exit: number; status: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class CunboxError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];
  constructor(code: ErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'CunboxError';
    this.code = code;
    this.details = details;
  }
  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }
  get httpStatus(): number {
    return ERROR_TABLE[this.code].status;
  }
}
