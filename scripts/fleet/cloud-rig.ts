/**
 * The cloud side of the fleet, run as in production: `cunbox-cloud serve` processes, each
 * from its own config file, either
 * - `embedded`: one process with its embedded broker (the default set-up), or
 * - `mosquitto`: a real Mosquitto on loopback and `workers` processes on one data
 *   directory, sharing the edges' uplink through the shared subscription group `fleet`
 *   (docs/design/cloud-workers.md). The cloud writes Mosquitto's password and ACL files.
 *
 * Edges are paired in bulk through the store (createPairCode + redeemPairCode, the same
 * code POST /api/pair runs, without HTTP), one village per edge, before the workers start:
 * SQLite (cloud.db in the data directory) or PostgreSQL (a throwaway server, or `postgresUrl`).
 * Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FieldCipher, governanceModels, loadOrCreateKey } from '@cunbox/shared';
import { pino } from 'pino';
import { openCloudDatabase } from '../../cloud/src/database.ts';
import { SqliteCloudStore } from '../../cloud/src/store.ts';
import { asyncStore, type AsyncCloudStore } from '../../cloud/src/store-async.ts';
import { openPgDatabase } from '../../cloud/src/pg/database.ts';
import { PgCloudStore } from '../../cloud/src/pg/store.ts';
import { startPostgresServer, type PostgresServer } from '@cunbox/test-support/postgres';
import { MosquittoFiles, mosquittoHash, type MosquittoFilesConfig } from '../../cloud/src/mosquitto-files.ts';
import { SERVICE_USER } from '../../cloud/src/cloud.ts';
import { startMosquitto, type MosquittoProcess } from '@cunbox/test-support/brokers';
import { freePort } from '@cunbox/test-support/ports';
import type { SyncCredentials } from '../../edge/src/sync/client.ts';

export type BrokerMode = 'embedded' | 'mosquitto';
export type StoreKind = 'sqlite' | 'postgres';

/** The shared-subscription group the workers join. */
const SHARED_GROUP = 'fleet';
const SERVICE_PASSWORD = 'fleet-service-password';
const OPERATOR_TOKEN = 'fleet-operator-token';

export interface CloudRigOptions {
  dir: string;
  broker: BrokerMode;
  workers: number;
  store: StoreKind;
  /** PostgreSQL: the connection string the workers are configured with. */
  postgresUrl?: string;
  logLevel?: string;
}

interface Worker {
  httpPort: number;
  config: string;
  child: ChildProcess | undefined;
}

export class CloudRig {
  readonly #opts: CloudRigOptions;
  readonly #workers: Worker[] = [];
  #mosquitto: MosquittoProcess | undefined;
  #mqttPort = 0;
  readonly #dataDir: string;
  readonly #mosquittoFiles: MosquittoFilesConfig;
  #postgres: PostgresServer | undefined;

  constructor(opts: CloudRigOptions) {
    if (opts.broker === 'embedded' && opts.workers !== 1) throw new Error('the embedded broker runs in one cloud process: --workers 1');
    this.#opts = opts;
    this.#dataDir = join(opts.dir, 'cloud');
    this.#mosquittoFiles = { passwordFile: join(opts.dir, 'mosquitto.passwd'), aclFile: join(opts.dir, 'mosquitto.acl'), pidFile: join(opts.dir, 'mosquitto.pid') };
  }

  get cloudDb(): string {
    return join(this.#dataDir, 'cloud.db');
  }

  get workerCount(): number {
    return this.#workers.length;
  }

  pid(worker: number): number | undefined {
    return this.#workers[worker]?.child?.pid;
  }

  /** Mosquitto's pid (from its pid file); undefined with the embedded broker. */
  brokerPid(): number | undefined {
    if (!this.#mosquitto) return undefined;
    try {
      return Number.parseInt(readFileSync(this.#mosquittoFiles.pidFile, 'utf8'), 10) || undefined;
    } catch {
      return undefined;
    }
  }

  /** PostgreSQL: the server's postmaster pid (its backends are its children); undefined on SQLite. */
  databasePid(): number | undefined {
    if (this.#opts.store !== 'postgres') return undefined;
    // postgresql://user@/db?host=DIR: no host part, so WHATWG URL refuses it; the socket directory is the query's `host`.
    const socketDir = /[?&]host=([^&]+)/.exec(this.postgresUrl)?.[1];
    try {
      return socketDir ? Number.parseInt(readFileSync(join(decodeURIComponent(socketDir), 'data', 'postmaster.pid'), 'utf8'), 10) || undefined : undefined;
    } catch {
      return undefined;
    }
  }

  /** Pairs `edges` edges (one village each) through the store; returns what each edge's credentials file would hold. */
  async provision(edges: number): Promise<SyncCredentials[]> {
    this.#mqttPort = await freePort();
    mkdirSync(this.#dataDir, { recursive: true });
    const mosquitto = this.#opts.broker === 'mosquitto';
    const opened = await this.#openStore(mosquitto);
    const url = `mqtt://127.0.0.1:${this.#mqttPort}`;
    const out: SyncCredentials[] = [];
    const hashes: Array<{ edgeId: string; hash: string }> = [];
    try {
      for (let i = 0; i < edges; i++) {
        const village = await opened.store.createVillage(`村${i + 1}`);
        const paired = (await opened.store.redeemPairCode(await opened.store.createPairCode(village.id, 60_000)))!;
        out.push({ edgeId: paired.edge.edgeId, mqttUrl: url, username: paired.edge.edgeId, password: paired.password });
        if (mosquitto) hashes.push({ edgeId: paired.edge.edgeId, hash: mosquittoHash(paired.password) });
      }
    } finally {
      await opened.close();
    }
    if (mosquitto) {
      // The broker reads the files when it starts; each worker writes them again at its start, from its store.
      const source = { brokerHashes: async () => hashes, edgesWithoutBrokerHash: async () => [], adoptBrokerHash: async () => undefined };
      await new MosquittoFiles({ config: this.#mosquittoFiles, serviceUser: SERVICE_USER, servicePassword: SERVICE_PASSWORD, source, log: pino({ level: 'silent' }) }).start();
    }
    return out;
  }

  /** The store the workers will use, as the cloud opens it (its data key in the data directory). */
  async #openStore(mosquitto: boolean): Promise<{ store: AsyncCloudStore; close: () => Promise<void> }> {
    const options = { models: governanceModels, cipher: new FieldCipher(loadOrCreateKey(join(this.#dataDir, 'keys', 'data.key'))), brokerHash: mosquitto ? (p: string) => mosquittoHash(p) : undefined };
    if (this.#opts.store === 'sqlite') {
      const db = openCloudDatabase(this.cloudDb);
      return { store: asyncStore(new SqliteCloudStore({ db, ...options })), close: async () => void db.close() };
    }
    const pool = await openPgDatabase({ url: this.postgresUrl, max: 2 });
    return { store: new PgCloudStore({ pool, ...options }), close: () => pool.end() };
  }

  /** PostgreSQL: the given server, or a throwaway one started here (unix socket, no TCP). */
  get postgresUrl(): string {
    if (this.#opts.postgresUrl) return this.#opts.postgresUrl;
    this.#postgres ??= startPostgresServer();
    return this.#postgres.url;
  }

  async start(): Promise<void> {
    writeFileSync(join(this.#opts.dir, 'operator-token'), OPERATOR_TOKEN);
    writeFileSync(join(this.#opts.dir, 'service-password'), SERVICE_PASSWORD);
    if (this.#opts.broker === 'mosquitto') this.#mosquitto = await startMosquitto(this.#opts.dir, this.#mosquittoFiles, this.#mqttPort);
    for (let i = 0; i < this.#opts.workers; i++) {
      const httpPort = await freePort();
      const config = join(this.#opts.dir, `cloud-${i}.yaml`);
      writeFileSync(config, this.#configText(httpPort));
      this.#workers.push({ httpPort, config, child: undefined });
      // One after the other: the first migrates the database, the others find it done.
      await this.startWorker(i);
    }
  }

  #configText(httpPort: number): string {
    const lines = [`data_dir: ${this.#dataDir}`, 'operator_token_file: operator-token', `http: { host: 127.0.0.1, port: ${httpPort} }`];
    if (this.#opts.broker === 'embedded') lines.push(`mqtt: { host: 127.0.0.1, port: ${this.#mqttPort} }`);
    else {
      const f = this.#mosquittoFiles;
      lines.push(
        'mqtt:',
        `  url: mqtt://127.0.0.1:${this.#mqttPort}`,
        `  username: ${SERVICE_USER}`,
        '  password_file: service-password',
        `  shared_group: ${SHARED_GROUP}`,
        `  mosquitto: { password_file: ${f.passwordFile}, acl_file: ${f.aclFile}, pid_file: ${f.pidFile} }`,
      );
    }
    // Workers on one PostgreSQL database: the URL in a file of its own, as in production.
    if (this.#opts.store === 'postgres') {
      writeFileSync(join(this.#opts.dir, 'cloud-db.url'), `${this.postgresUrl}\n`, { mode: 0o600 });
      lines.push('store: { kind: postgres, url_file: cloud-db.url }');
    }
    return `${lines.join('\n')}\n`;
  }

  async startWorker(i: number): Promise<void> {
    const w = this.#workers[i]!;
    const log = openSync(join(this.#opts.dir, `cloud-${i}.log`), 'a');
    w.child = spawn(process.execPath, [join(import.meta.dirname, '../../cloud/bin/cunbox-cloud.js'), 'serve', '--config', w.config], {
      stdio: ['ignore', log, log],
      env: { ...process.env, CUNBOX_LOG_LEVEL: this.#opts.logLevel ?? 'warn' },
    });
    await this.#ready(w);
  }

  #lastLogLine(w: Worker): string {
    const lines = readFileSync(join(this.#opts.dir, `cloud-${this.#workers.indexOf(w)}.log`), 'utf8').trim().split('\n');
    return lines[lines.length - 1]?.slice(0, 500) ?? '';
  }

  async #ready(w: Worker): Promise<void> {
    const until = Date.now() + 120_000;
    for (;;) {
      if (!w.child || w.child.exitCode !== null) throw new Error(`cloud worker exited with ${w.child?.exitCode}: ${this.#lastLogLine(w)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${w.httpPort}/healthz`);
        await res.body?.cancel();
        return;
      } catch {
        if (Date.now() > until) throw new Error('cloud worker did not start in 120 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Ops worker `i` has ingested since it started, from its /metrics: how the shared subscription split the uplink. */
  async opsIngested(i: number): Promise<{ applied: number; duplicate: number }> {
    const res = await fetch(`http://127.0.0.1:${this.#workers[i]!.httpPort}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    const text = await res.text();
    const read = (result: string) => Number(new RegExp(`^cunbox_cloud_ops_ingested_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { applied: read('applied'), duplicate: read('duplicate') };
  }

  /** SIGKILL: nothing flushed, its MQTT session and whatever it had in flight are gone. */
  async killWorker(i: number): Promise<void> {
    await stopChild(this.#workers[i]?.child, 'SIGKILL');
  }

  /** Every edge reconnects: Mosquitto killed and started again (its retained messages are gone with it), or the embedded cloud restarted. */
  async restartBroker(downMs: number, whileDown: () => Promise<void>): Promise<number> {
    if (this.#mosquitto) {
      await this.#mosquitto.kill();
      await whileDown();
      await new Promise((r) => setTimeout(r, downMs));
      const at = Date.now();
      await this.#mosquitto.start();
      return at;
    }
    await stopChild(this.#workers[0]!.child, 'SIGTERM');
    await whileDown();
    await new Promise((r) => setTimeout(r, downMs));
    const at = Date.now();
    await this.startWorker(0);
    return at;
  }

  /** The workers and the broker; the database stays for the check. */
  async stopCloud(): Promise<void> {
    for (const w of this.#workers) await stopChild(w.child, 'SIGTERM');
    await this.#mosquitto?.kill();
  }

  async stop(): Promise<void> {
    await this.stopCloud();
    this.#postgres?.stop();
    this.#postgres = undefined;
  }
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
