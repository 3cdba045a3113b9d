// A thin fetch wrapper: every call of the app goes through `request`, so a client
// generated from the edge's OpenAPI can replace endpoints.ts without touching pages.

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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | boolean | undefined | null>;

/** Called when the session is gone (401 on a call that needed it): the app goes to the login page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(method: Method, path: string, body?: unknown, query?: Query): Promise<T> {
  const res = await fetch(withQuery(path, query), {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const data: unknown = type.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) throw failure(res, data, path);
  return data as T;
}

/** A refused call as an ApiError from the edge's error body; a lost session sends the app to the login page. */
export function failure(res: Response, body: unknown, path: string): ApiError {
  const e = (body as { error?: { code?: string; message?: string } } | null | undefined)?.error;
  if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated();
  return new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `${res.status} ${res.statusText}`);
}

export const http = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
};
