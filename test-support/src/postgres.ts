/**
 * A throwaway PostgreSQL server for a test: initdb in a temporary directory,
 * listening only on a unix socket in that directory (no TCP port at all), with
 * fsync off (the data dies with the test). Stopped and removed in teardown.
 *
 * PostgreSQL refuses to run as root; as root (CI, this box) the server runs as
 * the `postgres` system user (or `nobody`), which owns the directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export interface TestPostgres {
  /** A connection URL for the `cunbox` database over the socket. */
  url: string;
  /** Makes another empty database on the same server; returns its URL. */
  createDatabase(name: string): string;
}

/** The directory holding initdb, pg_ctl, postgres and psql: Debian's versioned one (newest), else one on PATH. */
export function postgresBinDir(): string | null {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(debian, v, 'bin', 'pg_ctl'))) return join(debian, v, 'bin');
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && ['pg_ctl', 'initdb', 'psql'].every((f) => existsSync(join(dir, f)))) return dir;
  return null;
}

/** Which system user runs the server when we are root. */
function serverUser(): { uid: number; gid: number; name: string } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    return { uid: Number(r.stdout.trim()), gid, name };
  }
  throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
}

export interface PostgresServer extends TestPostgres {
  /** Stops the server at once and removes its directory. */
  stop(): void;
}

/** Starts a server for this test (skips the test when PostgreSQL is not installed); stopped in teardown. */
export function startPostgres(t: Test): TestPostgres | undefined {
  if (!postgresBinDir()) {
    void t.skip('PostgreSQL is not installed (scripts/setup installs it)', () => {});
    return undefined;
  }
  const server = startPostgresServer();
  t.teardown(() => server.stop());
  return server;
}

/** Starts a server (benchmarks; tests use startPostgres). Throws when PostgreSQL is not installed. */
export function startPostgresServer(settings: string[] = []): PostgresServer {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (scripts/setup installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-pg-'));
  const user = serverUser();
  const run = (tool: string, args: string[]): void => {
    const cmd = join(bin, tool);
    const full = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', cmd, ...args] : [cmd, ...args];
    execFileSync(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  const superuser = user ? user.name : userInfo().username;
  run('initdb', ['-D', data, '-U', superuser, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // listen_addresses='': the socket in `dir` is the only way in.
  const options = [`-k ${dir}`, "-c listen_addresses=''", '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=60', ...settings.map((s) => `-c ${s}`)].join(' ');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const stop = (): void => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      if (!process.env.CUNBOX_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
    }
  };
  const urlOf = (db: string): string => `postgresql://${encodeURIComponent(superuser)}@/${db}?host=${encodeURIComponent(dir)}`;
  const createDatabase = (name: string): string => {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    run('psql', ['-h', dir, '-U', superuser, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`]);
    return urlOf(name);
  };
  try {
    return { url: createDatabase('cunbox'), createDatabase, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
