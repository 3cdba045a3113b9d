/**
 * Keeps an external Mosquitto's password file and ACL file in step with the
 * cloud's edges: the service user and every paired, unrevoked edge may log
 * in, with the rules of `mosquittoAcl`. The files are written whole from the
 * cloud database (never edited in place), each to a temporary file that is
 * fsynced and renamed over the old one, so Mosquitto never reads half a file;
 * then Mosquitto is sent SIGHUP (its pid from its pid file) and re-reads
 * both. Written at start (so a lost write or signal is repaired by a restart)
 * and after every pairing and revocation.
 *
 * Mosquitto checks passwords against its own hash format, so the cloud keeps
 * that hash of each edge password beside its scrypt one (made at pairing, the
 * only time the password is known). See docs/design/sync.md, "External
 * Mosquitto", for why files and not the dynamic security plugin.
 */
import { readFileSync } from 'node:fs';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { EDGE_ID_PATTERN, writeFileDurably } from '@cunbox/shared';
import { mosquittoAcl } from './broker.ts';

export interface MosquittoFilesConfig {
  passwordFile: string;
  aclFile: string;
  /** Mosquitto's `pid_file`: whom to send SIGHUP. */
  pidFile: string;
}

/** What the files are made from (the cloud store). */
export interface BrokerCredentialSource {
  /** Every paired, unrevoked edge with its Mosquitto hash. */
  brokerHashes(): Promise<Array<{ edgeId: string; hash: string }>>;
  /** Paired, unrevoked edges the cloud has no Mosquitto hash of (paired before it kept them). */
  edgesWithoutBrokerHash(): Promise<string[]>;
  adoptBrokerHash(edgeId: string, hash: string): Promise<void>;
}

/**
 * Mosquitto 2's own password hash (`$7$`: PBKDF2-SHA512, 101 iterations, 12
 * bytes of salt, as `mosquitto_passwd` writes it). Few iterations, but the
 * passwords are 24 random bytes: there is nothing to guess.
 */
export function mosquittoHash(password: string, salt: Buffer = randomBytes(12)): string {
  const iterations = 101;
  return `$7$${iterations}$${salt.toString('base64')}$${pbkdf2Sync(password, salt, iterations, 64, 'sha512').toString('base64')}`;
}

const HASH_LINE = /^([^:\s]+):(\$7\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+)$/;

export class MosquittoFiles {
  readonly #config: MosquittoFilesConfig;
  readonly #serviceUser: string;
  readonly #servicePassword: string;
  readonly #source: BrokerCredentialSource;
  readonly #log: Logger;
  readonly #signal: (pid: number) => void;
  #serviceHash: string | undefined;
  #applying: Promise<void> = Promise.resolve();

  constructor(deps: { config: MosquittoFilesConfig; serviceUser: string; servicePassword: string; source: BrokerCredentialSource; log: Logger; signal?: (pid: number) => void }) {
    this.#config = deps.config;
    this.#serviceUser = deps.serviceUser;
    this.#servicePassword = deps.servicePassword;
    this.#source = deps.source;
    this.#log = deps.log;
    this.#signal = deps.signal ?? ((pid) => process.kill(pid, 'SIGHUP'));
  }

  /** Takes over edges an operator had entered by hand (their hashes, from the file as it is), then writes the files. */
  async start(): Promise<void> {
    this.#serviceHash = mosquittoHash(this.#servicePassword);
    const missing = new Set(await this.#source.edgesWithoutBrokerHash());
    if (missing.size > 0) {
      for (const line of this.#readExisting()) {
        const m = HASH_LINE.exec(line.trim());
        if (m && missing.has(m[1]!) && EDGE_ID_PATTERN.test(m[1]!)) {
          await this.#source.adoptBrokerHash(m[1]!, m[2]!);
          missing.delete(m[1]!);
        }
      }
      if (missing.size > 0) this.#log.warn({ edges: [...missing] }, 'paired edges without a Mosquitto password hash: they cannot log in until paired again');
    }
    await this.apply();
  }

  /**
   * Writes both files from the store and has Mosquitto re-read them. A broker
   * that is not running is only logged: it reads the files when it starts.
   */
  apply(): Promise<void> {
    if (!this.#serviceHash) return Promise.reject(new Error('MosquittoFiles not started'));
    // One at a time: a write that read the store earlier never lands after one that read it later.
    const run = this.#applying.then(() => this.#write(this.#serviceHash!));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async #write(serviceHash: string): Promise<void> {
    const lines = [`${this.#serviceUser}:${serviceHash}`, ...(await this.#source.brokerHashes()).map((e) => `${e.edgeId}:${e.hash}`)];
    // 0640: Mosquitto may run as another user of the cloud's group.
    writeFileDurably(this.#config.passwordFile, `${lines.join('\n')}\n`, 0o640);
    writeFileDurably(this.#config.aclFile, mosquittoAcl(this.#serviceUser), 0o640);
    this.#reload();
  }

  #reload(): void {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(this.#config.pidFile, 'utf8').trim(), 10);
    } catch (err) {
      this.#log.warn({ pidFile: this.#config.pidFile, err: (err as Error).message }, 'Mosquitto pid file unreadable: the broker reads the new files when it starts');
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) {
      this.#log.warn({ pidFile: this.#config.pidFile }, 'Mosquitto pid file holds no pid');
      return;
    }
    try {
      this.#signal(pid);
    } catch (err) {
      this.#log.warn({ pid, err: (err as Error).message }, 'could not signal Mosquitto to reload its password and ACL files');
    }
  }

  #readExisting(): string[] {
    try {
      return readFileSync(this.#config.passwordFile, 'utf8').split('\n');
    } catch {
      return [];
    }
  }
}
