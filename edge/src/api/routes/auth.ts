import { Type } from '@fastify/type-provider-typebox';
import { ROLES, type User } from '../../auth/users.ts';
import { CunboxError } from '../../errors.ts';
import { MAX_RESTRICTED_CAMERAS } from '../../playback/access.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { DAY_MS, defaultCredentialLimits, SESSION_COOKIE } from '../auth.ts';
import { normalizeUsername, usernameKey } from '@cunbox/shared';
import { Closed, Many, Ms, OkReply, One, Ref } from '../replies.ts';
import { Line, NoBody, NoQuery, Obj, Text, Username } from '../schemas.ts';

const Password = Type.String({ minLength: 1, maxLength: 256 });
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const UserIdParams = Obj({ id: Type.Integer({ minimum: 1 }) });
const TOKEN_DEFAULT_DAYS = Math.floor(defaultCredentialLimits.tokenDefaultMs / DAY_MS);
const TOKEN_MAX_DAYS = Math.floor(defaultCredentialLimits.tokenMaxMs / DAY_MS);
/** Login requests (right or wrong) from one address; far above what people at one address type. */
const LOGIN_REQUESTS_PER_MINUTE = 60;

const CameraList = Type.Union([Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_RESTRICTED_CAMERAS }), Type.Null()], {
  description: 'the only cameras this account may watch; null: every camera its role may see',
});

const LoginReply = Closed({ user: Ref('User'), expiresAt: Ms });
const MeReply = Closed({ user: Ref('User'), via: Type.Union([Type.Literal('session'), Type.Literal('token')]) });
const NewToken = Closed({ id: Type.Integer(), name: Type.String(), token: Type.String({ description: 'the secret (cbx_…), shown only here' }), expiresAt: Ms });

const userView = (u: User) => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabled, createdAt: u.createdAt, updatedAt: u.updatedAt });

/** Login, sessions, API tokens, user administration and the audit log. */
export async function authRoutes(app: Api, { deps, options }: RouteContext): Promise<void> {
  const { users, credentials, lockout, audit, cameraAccess } = deps;
  const existingUser = (id: number) => {
    const u = users.get(id);
    if (!u) throw new CunboxError('NOT_FOUND', `no user ${id}`);
    return u;
  };

  app.post(
    '/api/auth/login',
    {
      config: {
        access: 'public',
        // A flood bound per address, before the body is read: refusals while locked cost no scrypt, but each is audited.
        rateLimit: { max: LOGIN_REQUESTS_PER_MINUTE, timeWindow: 60_000 },
      },
      schema: { tags: ['auth'], summary: 'Log in: sets the session cookie (locked for a while after repeated failures)', body: Obj({ username: Text(64, 1), password: Password }), response: { 200: LoginReply } },
    },
    async (req, reply) => {
      // Every spelling of a name (spaces, full-width forms, case) counts against the one account it reaches.
      const name = normalizeUsername(req.body.username);
      const known = users.getByUsername(name);
      const account = known ? `user:${known.id}` : `name:${usernameKey(name)}`;
      const address = `ip:${req.ip}`;
      const wait = lockout.wait(account, address);
      if (wait > 0) {
        audit.record({ actor: null, action: 'auth.login_locked', detail: { username: name.slice(0, 64) }, ip: req.ip });
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new CunboxError('RATE_LIMITED', `too many failed logins; try again in ${Math.ceil(wait / 60_000)} min`);
      }
      const user = await users.verify(name, req.body.password);
      if (!user) {
        lockout.fail(account, address);
        audit.record({ actor: null, action: 'auth.login_failed', detail: { username: name.slice(0, 64) }, ip: req.ip });
        throw new CunboxError('UNAUTHENTICATED', 'wrong user name or password');
      }
      lockout.succeed(account);
      const session = credentials.createSession(user.id);
      audit.record({ actor: user.username, role: user.role, action: 'auth.login', ip: req.ip });
      void reply.setCookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'strict', secure: options.secureCookies, path: '/', maxAge: Math.floor(credentials.limits.sessionLifetimeMs / 1000) });
      return { user: userView(user), expiresAt: session.expiresAt };
    },
  );

  app.post('/api/auth/logout', { config: { access: 'authenticated', kiosk: true }, schema: { tags: ['auth'], summary: 'End this session', body: NoBody, response: { 200: OkReply } } }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) credentials.endSession(token);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/auth/me', { config: { access: 'authenticated', kiosk: true }, schema: { tags: ['auth'], summary: 'Who am I', querystring: NoQuery, response: { 200: MeReply } } }, async (req) => {
    const u = users.get(req.principal!.userId)!;
    return { user: userView(u), via: req.principal!.via };
  });

  app.post(
    '/api/auth/password',
    { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Change my password (ends my sessions and revokes my API tokens)', body: Obj({ currentPassword: Password, newPassword: Password }), response: { 200: OkReply } } },
    async (req, reply) => {
      const me = req.principal!;
      if (!(await users.verify(me.username, req.body.currentPassword))) throw new CunboxError('UNAUTHENTICATED', 'current password is wrong');
      await users.setPassword(me.userId, req.body.newPassword);
      const ended = credentials.endAllOf(me.userId);
      audit.record({ actor: me.username, role: me.role, action: 'user.password_changed', target: `user:${me.userId}`, detail: ended, ip: req.ip });
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  // — API tokens (each user their own) —

  app.get('/api/tokens', { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'My API tokens (never the secrets)', querystring: NoQuery, response: { 200: Many('tokens', 'Token') } } }, async (req) => ({
    tokens: credentials.listTokens(req.principal!.userId),
  }));

  app.post(
    '/api/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API token; the secret is shown once',
        body: Obj({ name: Line(64), expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_MAX_DAYS, description: `default ${TOKEN_DEFAULT_DAYS}` })) }),
        response: { 201: NewToken },
      },
    },
    async (req, reply) => {
      const me = req.principal!;
      const t = credentials.createToken(me.userId, req.body.name, req.body.expiresInDays === undefined ? undefined : req.body.expiresInDays * DAY_MS);
      audit.record({ actor: me.username, role: me.role, action: 'token.create', target: `token:${t.id}`, detail: { name: req.body.name, expiresAt: t.expiresAt }, ip: req.ip });
      void reply.status(201);
      return { id: t.id, name: req.body.name, token: t.token, expiresAt: t.expiresAt };
    },
  );

  app.delete('/api/tokens/:id', { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Revoke one of my tokens', params: UserIdParams, response: { 200: OkReply } } }, async (req) => {
    const me = req.principal!;
    credentials.revokeToken(me.userId, req.params.id);
    audit.record({ actor: me.username, role: me.role, action: 'token.revoke', target: `token:${req.params.id}`, ip: req.ip });
    return { ok: true };
  });

  // — users (admin) —

  app.get('/api/users', { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'All accounts', querystring: NoQuery, response: { 200: Many('users', 'User') } } }, async () => ({ users: users.list().map(userView) }));

  app.get('/api/users/:id', { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'One account, with its camera restriction', params: UserIdParams, querystring: NoQuery, response: { 200: One('user', 'UserWithCameras') } } }, async (req) => {
    const u = existingUser(req.params.id);
    return { user: { ...userView(u), cameras: cameraAccess.restriction(u.id) } };
  });

  app.put(
    '/api/users/:id/cameras',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'Limit an account to some cameras (null: every camera its role may see)', params: UserIdParams, body: Obj({ cameras: CameraList }), response: { 200: One('user', 'UserWithCameras') } } },
    async (req) => {
      const a = actorOf(req);
      const u = existingUser(req.params.id);
      const before = cameraAccess.restriction(u.id);
      const cameras = cameraAccess.setRestriction(u.id, req.body.cameras, deps.cameraExists);
      audit.record({ actor: a.username, role: a.role, action: 'user.cameras', target: `user:${u.id}`, detail: { before, cameras }, ip: req.ip });
      return { user: { ...userView(u), cameras } };
    },
  );

  app.post(
    '/api/users',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'Create an account', body: Obj({ username: Username, password: Password, role: Role, displayName: Type.Optional(Line(64)) }), response: { 201: One('user', 'User') } } },
    async (req, reply) => {
      const u = await users.create({ username: req.body.username, password: req.body.password, role: req.body.role, displayName: req.body.displayName ?? null });
      const a = actorOf(req);
      audit.record({ actor: a.username, role: a.role, action: 'user.create', target: `user:${u.id}`, detail: { username: u.username, role: u.role }, ip: req.ip });
      void reply.status(201);
      return { user: userView(u) };
    },
  );

  app.patch(
    '/api/users/:id',
    {
      config: { access: 'users.manage' },
      schema: { tags: ['users'], summary: 'Change role, name or disable (ends the user\'s sessions)', params: UserIdParams, body: Obj({ role: Type.Optional(Role), displayName: Type.Optional(Type.Union([Line(64), Type.Null()])), disabled: Type.Optional(Type.Boolean()) }), response: { 200: One('user', 'User') } },
    },
    async (req) => {
      const a = actorOf(req);
      const target = existingUser(req.params.id);
      if (target.id === req.principal!.userId && (req.body.disabled === true || (req.body.role && req.body.role !== 'admin'))) {
        throw new CunboxError('CONFLICT', 'you cannot disable or demote your own account');
      }
      const u = users.update(target.id, req.body);
      // Disabled: nothing of theirs works any more. A new role: new sessions (tokens follow the role as they are checked).
      if (req.body.disabled === true) credentials.endAllOf(target.id);
      else if (req.body.role !== undefined || req.body.disabled !== undefined) credentials.endSessionsOf(target.id);
      audit.record({ actor: a.username, role: a.role, action: 'user.update', target: `user:${u.id}`, detail: { ...req.body }, ip: req.ip });
      return { user: userView(u) };
    },
  );

  app.put(
    '/api/users/:id/password',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'Set a user\'s password (ends their sessions, revokes their tokens, lifts a lockout)', params: UserIdParams, body: Obj({ password: Password }), response: { 200: OkReply } } },
    async (req) => {
      const a = actorOf(req);
      await users.setPassword(req.params.id, req.body.password);
      const ended = credentials.endAllOf(req.params.id);
      lockout.clear(`user:${req.params.id}`);
      audit.record({ actor: a.username, role: a.role, action: 'user.password_set', target: `user:${req.params.id}`, detail: ended, ip: req.ip });
      return { ok: true };
    },
  );

  // — any user's sessions and tokens (admin) —

  const userOr404 = (id: number) => {
    const u = users.get(id);
    if (!u) throw new CunboxError('NOT_FOUND', `no user ${id}`);
    return u;
  };

  app.get(
    '/api/users/:id/sessions',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'A user\'s live sessions and API tokens (never the secrets)', params: UserIdParams, querystring: NoQuery, response: { 200: Closed({ sessions: Type.Array(Ref('Session')), tokens: Type.Array(Ref('Token')) }) } } },
    async (req) => {
      const u = userOr404(req.params.id);
      return { sessions: credentials.sessionsOf(u.id), tokens: credentials.listTokens(u.id) };
    },
  );

  app.delete(
    '/api/users/:id/sessions',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'End all of a user\'s sessions and revoke their tokens', params: UserIdParams, response: { 200: Ref('Ended') } } },
    async (req) => {
      const a = actorOf(req);
      const u = userOr404(req.params.id);
      const ended = credentials.endAllOf(u.id);
      audit.record({ actor: a.username, role: a.role, action: 'user.sessions_ended', target: `user:${u.id}`, detail: ended, ip: req.ip });
      return ended;
    },
  );

  app.delete(
    '/api/users/:id/sessions/:sessionId',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'End one of a user\'s sessions', params: Obj({ id: Type.Integer({ minimum: 1 }), sessionId: Type.Integer({ minimum: 1 }) }), response: { 200: OkReply } } },
    async (req) => {
      const a = actorOf(req);
      const u = userOr404(req.params.id);
      credentials.endSessionById(u.id, req.params.sessionId);
      audit.record({ actor: a.username, role: a.role, action: 'user.session_ended', target: `user:${u.id}`, detail: { session: req.params.sessionId }, ip: req.ip });
      return { ok: true };
    },
  );

  app.delete(
    '/api/users/:id/tokens/:tokenId',
    { config: { access: 'users.manage' }, schema: { tags: ['users'], summary: 'Revoke one of a user\'s API tokens', params: Obj({ id: Type.Integer({ minimum: 1 }), tokenId: Type.Integer({ minimum: 1 }) }), response: { 200: OkReply } } },
    async (req) => {
      const a = actorOf(req);
      const u = userOr404(req.params.id);
      credentials.revokeToken(u.id, req.params.tokenId);
      audit.record({ actor: a.username, role: a.role, action: 'token.revoke', target: `token:${req.params.tokenId}`, detail: { user: u.id }, ip: req.ip });
      return { ok: true };
    },
  );

  app.get(
    '/api/audit',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: ['users'],
        summary: 'The audit log, newest first',
        querystring: Obj({ action: Type.Optional(Text(64, 1)), actor: Type.Optional(Text(64, 1)), beforeId: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: { 200: Many('entries', 'AuditEntry') },
      },
    },
    async (req) => ({ entries: audit.list(req.query) }),
  );
}
