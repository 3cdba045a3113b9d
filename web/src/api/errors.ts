// How a refused call reaches the pages: one error type carrying the edge's stable code and
// its message, which the pages show as they are.

/** The edge's error body: `{error: {code, message, details?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the session is gone (401 on a call that needed it): the app goes to the login page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

/** A refused call as an ApiError from the edge's error body; a lost session sends the app to the login page. */
export function failure(res: Response, body: unknown, path: string): ApiError {
  const e = (body as { error?: { code?: string; message?: string } } | null | undefined)?.error;
  if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated();
  return new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `${res.status} ${res.statusText}`);
}
