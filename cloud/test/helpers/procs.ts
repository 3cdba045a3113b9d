/**
 * The edge and the cloud as real OS processes (their own CLIs, their own
 * config files), so that a kill is a real SIGKILL: no stop(), no flush, no
 * goodbye. Every process started here is killed in the test's teardown.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { testCloudStore } from '@cunbox/test-support/cloud-store';
import { openSync, closeSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';

const ROOT = join(import.meta.dirname, '../../..');
export const EDGE_BIN = join(ROOT, 'edge/bin/cunbox.js');
export const CLOUD_BIN = join(ROOT, 'cloud/bin/cunbox-cloud.js');

/** One daemon: started, SIGKILLed and started again, on the same ports and files. */
export class Daemon {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly name: string,
    readonly args: string[],
    readonly opts: { logFile: string; env?: NodeJS.ProcessEnv; ready: () => Promise<boolean> },
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and waits until `ready` says so (bounded). */
  async start(boundMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    // Appended across restarts: the one log tells the whole run.
    const fd = openSync(this.opts.logFile, 'a');
    const child = spawn(process.execPath, this.args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...this.opts.env } });
    closeSync(fd);
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', () => r()));
    this.starts++;
    const until = Date.now() + boundMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited while starting (see ${this.opts.logFile})`);
      if (await this.opts.ready().catch(() => false)) return;
      if (Date.now() > until) throw new Error(`${this.name} not ready within ${boundMs} ms (see ${this.opts.logFile})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.#child!.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (a clean stop), SIGKILL if it takes longer than `boundMs`. */
  async stop(boundMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.#child!.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), boundMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** A GET that answers whether anything listens and responds. */
export async function responds(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status < 500;
}

/** Runs an edge CLI command to completion (pairing, adding a user). */
export function edgeCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [EDGE_BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cunbox ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface CloudProcOptions {
  dir: string;
  httpPort: number;
  operatorToken: string;
  /** Embedded Aedes on this port, or an external broker. */
  mqtt: { port: number } | { url: string; username: string; password: string };
}

/** The cloud daemon: `cunbox-cloud serve --config FILE`. */
export function cloudDaemon(t: Test, o: CloudProcOptions): Daemon {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'operator-token'), `${o.operatorToken}\n`, { mode: 0o600 });
  const mqtt =
    'port' in o.mqtt
      ? [`  host: 127.0.0.1`, `  port: ${o.mqtt.port}`]
      : (writeFileSync(join(o.dir, 'service-password'), `${o.mqtt.password}\n`, { mode: 0o600 }), [`  url: ${o.mqtt.url}`, `  username: ${o.mqtt.username}`, '  password_file: service-password']);
  // The store the tests' clouds run on (CUNBOX_TEST_STORE): PostgreSQL's URL in its own file, as in production.
  const store = testCloudStore(join(o.dir, 'data'));
  if (store.kind === 'postgres') writeFileSync(join(o.dir, 'db-url'), `${store.url}\n`, { mode: 0o600 });
  const storeLines = store.kind === 'postgres' ? ['store:', '  kind: postgres', '  url_file: db-url'] : [];
  const config = join(o.dir, 'cloud.yaml');
  writeFileSync(config, ['data_dir: data', 'operator_token_file: operator-token', ...storeLines, 'http:', '  host: 127.0.0.1', `  port: ${o.httpPort}`, 'mqtt:', ...mqtt, ''].join('\n'));
  const d = new Daemon('cloud', [CLOUD_BIN, 'serve', '--config', config], {
    logFile: join(o.dir, 'cloud.log'),
    env: { CUNBOX_LOG_LEVEL: process.env.CUNBOX_TEST_LOG ?? 'warn' },
    ready: () => responds(`http://127.0.0.1:${o.httpPort}/api/villages/0/tickets`, { authorization: `Bearer ${o.operatorToken}` }),
  });
  t.teardown(() => d.kill());
  return d;
}

export interface EdgeProcOptions {
  dir: string;
  httpPort: number;
  cloudUrl: string;
  edgeId: string;
  credentialsFile: string;
}

/** The edge daemon: `cunbox --config FILE serve`, with its HTTP API and sync, no cameras. */
export function edgeDaemon(t: Test, o: EdgeProcOptions): Daemon {
  const config = writeEdgeConfig(o);
  const d = new Daemon('edge', [EDGE_BIN, '--config', config, 'serve'], {
    logFile: join(o.dir, 'edge.log'),
    ready: () => responds(`http://127.0.0.1:${o.httpPort}/api/auth/me`),
  });
  t.teardown(() => d.kill());
  return d;
}

/** No cameras, no recording: the HTTP API and sync are what the fault tests need. */
function writeEdgeConfig(o: EdgeProcOptions): string {
  mkdirSync(o.dir, { recursive: true });
  const config = join(o.dir, 'edge.yaml');
  writeFileSync(
    config,
    [
      'data_dir: data',
      `log_level: ${process.env.CUNBOX_TEST_LOG ?? 'warn'}`,
      'http:',
      '  host: 127.0.0.1',
      `  port: ${o.httpPort}`,
      'cloud:',
      `  url: ${o.cloudUrl}`,
      `  edge_id: ${JSON.stringify(o.edgeId)}`,
      `  credentials_file: ${o.credentialsFile}`,
      '',
    ].join('\n'),
  );
  return config;
}

/** The edge's database file (its data_dir is `data` next to the config). */
export const edgeDbFile = (dir: string): string => join(dir, 'data', 'cunbox.db');
