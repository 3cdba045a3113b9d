import { join } from 'node:path';
import type { Test } from 'tap';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { ROLES, UserStore, type Role } from '../../src/auth/users.ts';
import { HoldStore } from '../../src/storage/holds.ts';
import { CameraRegistry } from '../../src/cameras/registry.ts';
import { testGovernance } from '@cunbox/test-support/governance';
import { buildApp } from '../../src/api/app.ts';
import type { Api, ApiDeps, ApiOptions } from '../../src/api/route-context.ts';
import type { CredentialLimits } from '../../src/api/auth.ts';
import type { LockoutLimits } from '../../src/auth/lockout.ts';
import { accessParts } from '@cunbox/test-support/edge-access';
import { multipart } from '@cunbox/test-support/multipart';

export { multipart };
import { AuditLog } from '../../src/api/audit.ts';
import { randomBytes } from 'node:crypto';
import { FieldCipher, loadOrCreateKey } from '@cunbox/shared';
import { silentLogger, type Logger } from '../../src/log.ts';
import { fakeClock } from './fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { EventStore } from '../../src/events/event-store.ts';
import { ChangeSignal } from '../../src/screen/signal.ts';
import { ScreenFeed, type ScreenFeedDeps } from '../../src/screen/feed.ts';
import { computeSummary, type ScreenSources } from '../../src/screen/summary.ts';
import { checkerFor } from './openapi-check.ts';

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  raw: Buffer;
}

export interface Client {
  username: string;
  get(url: string): Promise<Reply>;
  delete(url: string): Promise<Reply>;
  post(url: string, body?: unknown): Promise<Reply>;
  put(url: string, body?: unknown): Promise<Reply>;
  patch(url: string, body?: unknown): Promise<Reply>;
  /** A raw request with this client's cookie. */
  inject(opts: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: string | Buffer; headers?: Record<string, string> }): Promise<Reply>;
}

/** Meets the password policy (three kinds of character, not containing the name) and differs per user. */
export const password = (username: string) => `Correct-Horse-${[...username].map((c) => c.codePointAt(0)!.toString(36)).join('')}`;

/**
 * Tests advance fake time by hours and days (SLA timers) with the role clients
 * logged in once; their sessions outlive that. The idle timeout and lifetime
 * have their own tests, which pass `credentialLimits`.
 */
/**
 * The harness makes one account per role for every test (some 50 harnesses in the suite):
 * at the production cost (N=2^15) their hashes and logins took seconds of each test. The
 * cost is written into each hash, so a cheaper one tests the same code; users.test.ts
 * checks the production cost itself.
 */
const FIXTURE_PASSWORD_COST = { N: 1 << 10, r: 8, p: 1 };

const LONG_SESSIONS = { sessionIdleMs: 365 * 24 * 3600_000, sessionLifetimeMs: 365 * 24 * 3600_000 };

/**
 * A real API over a real SQLite file, fake time and one account per role
 * (user name = role name, e.g. 'grid_worker'), each logged in through the API.
 */
export async function apiHarness(
  t: Test,
  opts: {
    /** The app's options, and the limits of the credentials and the login lockout built for it. */
    options?: ApiOptions & { loginLimits?: Partial<LockoutLimits>; credentialLimits?: Partial<CredentialLimits> };
    cjkFontPath?: string;
    extraUsers?: Array<[string, Role]>;
    /** GET /api/system/doctor's checks; absent: no such route. */
    doctor?: ApiDeps['doctor'];
    log?: Logger;
    /** Build the office screen's feed (started) over these sources; the rest come from the harness's stores. */
    screen?: { sources?: Partial<Omit<ScreenSources, 'governance' | 'events'>>; feed?: Partial<ScreenFeedDeps> };
  } = {},
) {
  const dir = tmpDir(t);
  const dbFile = join(dir, 'cunbox.db');
  // 09:00 Beijing time, Monday 11 May 2026. Timers (the SLA monitor) fire as fake time passes.
  const { clock, fake: fc } = fakeClock(Date.UTC(2026, 4, 11, 1, 0, 0));
  const advance = async (ms: number) => void (await fc.tickAsync(ms));
  const log = opts.log ?? silentLogger();
  const escalations: unknown[] = [];
  // Keys outlive a restart, as their files do on a box.
  const cipher = new FieldCipher(loadOrCreateKey(join(dir, 'keys', 'data.key')));
  const auditKey = randomBytes(32);
  /** Everything on the database file, as the edge builds it when it starts. */
  const open = async () => {
    const db: Db = openDatabase(dbFile);
    const users = new UserStore({ db, clock, passwordCost: FIXTURE_PASSWORD_COST });
    const holds = new HoldStore({ db, clock });
    const cameras = new CameraRegistry({ db, clock });
    const signal = new ChangeSignal();
    const events = new EventStore({ db, clock, onRecorded: () => signal.notify('event') });
    const governance = testGovernance({ db, clock, log, dataDir: dir, users, holds, cipher, cjkFontPath: opts.cjkFontPath, slaIntervalMs: 60_000, onEscalation: (e) => escalations.push(e), onChanged: () => signal.notify('ops') });
    const audit = new AuditLog({ db, clock, key: auditKey });
    const screen = opts.screen
      ? new ScreenFeed({
          clock,
          log,
          signal,
          compute: (now) => computeSummary({ cameras: () => cameras.list(), cameraStates: () => [], storage: () => undefined, cloud: () => null, villageName: null, ...opts.screen!.sources, governance, events }, now),
          ...opts.screen.feed,
        })
      : undefined;
    const { loginLimits, credentialLimits, ...options } = opts.options ?? {};
    const access = accessParts({ db, clock, users, credentialLimits: credentialLimits ?? LONG_SESSIONS, loginLimits: loginLimits ?? { perAccount: 5, windowMs: 60_000 } });
    const app: Api = await buildApp({ db, clock, log, users, governance, audit, ...access, screen, doctor: opts.doctor, cameraExists: (id) => cameras.get(id) !== undefined, options });
    governance.start();
    screen?.start();
    return { db, users, holds, cameras, governance, audit, app, screen, signal, events };
  };
  let parts = await open();
  const close = async () => {
    parts.screen?.stop();
    parts.governance.stop();
    await parts.app.close();
    parts.db.close();
  };
  t.teardown(close);
  const { db, users, holds, cameras, governance, audit, screen, signal, events } = parts;
  let app = parts.app;
  /** Stops the API and builds it again on the same database file (what a restart keeps). Clients keep their cookies. */
  const restart = async () => {
    await close();
    parts = await open();
    app = parts.app;
    return parts;
  };

  const request = async (cookie: string | null, o: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: string | Buffer; headers?: Record<string, string> }): Promise<Reply> => {
    const res = await app.inject({ method: o.method, url: o.url, payload: o.payload, headers: { ...(cookie ? { cookie } : {}), ...o.headers } });
    const wrong = checkerFor(app).check(o.method, o.url, res.statusCode, res.headers['content-type'] as string | undefined, res.body);
    if (wrong) throw new Error(`the reply breaks the OpenAPI document: ${wrong}`);
    let body: unknown = res.body;
    if (String(res.headers['content-type'] ?? '').startsWith('application/json')) body = res.json();
    return { status: res.statusCode, body, headers: res.headers as Record<string, unknown>, raw: res.rawPayload };
  };
  const json = (cookie: string | null, method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown) =>
    request(cookie, { method, url, payload: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });

  const client = (username: string, cookie: string | null): Client => ({
    username,
    get: (url) => request(cookie, { method: 'GET', url }),
    delete: (url) => request(cookie, { method: 'DELETE', url }),
    post: (url, body) => json(cookie, 'POST', url, body),
    put: (url, body) => json(cookie, 'PUT', url, body),
    patch: (url, body) => json(cookie, 'PATCH', url, body),
    inject: (o) => request(cookie, o),
  });

  const login = async (username: string, pw = password(username)): Promise<Client> => {
    const res = await json(null, 'POST', '/api/auth/login', { username, password: pw });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    const setCookie = String(res.headers['set-cookie']);
    return client(username, setCookie.split(';')[0]!);
  };

  const as: Record<Role, Client> = {} as Record<Role, Client>;
  for (const role of ROLES) await users.create({ username: role, password: password(role), role });
  for (const [name, role] of opts.extraUsers ?? []) await users.create({ username: name, password: password(name), role });
  for (const role of ROLES) as[role] = await login(role);

  return { app, db, dir, clock, advance, users, holds, cameras, governance, audit, screen, signal, events, as, login, anon: client('anonymous', null), escalations, client, restart };
}

/** One file as multipart/form-data, as a phone's browser sends it. */
export async function upload(c: Client, data: Buffer, filename = 'photo.jpg', contentType = 'image/jpeg'): Promise<Reply> {
  return c.inject({ method: 'POST', url: '/api/media', ...multipart('file', filename, contentType, data) });
}
