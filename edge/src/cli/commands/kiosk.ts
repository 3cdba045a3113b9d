import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { systemClock } from '../../clock.ts';
import { UserStore } from '../../auth/users.ts';
import { KioskAccounts, type KioskInfo } from '../../auth/kiosks.ts';
import { Credentials } from '../../api/auth.ts';
import { CameraAccess } from '../../playback/access.ts';
import { auditLogBeside } from '../../api/audit-beside.ts';
import { CameraRegistry } from '../../cameras/registry.ts';
import { CunboxError } from '../../errors.ts';
import type { Db } from '../../db/database.ts';
import { tf } from '../i18n.ts';
import { formatTime, table } from '../format.ts';
import { act, localizedHelp } from './camera-support.ts';
import { cameraIds, withDb } from './users.ts';

const kiosksOf = (db: Db) => new KioskAccounts({ users: new UserStore({ db, clock: systemClock }), credentials: new Credentials({ db, clock: systemClock }), access: new CameraAccess(db) });

/** The days option: a whole number of days (the API's limit checks the range). */
function days(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CunboxError('INVALID_INPUT', `--days: "${v}" is not a whole number of days`);
  return Number(v);
}

/**
 * Office big screens (role kiosk): a read-only account per screen with a
 * token it trades for a cookie. The token is printed once; the screen opens
 * `/screen#token=…` on the box's API address.
 */
export function registerKiosk(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const kiosk = localizedHelp(ctx, program.command('kiosk').description(t('office big screens: read-only accounts for the screen and the camera wall')), [
    'cunbox kiosk create office-tv --display-name 村委会大屏',
    'cunbox kiosk list',
    'cunbox kiosk revoke office-tv',
  ]);

  localizedHelp(
    ctx,
    kiosk
      .command('create')
      .description(t('create a screen and print its token (shown once)'))
      .argument('<name>', t('2–32 letters, digits, _ . -'))
      .option('--display-name <name>', t('name shown to people, e.g. 村委会大屏'))
      .option('--days <n>', t('token lifetime in days (default 90, at most 365)'))
      .option('--cameras <ids>', t('only these cameras on its wall, e.g. 1,2,5 (default: every camera)'))
      .option('--json', t('machine-readable output')),
    ['cunbox kiosk create office-tv --display-name 村委会大屏 --days 365'],
  ).action(act(ctx, async (name: string, o: { displayName?: string; days?: string; cameras?: string; json?: boolean }, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const registry = new CameraRegistry({ db, clock: systemClock });
      const made = await kiosksOf(db).create({ username: name, displayName: o.displayName ?? null, expiresInDays: days(o.days), cameras: o.cameras ? cameraIds(o.cameras) : null }, (id) => registry.get(id) !== undefined);
      auditLogBeside(db).record({ actor: 'cli', action: 'kiosk.create', target: `user:${made.kiosk.id}`, detail: { username: made.kiosk.username, token: made.tokenId, expiresAt: made.expiresAt, cameras: made.kiosk.cameras } });
      if (o.json) return void ctx.out(JSON.stringify({ kiosk: made.kiosk, token: made.token, tokenId: made.tokenId, expiresAt: made.expiresAt, screenPath: `/screen#token=${made.token}` }, null, 2));
      ctx.out(`${t('screen added')}: #${made.kiosk.id} ${made.kiosk.username}`);
      ctx.out(`${t('token (shown once)')}: ${made.token}`);
      ctx.out(tf(t, 'open http://<box address>:<port>/screen#token={token} on the screen', { token: made.token }));
    });
  }));

  localizedHelp(
    ctx,
    kiosk
      .command('token')
      .description(t('a new token for a screen (the old ones stay valid until revoked)'))
      .argument('<name>', t('the screen'))
      .option('--days <n>', t('token lifetime in days (default 90, at most 365)'))
      .option('--json', t('machine-readable output')),
    ['cunbox kiosk token office-tv --days 365'],
  ).action(act(ctx, async (name: string, o: { days?: string; json?: boolean }, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const accounts = kiosksOf(db);
      const k = accounts.byUsername(name);
      const made = accounts.newToken(k.id, days(o.days));
      auditLogBeside(db).record({ actor: 'cli', action: 'kiosk.token', target: `user:${k.id}`, detail: { token: made.tokenId, expiresAt: made.expiresAt } });
      if (o.json) return void ctx.out(JSON.stringify(made, null, 2));
      ctx.out(`${t('token (shown once)')}: ${made.token}`);
    });
  }));

  localizedHelp(
    ctx,
    kiosk
      .command('list')
      .description(t('screens and their tokens (never the secrets)'))
      .option('--json', t('machine-readable output')),
    ['cunbox kiosk list --json'],
  ).action(act(ctx, async (o: { json?: boolean }, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db, zone) => {
      const list = kiosksOf(db).list();
      if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return void ctx.out(t('no screens'));
      const now = systemClock.now();
      const live = (k: KioskInfo) => k.tokens.filter((x) => x.revokedAt === null && x.expiresAt > now);
      ctx.out(
        table(
          [{ head: t('id') }, { head: t('screen'), max: 16, min: 6 }, { head: t('name'), max: 12, min: 4 }, { head: t('enabled') }, { head: t('tokens') }, { head: t('last used') }, { head: t('ends') }],
          list.map((k) => {
            const tokens = live(k);
            const used = Math.max(0, ...tokens.map((x) => x.lastUsedAt ?? 0));
            const ends = Math.max(0, ...tokens.map((x) => x.expiresAt));
            return [k.id, k.username, k.displayName ?? '', k.disabled ? t('no') : t('yes'), tokens.length, used ? formatTime(used, zone, true) : '', ends ? formatTime(ends, zone, true) : ''];
          }),
        ),
      );
    });
  }));

  localizedHelp(
    ctx,
    kiosk
      .command('revoke')
      .description(t('revoke a screen: every token ends, the account is disabled'))
      .argument('<name>', t('the screen')),
    ['cunbox kiosk revoke office-tv'],
  ).action(act(ctx, async (name: string, _o: unknown, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const accounts = kiosksOf(db);
      const k = accounts.byUsername(name);
      const ended = accounts.revoke(k.id);
      auditLogBeside(db).record({ actor: 'cli', action: 'kiosk.revoke', target: `user:${k.id}`, detail: ended });
      ctx.out(`${t('screen revoked')}: ${k.username} (${ended.tokens} ${t('tokens')})`);
    });
  }));
}
