/**
 * The cloud's phone API (/api/v1/villages/:id/…), with the session token kept
 * on the phone. The server decides every rule; the app only shows what /me's
 * permissions allow and reports what the server answers.
 */
export interface PhoneUser {
  username: string;
  displayName: string | null;
  role: string;
  villageId: number;
  permissions: string[];
}
export interface Ticket {
  id: string;
  category: string | null;
  categoryName: string | null;
  description: string;
  place: string | null;
  status: string;
  statusNote: string | null;
  reporter: string | null;
  assignee: string | null;
  photos: string[];
  createdAt?: number;
  updatedAt?: number;
}
export interface Certificate {
  id: string;
  type: string | null;
  typeName: string | null;
  applicantName: string;
  purpose: string;
  details: string;
  status: string;
  statusNote: string | null;
  verificationCode: string | null;
  issuedAt: number | null;
  createdBy: string;
  /** Approved: its PDF reached the cloud (ready) or not yet (pending); otherwise null. */
  pdf?: 'ready' | 'pending' | null;
}
export interface Category {
  id: string;
  name: string;
  active: boolean;
}
/** An account a ticket or help request may be assigned to (the cloud applies the shared rule). */
export interface Assignee {
  username: string;
  displayName: string | null;
  role: string;
}
export interface Session {
  token: string;
  villageId: number;
  user: PhoneUser;
}

/** The server's refusal, in its own words (code and message). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
/** No answer at all: no signal, or the cloud unreachable. The report waits in the queue. */
export class Offline extends Error {}

const SESSION_KEY = 'cunbox.m.session';

export function loadSession(): Session | null {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
  } catch {
    return null;
  }
}
export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

/** `key`: an Idempotency-Key, so that sending the same request again (its answer was lost) does it once. */
export async function call<T>(session: Pick<Session, 'villageId'> & { token?: string }, method: string, path: string, body?: unknown, key?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers['idempotency-key'] = key;
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1/villages/${session.villageId}${path}`, { method, headers, body: payload });
  } catch {
    throw new Offline('no connection');
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'ERROR', err?.message ?? res.statusText);
  }
  return json as T;
}

export async function signIn(villageId: number, username: string, password: string): Promise<Session> {
  const r = await call<{ token: string; user: PhoneUser }>({ villageId }, 'POST', '/login', { username, password });
  return { token: r.token, villageId, user: r.user };
}

/** Uploads one (already compressed) photo; its media id. */
export async function uploadPhoto(s: Session, photo: Blob, key?: string): Promise<string> {
  const form = new FormData();
  form.append('file', photo, 'photo.jpg');
  const r = await call<{ media: { id: string } }>(s, 'POST', '/media', form, key);
  return r.media.id;
}

export interface NewReport {
  category: string;
  description: string;
  place?: string;
  lat?: number;
  lng?: number;
}

/** A new client key for one report (128 random bits; randomUUID needs HTTPS, this does not): kept with it in the queue, so each resend names the same report. */
export const newKey = (): string => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/** 随手拍: the photo first, then the ticket naming it; both under the report's key, so a resend makes one ticket. */
export async function sendReport(s: Session, report: NewReport, photo: Blob | null, key: string): Promise<Ticket> {
  const photos = photo ? [await uploadPhoto(s, photo, `${key}.photo`)] : [];
  const r = await call<{ ticket: Ticket }>(s, 'POST', '/tickets', { ...report, ...(photos.length ? { photos } : {}) }, key);
  return r.ticket;
}

export const can = (s: Session | null, permission: string): boolean => !!s?.user.permissions.includes(permission);

/** What to show for a failed call: the server's words, or that there is no connection. */
export const failure = (err: unknown): string => (err instanceof ApiError || err instanceof Offline ? err.message : String(err));

/** A binary reply (a camera picture, a clip, a PDF) as a Blob, with the bearer token a plain link could not send. */
export async function fetchBlob(s: Session, path: string): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(`/api/v1/villages/${s.villageId}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  } catch {
    throw new Offline('no connection');
  }
  if (!res.ok) {
    const err = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'ERROR', err?.message ?? res.statusText);
  }
  return res.blob();
}

/** A photo taken for a record: uploaded, its media id (the key makes a resend upload it once). */
export const uploadEvidence = (s: Session, photo: Blob): Promise<string> => uploadPhoto(s, photo, newKey());

/**
 * Who a ticket or a help request may be given to, asked once a minute at most for each: every
 * card of the work list and of the approvals shows a picker.
 */
const assigneeLists = new Map<string, { at: number; list: Promise<Assignee[]> }>();
export function assignees(s: Session, of: 'ticket' | 'help'): Promise<Assignee[]> {
  const key = `${of} ${s.token}`;
  const held = assigneeLists.get(key);
  if (held && Date.now() - held.at < 60_000) return held.list;
  const list = call<{ assignees: Assignee[] }>(s, 'GET', `/${of}-assignees`).then((r) => r.assignees);
  // A failure is not kept: the next card asks again.
  list.catch(() => assigneeLists.delete(key));
  assigneeLists.set(key, { at: Date.now(), list });
  return list;
}
