import { chmodSync, chownSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
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
import { DEFAULT_LISTEN, formatListen, isLoopback, parseListen, type Listen } from '../../config/listen.ts';
import { act, localizedHelp, numberIn } from './camera-support.ts';

const DEFAULT_DATA_DIR = '/var/lib/cunbox';
/** The system user the systemd unit runs the edge as. */
const SERVICE_USER = 'cunbox';

/**
 * Modes of what init makes: the config may hold camera passwords (root
 * writes it, the service group reads it); the database holds password hashes
 * and footage is evidence, so only the service user reads them.
 */
const MODES = { config: 0o640, dir: 0o750, secret: 0o600 } as const;

interface InitOptions {
  adminUser?: string;
  adminPassword?: string;
  adminPasswordFile?: string;
  listen?: string;
  httpHost?: string;
  httpPort?: number;
  user?: string;
}

type Ask = (question: string, hidden: boolean) => Promise<string>;

export function registerInit(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    program
      .command('init')
      .description(t('set up this box: config file, data directory, database and the first admin user (asks for what is missing; safe to run again)'))
      .option('--admin-user <name>', t('user name of the first administrator'))
      .option('--admin-password <password>', t('password of the first administrator (at least 8 characters; asked for when omitted on a terminal)'))
      .option('--admin-password-file <file>', t('read the password of the first administrator from the first line of this file (- for standard input), so it does not show in the process list'))
      .option('--listen <host:port>', t('where the HTTP API listens (default 0.0.0.0:8080: every interface, so the office PC reaches it; 127.0.0.1 only behind a local proxy)'))
      .option('--http-host <host>', t('the host part of --listen'))
      .addOption(new Option('--http-port <port>', t('the port part of --listen')).argParser(numberIn(1, 65535, true)))
      .option('--user <name>', t('system user the edge service runs as; run as root, init gives it the files (default: cunbox, when it exists)')),
    [
      'cunbox init                                   # asks for the admin user and password',
      `cunbox init --config ${DEFAULT_CONFIG} --data-dir ${DEFAULT_DATA_DIR} --listen 0.0.0.0:8080 --admin-user admin --admin-password '***' --user cunbox`,
    ],
  ).action(act(ctx, async (o: InitOptions, cmd: Command) => {
    const g = ctx.store(cmd);
    const configFile = resolve(g.config ?? ctx.io.env.CUNBOX_CONFIG ?? DEFAULT_CONFIG);
    const configExists = existsSync(configFile);
    // Everything is checked before anything is written: a wrong answer leaves no half-made box.
    const existing = configExists ? loadConfigFile(configFile) : null;
    const dataDir = existing ? keptDataDir(ctx, configFile, existing.dataDir, g.dataDir) : resolve(g.dataDir ?? DEFAULT_DATA_DIR);
    const owner = serviceOwner(ctx, o.user);
    const layout = new Layout(dataDir);
    const admin = existingAdmin(layout.database);
    const given = listenFromFlags(o);
    if (given && existing?.http && formatListen(given) !== formatListen(existing.http)) {
      throw new CunboxError('CONFLICT', tf(t, '{file} already sets the API address {address}; edit it there or leave out --listen', { file: configFile, address: formatListen(existing.http) }));
    }
    const stdin = ctx.io.stdin ?? process.stdin;
    let p: ReturnType<typeof prompter> | null = null;
    const ask: Ask | null = stdin.isTTY ? (q, hidden) => (p ??= prompter(ctx, stdin)).ask(q, hidden) : null;
    let listen: Listen | null = null;
    let credentials: { username: string; password: string } | null = null;
    try {
      // A new config always gets an http: section; an old one without it only when asked.
      if (!existing?.http) listen = given ?? (ask ? await askListen(ctx, ask) : existing ? null : DEFAULT_LISTEN);
      if (!admin) credentials = await askAdmin(ctx, o, ask);
    } finally {
      (p as ReturnType<typeof prompter> | null)?.close();
    }

    const lines: string[] = [];
    const created: string[] = [];
    if (!configExists) {
      writeConfig(configFile, dataDir, listen ?? DEFAULT_LISTEN);
      created.push(configFile);
      lines.push(`${t('created')}  ${t('config')}  ${configFile}`);
    } else if (listen) {
      addHttpSection(configFile, listen);
      lines.push(`${t('updated')}  ${t('config')}  ${configFile}`);
    } else lines.push(`${t('kept')}  ${t('config')}  ${configFile}`);
    const http = existing?.http ?? listen;
    lines.push(http ? `${configExists && !listen ? t('kept') : t('created')}  ${t('HTTP API')}  ${formatListen(http)}` : `${t('off')}  ${t('HTTP API')}  ${t('the config has no http: section; cunbox init --listen 0.0.0.0:8080 adds it')}`);
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
    setModes(created, configFile, [dataDir, layout.recordings]);
    if (owner && created.length > 0) {
      handTo(owner, created, configFile);
      lines.push(tf(t, 'owned by the {user} user, which the edge service runs as', { user: owner.name }));
    }
    for (const l of lines) ctx.out(l);
    if (http && isLoopback(http.host)) ctx.out(`${t('hint')}: ${tf(t, 'the API listens on {host} only: the office PC cannot reach it unless a proxy on this box forwards to it', { host: http.host })}`);
    ctx.out(`${t('next')}: cunbox doctor${configFile === DEFAULT_CONFIG ? '' : ` --config ${configFile}`}; cunbox cameras discover`);
  }));
}

function listenFromFlags(o: InitOptions): Listen | null {
  if (o.listen !== undefined) {
    const l = parseListen(o.listen);
    return { host: o.httpHost ?? l.host, port: o.httpPort ?? l.port };
  }
  if (o.httpHost === undefined && o.httpPort === undefined) return null;
  // The host alone is checked like a whole address, so a typo is caught the same way.
  const host = o.httpHost === undefined ? DEFAULT_LISTEN.host : parseListen(`${o.httpHost.includes(':') ? `[${o.httpHost}]` : o.httpHost}:1`).host;
  return { host, port: o.httpPort ?? DEFAULT_LISTEN.port };
}

async function askListen(ctx: CliContext, ask: Ask): Promise<Listen> {
  const { t } = ctx;
  for (;;) {
    const answer = (await ask(`${tf(t, 'API listen address (Enter: {address}; 127.0.0.1 only behind a local proxy)', { address: formatListen(DEFAULT_LISTEN) })}: `, false)).trim();
    if (answer === '') return DEFAULT_LISTEN;
    try {
      return parseListen(answer);
    } catch (err) {
      if (!(err instanceof CunboxError)) throw err;
      ctx.io.stderr.write(`${tf(t, 'listen address "{input}": write HOST:PORT, e.g. 0.0.0.0:8080 (all interfaces) or 192.0.2.2:8080', { input: answer })}\n`);
    }
  }
}

function keptDataDir(ctx: CliContext, configFile: string, dataDir: string, asked: string | undefined): string {
  if (asked && resolve(asked) !== dataDir) {
    throw new CunboxError('CONFLICT', tf(ctx.t, '{file} already names the data directory {dir}; edit it there or leave out --data-dir', { file: configFile, dir: dataDir }));
  }
  return dataDir;
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

async function askAdmin(ctx: CliContext, o: InitOptions, ask: Ask | null): Promise<{ username: string; password: string }> {
  const { t } = ctx;
  let username = o.adminUser?.trim();
  let password = o.adminPassword ?? (o.adminPasswordFile === undefined ? undefined : await passwordFromFile(ctx, o.adminPasswordFile));
  if ((!username || password === undefined) && !ask) {
    const missing = [!username && '--admin-user NAME', password === undefined && '--admin-password PASSWORD'].filter(Boolean).join(' ');
    throw new CunboxError('INVALID_INPUT', tf(t, 'the first admin user is missing: pass {flags} (or run cunbox init on a terminal to be asked)', { flags: missing }));
  }
  if (ask && (!username || password === undefined)) {
    while (!username) username = (await ask(`${t('admin user name')}: `, false)).trim();
    while (password === undefined) {
      const first = await ask(`${tf(t, 'admin password (at least {n} characters)', { n: MIN_PASSWORD_LENGTH })}: `, true);
      if (first.length < MIN_PASSWORD_LENGTH) {
        ctx.io.stderr.write(`${tf(t, 'too short: at least {n} characters', { n: MIN_PASSWORD_LENGTH })}\n`);
        continue;
      }
      const problems = passwordProblems(first, username);
      if (problems.length > 0) {
        ctx.io.stderr.write(`${problems.map(t).join('\n')}\n`);
        continue;
      }
      const again = await ask(`${t('again')}: `, true);
      if (again !== first) ctx.io.stderr.write(`${t('the two passwords differ; once more')}\n`);
      else password = first;
    }
  }
  if (!username || password === undefined) throw new CunboxError('INVALID_INPUT', t('input ended before the admin user was complete'));
  if (password.length < MIN_PASSWORD_LENGTH) throw new CunboxError('INVALID_INPUT', tf(t, 'admin password: at least {n} characters', { n: MIN_PASSWORD_LENGTH }));
  // The whole policy before anything is written (there is no default password to fall back on).
  const problems = passwordProblems(password, username);
  if (problems.length > 0) throw new CunboxError('INVALID_INPUT', problems.map(t).join('; '));
  if (!/^[\p{L}\p{N}_.-]{2,32}$/u.test(username)) throw new CunboxError('INVALID_INPUT', t('admin user name: 2–32 letters, digits, _ . -'));
  return { username, password };
}

/** The first line of `file` (`-`: standard input), without its line ending; a password may hold spaces. */
async function passwordFromFile(ctx: CliContext, file: string): Promise<string> {
  let text = '';
  try {
    if (file === '-') for await (const chunk of ctx.io.stdin ?? process.stdin) text += String(chunk);
    else text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CunboxError('INVALID_INPUT', tf(ctx.t, 'cannot read the admin password from {file}: {reason}', { file, reason: (err as NodeJS.ErrnoException).code ?? String(err) }));
  }
  return text.split(/\r?\n/)[0] ?? '';
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

function writeConfig(file: string, dataDir: string, listen: Listen): void {
  mkdirSync(dirname(file), { recursive: true });
  const text = [
    `# cunbox edge configuration, written by cunbox init on ${new Date().toISOString().slice(0, 10)}.`,
    '# Every key but data_dir is optional; the README ("Running the edge") lists them all.',
    `data_dir: ${JSON.stringify(dataDir)}`,
    'log_level: info',
    '# Times shown and typed in the CLI; storage stays UTC.',
    'timezone: Asia/Shanghai',
    httpSection(listen),
    '# recording:',
    '#   segment_seconds: 60',
    '#   transport: tcp',
    '# retention:',
    '#   days: 7',
    '#   min_free_percent: 5',
    '#   min_free_bytes: 2GiB',
    '',
  ].join('\n');
  replaceFile(file, text, MODES.config);
}

function httpSection(listen: Listen): string {
  return ['# The governance API, for the office PC and phones on the village LAN.', 'http:', `  host: ${JSON.stringify(listen.host)}`, `  port: ${listen.port}`].join('\n');
}

/** A config from before init wrote http: gets the section appended; everything else stays as written. */
function addHttpSection(file: string, listen: Listen): void {
  const before = statSync(file);
  const text = readFileSync(file, 'utf8');
  replaceFile(file, `${text}${text.endsWith('\n') ? '' : '\n'}${httpSection(listen)}\n`, before.mode & 0o777);
  if (process.getuid?.() === 0) chownSync(file, before.uid, before.gid);
}

/** Whole or not at all: a half-written config would stop the edge from starting. */
function replaceFile(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The umask may have taken bits away; the mode is part of what init promises.
    chmodSync(tmp, mode);
    loadConfigFile(tmp);
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/** What init made gets its mode whatever the umask: directories 0750, database files 0600, config 0640. */
function setModes(created: string[], configFile: string, dirs: string[]): void {
  for (const p of created) {
    if (!existsSync(p)) continue;
    chmodSync(p, p === configFile ? MODES.config : dirs.includes(p) ? MODES.dir : MODES.secret);
  }
}

interface Owner {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Run as root (the usual case), init would leave root-owned files the edge
 * service cannot use: they go to the service user (`--user`, else `cunbox`
 * when it exists). Not root: they are the invoking user's already.
 */
function serviceOwner(ctx: CliContext, asked: string | undefined): Owner | null {
  const name = asked ?? SERVICE_USER;
  const ids = passwdIds(name);
  if (asked && !ids) throw new CunboxError('INVALID_INPUT', tf(ctx.t, 'no system user {user} (create it first: useradd --system {user})', { user: asked }));
  if (process.getuid?.() !== 0 || !ids) return null;
  return { name, ...ids };
}

function handTo(owner: Owner, created: string[], configFile: string): void {
  for (const p of created) {
    if (!existsSync(p)) continue;
    // The edge reads the config (it may hold camera passwords): root-owned, group-readable.
    if (p === configFile) chownSync(p, 0, owner.gid);
    else chownSync(p, owner.uid, owner.gid);
  }
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
