/** Phone sign-in: the edge's username and password, checked against the synced hash. */
import { DUMMY_PASSWORD_HASH, objectSchema, normalizeUsername, permissionsOf, usernameKey, verifyPassword } from '@cunbox/shared';
import type { VillageUser } from '../accounts.ts';
import { bearer, type PhoneRouter } from './router.ts';
import { obj, text, type PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

/** As the edge's browser sessions. */
const PHONE_SESSION_TTL_MS = 7 * 24 * 3600_000;

/** What a phone shows of its user; never the hash. */
const meView = (u: VillageUser) => ({
  username: u.username,
  displayName: u.displayName,
  role: u.role,
  villageId: u.villageId,
  permissions: permissionsOf(u.role),
  cameras: u.cameras,
});

export function sessionRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  const accounts = ctx.store.accounts;
  const limiter = ctx.logins;

  router.publicPost<{ username: string; password: string }>({
    url: '/login',
    summary: 'Sign in with the edge\'s user name and password: a session token for Authorization: Bearer',
    reply: objectSchema({ token: { type: 'string' }, expiresAt: { type: 'number' }, user: replies.ref('PhoneUser') }),
    // The password as typed: not free text (cleaning it would change what is hashed).
    body: obj({ username: text(64, 1), password: { type: 'string', minLength: 1, maxLength: 256 } }, ['username', 'password']),
    handler: async ({ villageId, body, ip }, reply) => {
      // Every spelling of a name (spaces, full-width forms, case) counts against the one account, as on the edge.
      const name = normalizeUsername(body.username);
      const account = `${villageId}:${usernameKey(name)}`;
      const wait = await limiter.wait(account, ip);
      if (wait > 0) {
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw ctx.fail('RATE_LIMITED', 'too many failed sign-ins; try again later');
      }
      const user = await accounts.user(villageId, name);
      // An office screen (role kiosk) is not a person: it never signs in on a phone.
      const hash = user && !user.disabled && user.role !== 'kiosk' ? await accounts.passwordHash(villageId, user.username) : undefined;
      // The same scrypt work whether or not the account exists: timing tells nothing.
      const ok = (await verifyPassword(body.password, hash ?? DUMMY_PASSWORD_HASH)) && hash !== undefined;
      if (!ok || !user) {
        await limiter.fail(account, ip);
        ctx.log.info({ villageId, username: name.slice(0, 64), ip }, 'phone sign-in refused');
        throw ctx.fail('UNAUTHENTICATED', 'wrong username or password');
      }
      await limiter.succeed(account);
      const s = await accounts.createSession(villageId, user.username, PHONE_SESSION_TTL_MS);
      ctx.log.info({ villageId, username: user.username }, 'phone sign-in');
      return { token: s.token, expiresAt: s.expiresAt, user: meView(user) };
    },
  });

  router.route({
    method: 'POST',
    url: '/logout',
    summary: 'End this session',
    reply: replies.empty('signed out'),
    access: 'authenticated',
    status: 204,
    handler: async (_call, _v, reply) => {
      await accounts.endSession(bearer(reply.request));
      return undefined;
    },
  });

  router.route({ method: 'GET', url: '/me', access: 'authenticated', summary: 'Who am I', reply: replies.one('user', 'PhoneUser'), handler: async ({ user }) => ({ user: meView(user) }) });
}
