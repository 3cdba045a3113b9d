import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig, type StoreOptions } from '../context.ts';
import { openDatabase, type Db } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { systemClock } from '../../clock.ts';
import { ROLES, UserStore, type Role, type User } from '../../auth/users.ts';
import { Credentials } from '../../api/auth.ts';
import { LoginLockout } from '../../auth/lockout.ts';
import { AuditLog } from '../../api/audit.ts';
import { CunboxError } from '../../errors.ts';
import { formatTime, table } from '../format.ts';

const EXAMPLES = `
Examples:
  cunbox users add --username zhang --role cadre --display-name 张书记 --password-stdin < pw.txt
  CUNBOX_PASSWORD='…' cunbox users add --username wang --role grid_worker
  cunbox users passwd zhang --password-stdin
  cunbox users list --json
  cunbox users sessions zhang          # live sessions and tokens; --end ends them all

A password comes from --password-stdin (first line), $CUNBOX_PASSWORD or --password
(the last is visible to other users of the machine in the process list).`;

/**
 * Accounts of the edge's API. The password is never printed; it is taken from
 * stdin, the environment or (last resort) the command line.
 */
export function registerUsers(program: Command, ctx: CliContext): void {
  const users = program.command('users').description(`${ctx.t('accounts of the governance API')} (roles: ${ROLES.join(', ')})`).addHelpText('after', EXAMPLES);

  users
    .command('add')
    .description(ctx.t('create an account'))
    .requiredOption('--username <name>', '2–32 letters, digits, _ . -')
    .addOption(new Option('--role <role>', 'what the account may do').choices([...ROLES]).makeOptionMandatory())
    .option('--display-name <name>', 'name shown to people, e.g. 张书记')
    .option('--password <password>', 'the password (prefer --password-stdin or $CUNBOX_PASSWORD)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--json', 'print the account as JSON')
    .action(async (o: { username: string; role: Role; displayName?: string; password?: string; passwordStdin?: boolean; json?: boolean }, cmd: Command) => {
      const pw = await password(ctx, o);
      await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
        const u = await new UserStore({ db, clock: systemClock }).create({ username: o.username, password: pw, role: o.role, displayName: o.displayName ?? null });
        new AuditLog({ db, clock: systemClock }).record({ actor: 'cli', action: 'user.create', target: `user:${u.id}`, detail: { username: u.username, role: u.role } });
        if (o.json) ctx.out(JSON.stringify(u, null, 2));
        else ctx.out(`${ctx.t('user added')}: #${u.id} ${u.username} (${u.role})`);
      });
    });

  users
    .command('passwd')
    .description("set an account's password; its sessions and API tokens end")
    .argument('<username>', 'the account')
    .option('--password <password>', 'the new password (prefer --password-stdin or $CUNBOX_PASSWORD)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, o: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
      const pw = await password(ctx, o);
      await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
        const store = new UserStore({ db, clock: systemClock });
        const u = store.getByUsername(username);
        if (!u) throw new CunboxError('NOT_FOUND', `no user ${username}`);
        await store.setPassword(u.id, pw);
        const ended = new Credentials({ db, clock: systemClock }).endAllOf(u.id);
        new LoginLockout({ db, clock: systemClock }).clear(`user:${u.id}`);
        new AuditLog({ db, clock: systemClock }).record({ actor: 'cli', action: 'user.password_set', target: `user:${u.id}`, detail: ended });
        ctx.out(`${ctx.t('password changed')}: ${u.username}`);
      });
    });

  users
    .command('sessions')
    .description(ctx.t("an account's live sessions and API tokens (never their secrets); --end ends them all"))
    .argument('<username>', 'the account')
    .option('--end', 'end every session and revoke every token of the account')
    .option('--json', 'machine-readable output')
    .action(async (username: string, o: { end?: boolean; json?: boolean }, cmd: Command) => {
      await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
        const u = new UserStore({ db, clock: systemClock }).getByUsername(username);
        if (!u) throw new CunboxError('NOT_FOUND', `no user ${username}`);
        const creds = new Credentials({ db, clock: systemClock });
        if (o.end) {
          const ended = creds.endAllOf(u.id);
          new AuditLog({ db, clock: systemClock }).record({ actor: 'cli', action: 'user.sessions_ended', target: `user:${u.id}`, detail: ended });
          if (o.json) return void ctx.out(JSON.stringify(ended));
          return void ctx.out(`${ctx.t('ended')}: ${ended.sessions} ${ctx.t('sessions')}, ${ended.tokens} ${ctx.t('tokens')} (${u.username})`);
        }
        const sessions = creds.sessionsOf(u.id);
        const tokens = creds.listTokens(u.id).filter((k) => k.revokedAt === null && k.expiresAt > systemClock.now());
        if (o.json) return void ctx.out(JSON.stringify({ sessions, tokens }, null, 2));
        const rows = [
          ...sessions.map((s) => [ctx.t('session'), s.id, '', formatTime(s.createdAt), formatTime(s.lastSeen), formatTime(s.endsAt)]),
          ...tokens.map((k) => [ctx.t('token'), k.id, k.name, formatTime(k.createdAt), k.lastUsedAt === null ? '' : formatTime(k.lastUsedAt), formatTime(k.expiresAt)]),
        ];
        if (rows.length === 0) return void ctx.out(ctx.t('no sessions or tokens'));
        ctx.out(table([ctx.t('kind'), ctx.t('id'), ctx.t('name'), ctx.t('since'), ctx.t('last used'), ctx.t('ends')], rows));
      });
    });

  users
    .command('list')
    .description(ctx.t('list accounts (never passwords)'))
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withDb(ctx.store(cmd), ctx.io.env, async (db) => {
        const list = new UserStore({ db, clock: systemClock }).list();
        if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return void ctx.out(ctx.t('no users'));
        ctx.out(
          table(
            [ctx.t('id'), ctx.t('user'), ctx.t('name'), ctx.t('role'), ctx.t('enabled'), ctx.t('since')],
            list.map((u: User) => [u.id, u.username, u.displayName ?? '', u.role, u.disabled ? ctx.t('no') : ctx.t('yes'), formatTime(u.createdAt)]),
          ),
        );
      });
    });
}

async function password(ctx: CliContext, o: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (o.passwordStdin) {
    const line = (await readAll(ctx.io.stdin ?? process.stdin)).split(/\r?\n/)[0] ?? '';
    if (!line) throw new CunboxError('INVALID_INPUT', 'no password on stdin');
    return line;
  }
  const pw = o.password ?? ctx.io.env.CUNBOX_PASSWORD;
  if (!pw) throw new CunboxError('INVALID_INPUT', 'a password is needed: --password-stdin, $CUNBOX_PASSWORD or --password');
  return pw;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return s;
}

async function withDb(opts: StoreOptions, env: NodeJS.ProcessEnv, fn: (db: Db) => Promise<void>): Promise<void> {
  const config = resolveConfig(opts, env);
  const db = openDatabase(new Layout(config.dataDir).database);
  try {
    await fn(db);
  } finally {
    db.close();
  }
}
