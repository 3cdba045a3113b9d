/**
 * One simulated edge: the edge's real op store and real SyncClient (edge/src) on an
 * in-memory copy of a freshly migrated edge database, so it speaks the protocol exactly as
 * a box does (hello, windows, rewinds, presence, will, users snapshots). Only the cameras,
 * the web UI and the disk are left out.
 *
 * It keeps, per op of its own, when it was committed and when the cloud's ack covered it,
 * which is what the fleet benchmark measures.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { governanceModels } from '@cunbox/shared';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient, type SyncCredentials, type SyncOptions } from '../../edge/src/sync/client.ts';
import { AuditLog } from '../../edge/src/api/audit.ts';
import { systemClock, type Clock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

export interface OpTimes {
  /** Date.now() at the commit, per seq (index seq - 1). */
  committedAt: number[];
  /** Date.now() when the ack covering it was seen; 0: not yet. */
  ackedAt: number[];
  /** The edge went offline (on purpose) between the commit and the ack: its wait says nothing about the cloud. */
  wentOffline: boolean[];
}

export class SimEdge {
  readonly edgeId: string;
  readonly #db: Database.Database;
  readonly #store: OpStore;
  readonly #audit: AuditLog;
  readonly #credentials: SyncCredentials;
  readonly #options: Partial<SyncOptions>;
  #sync: SyncClient | undefined;
  #made = 0;
  #acked = 0;
  readonly times: OpTimes = { committedAt: [], ackedAt: [], wentOffline: [] };
  readonly #readAcked: Database.Statement;

  readonly #clock: Clock;

  /**
   * `template`: a migrated edge database, serialized; each edge gets its own copy with its own node id.
   * `clockSkewMs`: the edge's wall clock is off by that much (its timers run on real time), as a box whose clock was never set.
   */
  constructor(deps: { template: Buffer; credentials: SyncCredentials; options?: Partial<SyncOptions>; clockSkewMs?: number }) {
    this.edgeId = deps.credentials.edgeId;
    this.#credentials = deps.credentials;
    this.#options = deps.options ?? {};
    const skew = deps.clockSkewMs ?? 0;
    this.#clock = skew === 0 ? systemClock : { ...systemClock, now: () => Date.now() + skew };
    this.#db = new Database(deps.template);
    this.#db.pragma('foreign_keys = ON');
    // The template's node id is every copy's: each edge is a node of its own.
    this.#db.prepare('UPDATE gov_node SET node_id = lower(hex(randomblob(8))) WHERE singleton = 1').run();
    this.#store = new OpStore({ db: this.#db, clock: this.#clock, log: silentLogger(), models: governanceModels });
    // Its audit chain, as a box's: in its own database, under a key of its own (a box keeps its key beside the database; this one has no disk).
    this.#audit = new AuditLog({ db: this.#db, clock: this.#clock, key: randomBytes(32) });
    this.#db.prepare("INSERT OR IGNORE INTO sync_peers (peer) VALUES ('cloud')").run();
    this.#readAcked = this.#db.prepare("SELECT ops_acked AS n FROM sync_peers WHERE peer = 'cloud'").pluck();
  }

  get node(): string {
    return this.#store.node;
  }

  get made(): number {
    return this.#made;
  }

  get acked(): number {
    return this.#acked;
  }

  get online(): boolean {
    return this.#sync !== undefined;
  }

  get connected(): boolean {
    return this.#sync?.connected ?? false;
  }

  /** Connects (again): a new SyncClient over the same database, as an edge restarting does. */
  start(): void {
    if (this.#sync) return;
    this.#sync = new SyncClient({ db: this.#db, store: this.#store, clock: this.#clock, log: silentLogger(), credentials: this.#credentials, options: this.#options, audit: this.#audit });
    this.#sync.start();
  }

  /** A clean stop (offline presence, then DISCONNECT); ops committed meanwhile wait in the outbox. */
  async stop(): Promise<void> {
    const s = this.#sync;
    this.#sync = undefined;
    for (let seq = this.#acked + 1; seq <= this.#made; seq++) this.times.wentOffline[seq - 1] = true;
    await s?.stop();
  }

  /** Commits `n` ops in one transaction: new tickets, as a village's clerk records them. */
  commit(n: number): void {
    if (n <= 0) return;
    const drafts = Array.from({ length: n }, () => {
      const i = this.#made++;
      return {
        entityKind: 'ticket',
        entityId: `01JF${this.edgeId.slice(0, 8).toUpperCase()}${String(i).padStart(14, '0')}`,
        type: 'ticket.created',
        payload: { category: 'road', categoryName: '道路', slaMinutes: 120, description: `fleet ${i}`, place: '村口', lat: null, lng: null, photos: [], anonymous: false, reporter: 'clerk' },
      };
    });
    this.#store.commit('clerk', drafts);
    const now = Date.now();
    const offline = !this.#sync;
    for (let i = this.#made - n; i < this.#made; i++) {
      this.times.committedAt[i] = now;
      this.times.ackedAt[i] = 0;
      this.times.wentOffline[i] = offline;
    }
  }

  /** Reads the acked mark the SyncClient keeps (it moves only on the cloud's ack, sent after its commit). */
  poll(now: number): void {
    const acked = this.#readAcked.get() as number;
    for (let seq = this.#acked + 1; seq <= acked; seq++) this.times.ackedAt[seq - 1] = now;
    if (acked > this.#acked) this.#acked = acked;
  }

  async close(): Promise<void> {
    await this.stop();
    this.#db.close();
  }
}
