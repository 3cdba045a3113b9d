import { Type } from '@fastify/type-provider-typebox';
import { KIOSK_ROLE } from '@cunbox/shared';
import { CunboxError } from '../../errors.ts';
import { MAX_RESTRICTED_CAMERAS } from '../../playback/access.ts';
import { actorOf, type Api, type RouteContext } from '../route-context.ts';
import { DAY_MS, defaultCredentialLimits, KIOSK_COOKIE } from '../auth.ts';
import { Line, NoQuery, Nullable, Obj, Username } from '../schemas.ts';

const TOKEN_MAX_DAYS = Math.floor(defaultCredentialLimits.tokenMaxMs / DAY_MS);
const KioskIdParams = Obj({ id: Type.Integer({ minimum: 1 }) });
const Days = Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_MAX_DAYS, description: `token lifetime in days (default ${Math.floor(defaultCredentialLimits.tokenDefaultMs / DAY_MS)})` }));
const TokenView = Type.Object({ id: Type.Integer(), name: Type.String(), createdAt: Type.Number(), expiresAt: Type.Number(), lastUsedAt: Nullable(Type.Number()), revokedAt: Nullable(Type.Number()) });
const KioskView = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Nullable(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.Number(),
  cameras: Nullable(Type.Array(Type.Integer())),
  tokens: Type.Array(TokenView),
});
const Created = Type.Object({
  kiosk: KioskView,
  token: Type.String({ description: 'shown once: open `screenUrl` on the screen (the token travels in the fragment, never to a log)' }),
  tokenId: Type.Integer(),
  expiresAt: Type.Number(),
  screenUrl: Type.String(),
});
/** Wrong screen tokens from one address per minute; a screen needs one per reconnect. */
const SESSION_REQUESTS_PER_MINUTE = 30;

/**
 * Office screens (role kiosk): admins create and revoke them; the screen's
 * browser trades its token for an HttpOnly cookie, since neither an <img> tile
 * nor an EventSource can send an Authorization header.
 */
export async function kioskRoutes(app: Api, { deps, options }: RouteContext): Promise<void> {
  const { kiosks, credentials, audit } = deps;
  const tags = ['screen'];
  const screenUrl = (token: string) => `${options.publicUrl}/screen#token=${token}`;

  app.get('/api/kiosks', { config: { access: 'users.manage' }, schema: { tags, operationId: 'listKiosks', summary: 'Office screens and their tokens (never the secrets)', querystring: NoQuery, response: { 200: Type.Object({ kiosks: Type.Array(KioskView) }) } } }, async () => ({ kiosks: kiosks.list() }));

  app.post(
    '/api/kiosks',
    {
      config: { access: 'users.manage' },
      schema: {
        tags,
        operationId: 'createKiosk',
        summary: 'Create an office screen (a read-only kiosk account) and its first token; the token is shown once',
        body: Obj({ username: Username, displayName: Type.Optional(Line(64)), expiresInDays: Days, cameras: Type.Optional(Nullable(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_RESTRICTED_CAMERAS }))) }),
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const made = await kiosks.create(req.body, deps.cameraExists);
      audit.record({ actor: a.username, role: a.role, action: 'kiosk.create', target: `user:${made.kiosk.id}`, detail: { username: made.kiosk.username, token: made.tokenId, expiresAt: made.expiresAt, cameras: made.kiosk.cameras }, ip: req.ip });
      void reply.status(201);
      return { ...made, screenUrl: screenUrl(made.token) };
    },
  );

  app.post(
    '/api/kiosks/:id/tokens',
    { config: { access: 'users.manage' }, schema: { tags, operationId: 'createKioskToken', summary: 'A new token for a screen (e.g. the old one expires); shown once', params: KioskIdParams, body: Obj({ expiresInDays: Days }), response: { 201: Type.Object({ tokenId: Type.Integer(), token: Type.String(), expiresAt: Type.Number(), screenUrl: Type.String() }) } } },
    async (req, reply) => {
      const a = actorOf(req);
      const t = kiosks.newToken(req.params.id, req.body.expiresInDays);
      audit.record({ actor: a.username, role: a.role, action: 'kiosk.token', target: `user:${req.params.id}`, detail: { token: t.tokenId, expiresAt: t.expiresAt }, ip: req.ip });
      void reply.status(201);
      return { ...t, screenUrl: screenUrl(t.token) };
    },
  );

  app.delete(
    '/api/kiosks/:id',
    { config: { access: 'users.manage' }, schema: { tags, operationId: 'revokeKiosk', summary: 'Revoke a screen: every token revoked, the account disabled; its open streams end', params: KioskIdParams, response: { 200: Type.Object({ kiosk: KioskView, revokedTokens: Type.Integer() }) } } },
    async (req) => {
      const a = actorOf(req);
      const ended = kiosks.revoke(req.params.id);
      audit.record({ actor: a.username, role: a.role, action: 'kiosk.revoke', target: `user:${req.params.id}`, detail: ended, ip: req.ip });
      return { kiosk: kiosks.get(req.params.id), revokedTokens: ended.tokens };
    },
  );

  app.post(
    '/api/kiosk/session',
    {
      config: { access: 'public', rateLimit: { max: SESSION_REQUESTS_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        tags,
        operationId: 'startKioskSession',
        summary: "A screen's browser trades its token for an HttpOnly cookie that lasts as long as the token",
        body: Obj({ token: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.Object({ kiosk: Type.Object({ username: Type.String(), displayName: Nullable(Type.String()) }), expiresAt: Type.Number() }) },
      },
    },
    async (req, reply) => {
      const p = credentials.byToken(req.body.token);
      const expiresAt = p ? credentials.tokenExpiry(req.body.token) : undefined;
      if (!p || p.role !== KIOSK_ROLE || expiresAt === undefined) {
        audit.record({ actor: null, action: 'kiosk.session_failed', ip: req.ip });
        throw new CunboxError('UNAUTHENTICATED', 'not a valid screen token');
      }
      audit.record({ actor: p.username, role: p.role, action: 'kiosk.session', ip: req.ip });
      const maxAge = Math.max(1, Math.floor((expiresAt - deps.clock.now()) / 1000));
      void reply.setCookie(KIOSK_COOKIE, req.body.token, { httpOnly: true, sameSite: 'strict', secure: options.secureCookies, path: '/', maxAge });
      const u = deps.users.get(p.userId)!;
      return { kiosk: { username: u.username, displayName: u.displayName }, expiresAt };
    },
  );

  app.delete('/api/kiosk/session', { config: { access: 'public' }, schema: { tags, operationId: 'endKioskSession', summary: "Forget this browser's screen cookie", querystring: NoQuery, response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async (_req, reply) => {
    void reply.clearCookie(KIOSK_COOKIE, { path: '/' });
    return { ok: true };
  });
}
