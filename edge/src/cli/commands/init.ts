import { chownSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { DEFAULT_CONFIG } from '../context.ts';
import { tf } from '../i18n.ts';
import { CunboxError } from '../../errors.ts';
import { loadConfigFile } from '../../config/load.ts';
import { openDatabase } from '../../db/database.ts';
import { MIN_PASSWORD_LENGTH, UserStore } from '../../auth/users.ts';
import { passwordProblems } from '@cunbox/shared';
import { systemClock } from '../../clock.ts';
import { Layout } from '../../storage/layout.ts';
import { act, localizedHelp } from './camera-support.ts';

export const DEFAULT_DATA_DIR = '/var/lib/cunbox';
/** The system user the systemd unit runs the edge as. */
const SERVICE_USER = 'cunbox';

interface InitOptions {
  adminUser?: string;
  adminPassword?: string;
}

export function registerInit(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    program
      .command('init')
      .description(t('set up this box: config file, data directory, database and the first admin user (asks for what is missing; safe to run again)'))
      .option('--admin-user <name>', t('user name of the first administrator'))
      .option('--admin-password <password>', t('password of the first administrator (at least 8 characters; asked for when omitted on a terminal)')),
    [
      'cunbox init                                   # asks for the admin user and password',
      `cunbox init --config ${DEFAULT_CONFIG} --data-dir ${DEFAULT_DATA_DIR} --admin-user admin --admin-password '***'`,
    ],
  ).action(act(ctx, async (o: InitOptions, cmd: Command) => {
    const g = ctx.store(cmd);
    const configFile = resolve(g.config ?? ctx.io.env.CUNBOX_CONFIG ?? DEFAULT_CONFIG);
    const configExists = existsSync(configFile);
    // Everything is checked before anything is written: a wrong answer leaves no half-made box.
    const dataDir = configExists ? keptDataDir(ctx, configFile, g.dataDir) : resolve(g.dataDir ?? DEFAULT_DATA_DIR);
    const layout = new Layout(dataDir);
    const admin = existingAdmin(layout.database);
    let credentials: { username: string; password: string } | null = null;
    if (!admin) credentials = await askAdmin(ctx, o);

    const lines: string[] = [];
    const created: string[] = [];
    if (configExists) lines.push(`${t('kept')}  ${t('config')}  ${configFile}`);
    else {
      writeConfig(configFile, dataDir);
      created.push(configFile);
      lines.push(`${t('created')}  ${t('config')}  ${configFile}`);
    }
    const dirExisted = existsSync(dataDir);
    for (const d of [dataDir, layout.recordings]) if (!existsSync(d)) created.push(d);
    mkdirSync(layout.recordings, { recursive: true });
    lines.push(`${dirExisted ? t('kept') : t('created')}  ${t('data directory')}  ${dataDir}`);
    const dbExisted = existsSync(layout.database);
    const db = openDatabase(layout.database);
    if (!dbExisted) created.push(layout.database, `${layout.database}-wal`, `${layout.database}-shm`);
    try {
      lines.push(`${dbExisted ? t('kept') : t('created')}  ${t('database')}  ${layout.database}`);
      const users = new UserStore({ db, clock: systemClock });
      if (credentials) {
        const user = await users.create({ ...credentials, role: 'admin' });
        lines.push(`${t('created')}  ${t('admin user')}  ${user.username}`);
      } else lines.push(`${t('kept')}  ${t('admin user')}  ${admin}`);
    } finally {
      db.close();
    }
    const owner = handToServiceUser(created, configFile);
    if (owner) lines.push(tf(t, 'owned by the {user} user, which the edge service runs as', { user: owner }));
    for (const l of lines) ctx.out(l);
    ctx.out(`${t('next')}: cunbox doctor${configFile === DEFAULT_CONFIG ? '' : ` --config ${configFile}`}; cunbox cameras discover`);
  }));
}

function keptDataDir(ctx: CliContext, configFile: string, asked: string | undefined): string {
  const config = loadConfigFile(configFile);
  if (asked && resolve(asked) !== config.dataDir) {
    throw new CunboxError('CONFLICT', tf(ctx.t, '{file} already names the data directory {dir}; edit it there or leave out --data-dir', { file: configFile, dir: config.dataDir }));
  }
  return config.dataDir;
}

function existingAdmin(dbFile: string): string | null {
  if (!existsSync(dbFile)) return null;
  // Read-only: nothing is written before every answer is known to be good.
  const db = openDatabase(dbFile, { readonly: true });
  try {
    return new UserStore({ db, clock: systemClock }).list().find((u) => u.role === 'admin' && !u.disabled)?.username ?? null;
  } catch {
    return null; // a database from before user accounts: no admin yet
  } finally {
    db.close();
  }
}

async function askAdmin(ctx: CliContext, o: InitOptions): Promise<{ username: string; password: string }> {
  const { t } = ctx;
  const stdin = ctx.io.stdin ?? process.stdin;
  let username = o.adminUser?.trim();
  let password = o.adminPassword;
  if ((!username || password === undefined) && !stdin.isTTY) {
    const missing = [!username && '--admin-user NAME', password === undefined && '--admin-password PASSWORD'].filter(Boolean).join(' ');
    throw new CunboxError('INVALID_INPUT', tf(t, 'the first admin user is missing: pass {flags} (or run cunbox init on a terminal to be asked)', { flags: missing }));
  }
  if (!username || password === undefined) {
    const p = prompter(ctx, stdin);
    try {
      while (!username) username = (await p.ask(`${t('admin user name')}: `, false)).trim();
      while (password === undefined) {
        const first = await p.ask(`${tf(t, 'admin password (at least {n} characters)', { n: MIN_PASSWORD_LENGTH })}: `, true);
        if (first.length < MIN_PASSWORD_LENGTH) {
          ctx.io.stderr.write(`${tf(t, 'too short: at least {n} characters', { n: MIN_PASSWORD_LENGTH })}\n`);
          continue;
        }
        const problems = passwordProblems(first, username);
        if (problems.length > 0) {
          ctx.io.stderr.write(`${problems.map(t).join('\n')}\n`);
          continue;
        }
        const again = await p.ask(`${t('again')}: `, true);
        if (again !== first) ctx.io.stderr.write(`${t('the two passwords differ; once more')}\n`);
        else password = first;
      }
    } finally {
      p.close();
    }
  }
  if (password.length < MIN_PASSWORD_LENGTH) throw new CunboxError('INVALID_INPUT', tf(t, 'admin password: at least {n} characters', { n: MIN_PASSWORD_LENGTH }));
  // The whole policy before anything is written (there is no default password to fall back on).
  const problems = passwordProblems(password, username);
  if (problems.length > 0) throw new CunboxError('INVALID_INPUT', problems.map(t).join('; '));
  if (!/^[\p{L}\p{N}_.-]{2,32}$/u.test(username)) throw new CunboxError('INVALID_INPUT', t('admin user name: 2–32 letters, digits, _ . -'));
  return { username, password };
}

/**
 * Questions on a terminal. readline echoes what is typed; the echo goes out
 * only while a visible question waits, so a password is never shown, typed
 * ahead or not.
 */
function prompter(ctx: CliContext, stdin: NodeJS.ReadableStream) {
  let muted = true;
  const echo = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) ctx.io.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: stdin, output: echo, terminal: true });
  const lines: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let closed = false;
  rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w('');
  });
  return {
    ask(question: string, hidden: boolean): Promise<string> {
      ctx.io.stdout.write(question);
      muted = hidden;
      const answered = (l: string) => {
        muted = true;
        return l;
      };
      return new Promise<string>((resolveLine, reject) => {
        if (lines.length) return resolveLine(answered(lines.shift()!));
        if (closed) return reject(new CunboxError('INVALID_INPUT', ctx.t('input ended before the admin user was complete')));
        waiting.push((l) => {
          if (closed && l === '') reject(new CunboxError('INVALID_INPUT', ctx.t('input ended before the admin user was complete')));
          else resolveLine(answered(l));
        });
      }).finally(() => {
        if (hidden) ctx.io.stdout.write('\n');
      });
    },
    close: () => rl.close(),
  };
}

function writeConfig(file: string, dataDir: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const text = [
    `# cunbox edge configuration, written by cunbox init on ${new Date().toISOString().slice(0, 10)}.`,
    '# Every key but data_dir is optional; the README ("Running the edge") lists them all.',
    `data_dir: ${JSON.stringify(dataDir)}`,
    'log_level: info',
    '# recording:',
    '#   segment_seconds: 60',
    '#   transport: tcp',
    '# retention:',
    '#   days: 7',
    '#   min_free_percent: 5',
    '#   min_free_bytes: 2GiB',
    '',
  ].join('\n');
  // Whole or not at all: a half-written config would stop the edge from starting.
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', 0o640);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    loadConfigFile(tmp);
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/**
 * Run as root (the usual case), init would leave root-owned files the edge
 * service cannot write; hand them to the service user when it exists.
 */
function handToServiceUser(created: string[], configFile: string): string | null {
  if (process.getuid?.() !== 0 || created.length === 0) return null;
  const ids = passwdIds(SERVICE_USER);
  if (!ids) return null;
  for (const p of created) {
    if (!existsSync(p)) continue;
    // The edge reads the config (it may hold camera passwords): root-owned, group-readable.
    if (p === configFile) chownSync(p, 0, ids.gid);
    else chownSync(p, ids.uid, ids.gid);
  }
  return SERVICE_USER;
}

function passwdIds(user: string): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}
