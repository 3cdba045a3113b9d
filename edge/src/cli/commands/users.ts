import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig, type StoreOptions } from '../context.ts';
import { openDatabase, type Db } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { systemClock } from '../../clock.ts';
import { ROLES, UserStore, type Role, type User } from '../../auth/users.ts';
import { Credentials } from '../../api/auth.ts';
import { auditLogBeside } from '../../api/audit-beside.ts';
import { LoginLockout } from '../../auth/lockout.ts';
import { CameraAccess } from '../../playback/access.ts';
import { CameraRegistry } from '../../cameras/registry.ts';
import { CunboxError } from '../../errors.ts';
import { tf } from '../i18n.ts';
import { formatTime, table } from '../format.ts';
import { boxTimeZone } from '../../local-time.ts';
import { act, localizedHelp } from './camera-support.ts';

/**
 * Accounts of the edge's API. The password is never printed; it is taken from
 * stdin, the environment or (last resort) the command line.
 */
export function registerUsers(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const users = localizedHelp(ctx, program.command('users').description(`${t('accounts of the governance API')} (${t('roles')}: ${ROLES.join(', ')})`), [
    'cunbox users add --username zhang --role cadre --display-name 张书记 --password-stdin < pw.txt',
    "CUNBOX_PASSWORD='…' cunbox users add --username wang --role grid_worker",
    'cunbox users passwd zhang --password-stdin',
    'cunbox users list --json',
  ]).addHelpText('after', `\n${t('A password comes from --password-stdin (first line), $CUNBOX_PASSWORD or --password (the last is visible to other users of the machine in the process list).')}\n`);

  localizedHelp(
    ctx,
    users
      .command('add')
      .description(t('create an account'))
      .requiredOption('--username <name>', t('2–32 letters, digits, _ . -'))
      .addOption(new Option('--role <role>', t('what the account may do')).choices([...ROLES]).makeOptionMandatory())
      .option('--display-name <name>', t('name shown to people, e.g. 张书记'))
      .option('--password <password>', t('the password (prefer --password-stdin or $CUNBOX_PASSWORD)'))
      .option('--password-stdin', t('read the password from the first line of stdin'))
      .option('--json', t('print the account as JSON')),
    ['cunbox users add --username zhang --role cadre --display-name 张书记 --password-stdin < pw.txt'],
  ).action(act(ctx, async (o: { username: string; role: Role; displayName?: string; password?: string; passwordStdin?: boolean; json?: boolean }, cmd: Command) => {
    const pw = await password(ctx, o);
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const u = await new UserStore({ db, clock: systemClock }).create({ username: o.username, password: pw, role: o.role, displayName: o.displayName ?? null });
      auditLogBeside(db).record({ actor: 'cli', action: 'user.create', target: `user:${u.id}`, detail: { username: u.username, role: u.role } });
      if (o.json) ctx.out(JSON.stringify(u, null, 2));
      else ctx.out(`${t('user added')}: #${u.id} ${u.username} (${u.role})`);
    });
  }));

  localizedHelp(
    ctx,
    users
      .command('passwd')
      .description(t("set an account's password; its sessions and API tokens end"))
      .argument('<username>', t('the account'))
      .option('--password <password>', t('the new password (prefer --password-stdin or $CUNBOX_PASSWORD)'))
      .option('--password-stdin', t('read the password from the first line of stdin')),
    ['cunbox users passwd zhang --password-stdin'],
  ).action(act(ctx, async (username: string, o: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
    const pw = await password(ctx, o);
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const store = new UserStore({ db, clock: systemClock });
      const u = store.getByUsername(username);
      if (!u) throw new CunboxError('NOT_FOUND', tf(t, 'no user {name}', { name: username }));
      await store.setPassword(u.id, pw);
      const ended = new Credentials({ db, clock: systemClock }).endAllOf(u.id);
      new LoginLockout({ db, clock: systemClock }).clear(`user:${u.id}`);
      auditLogBeside(db).record({ actor: 'cli', action: 'user.password_set', target: `user:${u.id}`, detail: ended });
      ctx.out(`${t('password changed')}: ${u.username}`);
    });
  }));

  localizedHelp(
    ctx,
    users
      .command('cameras')
      .description(t('limit an account to some cameras, or lift the limit (--all)'))
      .argument('<username>', t('the account'))
      .argument('[ids]', t('camera ids, comma-separated, e.g. 1,2,5 (see cunbox cameras list)'))
      .option('--all', t('every camera the role may see'))
      .option('--json', t('print the account and its cameras as JSON')),
    ['cunbox users cameras wang 1,2,5        # wang sees cameras 1, 2 and 5 only', "cunbox users cameras wang --all        # every camera wang's role may see"],
  ).action(act(ctx, async (username: string, ids: string | undefined, o: { all?: boolean; json?: boolean }, cmd: Command) => {
    if ((ids === undefined) === !o.all) throw new CunboxError('INVALID_INPUT', 'give camera ids (e.g. 1,2,5) or --all, not both');
    const wanted = ids === undefined ? null : cameraIds(ids);
    await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
      const u = new UserStore({ db, clock: systemClock }).getByUsername(username);
      if (!u) throw new CunboxError('NOT_FOUND', tf(t, 'no user {name}', { name: username }));
      const registry = new CameraRegistry({ db, clock: systemClock });
      const access = new CameraAccess(db);
      const before = access.restriction(u.id);
      const cameras = access.setRestriction(u.id, wanted, (id) => registry.get(id) !== undefined);
      auditLogBeside(db).record({ actor: 'cli', action: 'user.cameras', target: `user:${u.id}`, detail: { before, cameras } });
      if (o.json) return void ctx.out(JSON.stringify({ id: u.id, username: u.username, role: u.role, cameras }, null, 2));
      ctx.out(`${u.username}: ${cameras === null ? t('every camera the role may see') : `${t('cameras')} ${cameras.join(', ')}`}`);
    });
  }));

  localizedHelp(
    ctx,
    users
      .command('sessions')
      .description(t("an account's live sessions and API tokens (never their secrets); --end ends them all"))
      .argument('<username>', t('the account'))
      .option('--end', t('end every session and revoke every token of the account'))
      .option('--json', t('machine-readable output')),
    ['cunbox users sessions zhang', 'cunbox users sessions zhang --end'],
  ).action(act(ctx, async (username: string, o: { end?: boolean; json?: boolean }, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db, zone) => {
      const u = new UserStore({ db, clock: systemClock }).getByUsername(username);
      if (!u) throw new CunboxError('NOT_FOUND', tf(t, 'no user {name}', { name: username }));
      const creds = new Credentials({ db, clock: systemClock });
      if (o.end) {
        const ended = creds.endAllOf(u.id);
        auditLogBeside(db).record({ actor: 'cli', action: 'user.sessions_ended', target: `user:${u.id}`, detail: ended });
        if (o.json) return void ctx.out(JSON.stringify(ended));
        return void ctx.out(`${t('ended')}: ${ended.sessions} ${t('sessions')}, ${ended.tokens} ${t('tokens')} (${u.username})`);
      }
      const sessions = creds.sessionsOf(u.id);
      const tokens = creds.listTokens(u.id).filter((k) => k.revokedAt === null && k.expiresAt > systemClock.now());
      if (o.json) return void ctx.out(JSON.stringify({ sessions, tokens }, null, 2));
      const at = (ms: number) => formatTime(ms, zone, true);
      const rows = [
        ...sessions.map((x) => [t('session'), x.id, '', at(x.createdAt), at(x.lastSeen), at(x.endsAt)]),
        ...tokens.map((k) => [t('token'), k.id, k.name, at(k.createdAt), k.lastUsedAt === null ? '' : at(k.lastUsedAt), at(k.expiresAt)]),
      ];
      if (rows.length === 0) return void ctx.out(t('no sessions or tokens'));
      ctx.out(table([{ head: t('kind') }, { head: t('id') }, { head: t('name'), max: 12, min: 4 }, { head: t('since') }, { head: t('last used') }, { head: t('ends') }], rows));
    });
  }));

  localizedHelp(
    ctx,
    users
      .command('list')
      .description(t('list accounts (never passwords)'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox users list', 'cunbox users list --json'],
  ).action(act(ctx, async (o: { json?: boolean; wide?: boolean }, cmd: Command) => {
    await withDb(ctx.store(cmd), ctx.io.env, async (db, zone) => {
      const list = new UserStore({ db, clock: systemClock }).list();
      if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return void ctx.out(t('no users'));
      ctx.out(
        table(
          [{ head: t('id') }, { head: t('user'), max: 16, min: 6 }, { head: t('name'), max: 12, min: 4 }, { head: t('role') }, { head: t('enabled') }, { head: t('since'), drop: 1 }],
          list.map((u: User) => [u.id, u.username, u.displayName ?? '', u.role, u.disabled ? t('no') : t('yes'), formatTime(u.createdAt, zone, !o.wide)]),
          { wide: o.wide ?? false },
        ),
      );
    });
  }));
}

export function cameraIds(list: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(list)) throw new CunboxError('INVALID_INPUT', `camera ids: "${list}" is not a comma-separated list of numbers, e.g. 1,2,5`);
  return list.split(',').map((s) => Number(s.trim()));
}

async function password(ctx: CliContext, o: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (o.passwordStdin) {
    const line = (await readAll(ctx.io.stdin ?? process.stdin)).split(/\r?\n/)[0] ?? '';
    if (!line) throw new CunboxError('INVALID_INPUT', ctx.t('no password on stdin'));
    return line;
  }
  const pw = o.password ?? ctx.io.env.CUNBOX_PASSWORD;
  if (!pw) throw new CunboxError('INVALID_INPUT', ctx.t('a password is needed: --password-stdin, $CUNBOX_PASSWORD or --password'));
  return pw;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return s;
}

export async function withDb(opts: StoreOptions, env: NodeJS.ProcessEnv, fn: (db: Db, zone: string) => Promise<void>): Promise<void> {
  const config = resolveConfig(opts, env);
  const db = openDatabase(new Layout(config.dataDir).database);
  try {
    await fn(db, boxTimeZone(config.timezone, env));
  } finally {
    db.close();
  }
}
