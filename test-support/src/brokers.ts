/**
 * The brokers the sync suite runs against: the cloud's embedded Aedes, and a
 * real Mosquitto started here (loopback, password file, acl_file with the
 * same rules as the embedded broker). Each can be stopped and restarted on
 * the same port, which is how the suite kills the broker mid-stream.
 * `startMosquitto` alone is the broker of tests that run the cloud themselves
 * (in-process, or as its own process).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { testCloudStore } from './cloud-store.ts';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { Cloud, SERVICE_USER, mosquittoAcl, mosquittoLimits, type CloudConfig, type CloudSyncOptions } from '../../cloud/src/index.ts';
import type { MosquittoFilesConfig } from '../../cloud/src/mosquitto-files.ts';
import { freePort } from './ports.ts';

export const SERVICE_PASSWORD = 'svc-test-password';
export const OPERATOR_TOKEN = 'operator-test-token';
export const testSyncOptions: Partial<CloudSyncOptions> = { resendMs: 500, tickMs: 50, backoff: { baseMs: 50, maxMs: 400 } };

/** What the cloud's POST /api/pair answers an edge: its identity and its broker login. */
export interface Paired {
  edgeId: string;
  villageId: number;
  mqttUrl: string;
  username: string;
  password: string;
}

export interface BrokerRig {
  name: string;
  cloud: Cloud;
  url: string;
  /** Lets the broker know a new edge's password (Mosquitto's password file; Aedes asks the cloud store). */
  addUser(user: string, password: string): Promise<void>;
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

const log = pino({ level: process.env.CUNBOX_TEST_LOG ?? 'silent' });

function cloudConfig(dir: string, mqtt: CloudConfig['mqtt']): CloudConfig {
  return { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt };
}

/** `phoneApp`: a built phone app for the cloud to serve at /m/ (browser tests). */
export async function aedesRig(dir: string, opts: { phoneApp?: string } = {}): Promise<BrokerRig> {
  const port = await freePort();
  const cloud = new Cloud({ config: cloudConfig(dir, { mode: 'embedded', host: '127.0.0.1', port, publicUrl: null }), log, syncOptions: testSyncOptions, servicePassword: SERVICE_PASSWORD, phoneApp: opts.phoneApp ?? null });
  await cloud.start();
  return {
    name: 'aedes',
    cloud,
    url: `mqtt://127.0.0.1:${port}`,
    addUser: async () => undefined,
    stopBroker: () => cloud.broker!.stop(),
    startBroker: () => cloud.broker!.start('127.0.0.1', port),
    close: () => cloud.stop(),
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('mosquitto did not start listening');
}

/** A Mosquitto process of the test's own, on a fixed loopback port: killed (SIGKILL) and started again at will. */
export interface MosquittoProcess {
  port: number;
  url: string;
  /** Adds an edge's password and has Mosquitto re-read its files. */
  addUser(user: string, password: string): Promise<void>;
  start(): Promise<void>;
  /** SIGKILL: nothing is flushed, every connection drops at once. */
  kill(): Promise<void>;
}

/**
 * `provisioned`: the files are the cloud's to write (mosquitto-files.ts) and must exist already; the
 * broker writes its pid where the cloud looks for it. Otherwise the test writes them (addUser).
 * `fixedPort`: for a cloud configured before its broker starts.
 */
export async function startMosquitto(dir: string, provisioned?: MosquittoFilesConfig, fixedPort?: number): Promise<MosquittoProcess> {
  const port = fixedPort ?? (await freePort());
  const passwd = provisioned?.passwordFile ?? join(dir, 'mosquitto.passwd');
  const acl = provisioned?.aclFile ?? join(dir, 'mosquitto.acl');
  const conf = join(dir, 'mosquitto.conf');
  if (!provisioned) {
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, SERVICE_USER, SERVICE_PASSWORD]);
    writeFileSync(acl, mosquittoAcl(SERVICE_USER));
  }
  const pid = provisioned ? [`pid_file ${provisioned.pidFile}`] : [];
  // Started as root, Mosquitto would switch to its own user and could not read the test's private directory.
  writeFileSync(conf, [`user ${userInfo().username}`, `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`, ...pid, 'persistence false', ...mosquittoLimits(), 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', process.env.CUNBOX_TEST_LOG ? 'inherit' : 'ignore'] });
    child = c;
    await waitForPort(port, c);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    addUser: async (user, password) => {
      execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
      // Mosquitto re-reads its password and ACL files on SIGHUP.
      if (child?.exitCode === null) child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 200));
    },
    start,
    kill,
  };
}

export async function mosquittoRig(dir: string): Promise<BrokerRig> {
  const m = await startMosquitto(dir);
  const cloud = new Cloud({ config: cloudConfig(dir, { mode: 'external', url: m.url, username: SERVICE_USER, password: SERVICE_PASSWORD, publicUrl: null }), log, syncOptions: testSyncOptions });
  try {
    await cloud.start();
  } catch (err) {
    await m.kill();
    throw err;
  }
  return {
    name: 'mosquitto',
    cloud,
    url: m.url,
    addUser: m.addUser,
    stopBroker: m.kill,
    startBroker: m.start,
    close: async () => {
      await cloud.stop();
      await m.kill();
    },
  };
}

/** A request to the rig's cloud as its operator; the JSON answer with its status. */
export async function operatorApi(rig: BrokerRig, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

/** Whether the broker at `url` lets this login in now (a refused CONNECT rejects). */
export async function loginWorks(url: string, username: string, password: string): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync(url, { username, password, clientId: `probe-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 });
    await c.endAsync(true);
    return true;
  } catch {
    return false;
  }
}
