/**
 * The cloud's storage, behind one narrow interface (`CloudStore`) so that a
 * server database can replace SQLite later without touching sync or HTTP code.
 * The SQLite implementation keeps, per village, the op log (every op of the
 * edge and of the cloud as a peer) and the fold of each entity, computed with
 * the same shared models the edge uses.
 */
import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { SqliteAccountStore, type AccountStore } from './accounts.ts';
import { newCode, opId, OpLog, presenceIsStale, type EntityBase, type FieldCipher, openOp, parseStoredState, type Model, type Op, type OpDraft, type OpLogLogger, type OpRow, opFromRow, opDraftProblem, type PresenceMessage, type SyncEvent } from '@cunbox/shared';
import { VillageOpLogStorage } from './op-log-storage.ts';
import { Statements } from './statements.ts';
import { hashEdgeSecret } from './edge-secret.ts';
import { SqliteAuditStore, type AuditStore } from './audit.ts';
import { openCloudDatabase, type CloudDb } from './database.ts';

export interface Village {
  id: number;
  name: string;
  /** The cloud's node id in this village's op log. */
  node: string;
}

export interface EdgeRecord {
  edgeId: string;
  villageId: number;
  /** The edge's op-log node id, learned from its first hello. */
  node: string | null;
  online: boolean;
  /** The `at` of the presence `online` came from (0: none yet). */
  presenceAt: number;
}

/** A village as the operator lists it. */
export interface VillageSummary extends Village {
  createdAt: number;
  /** Edges paired into it. */
  edges: number;
}

/** A paired edge as the operator sees it (`cunbox-cloud edges`). */
export interface EdgeSummary {
  edgeId: string;
  villageId: number;
  villageName: string;
  online: boolean;
  /** When `online` last changed, by the edge's clock (0: no presence yet). */
  presenceAt: number;
  pairedAt: number;
  /** Ops of the edge committed here (its highest contiguous seq). */
  opsCommitted: number;
  /** The cloud's ops of this village the edge has not acked yet: how far it lags behind. */
  downPending: number;
  /** When the operator unpaired it (null: paired). Its data stays; its logins are refused. */
  revokedAt: number | null;
}

export interface PeerMarks {
  /** Highest contiguous seq of the edge's ops committed here. */
  opsCommitted: number;
  /** Highest event id committed here. */
  eventsCommitted: number;
  /** Highest contiguous seq of our ops the edge said it committed. */
  downAcked: number;
}

export interface DeadLetter {
  id: number;
  at: number;
  topic: string;
  edgeId: string | null;
  reason: string;
  bytes: number;
}

export interface DeadLetterInput {
  topic: string;
  edgeId: string | null;
  reason: string;
  payload: Uint8Array;
  /** The received size when `payload` is a stand-in (a secret-bearing message is not kept). */
  bytes?: number;
  at: number;
}

/** Dead letters kept per edge: the newest; older ones only count (a paired edge can send garbage without end). */
export const DEAD_LETTERS_PER_EDGE = 1000;

/** Where a page of a list ends: the last entity's creation time and id (the list's order). */
export interface ListCursor {
  createdAt: number;
  id: string;
}

/** What the downlink holds for one edge (CloudStore.downlinkHeads). */
export interface DownlinkHead {
  edgeId: string;
  ops: number;
  audit: number;
}

export interface CloudStore {
  createVillage(name: string): Village;
  village(id: number): Village | undefined;
  /** Every village, oldest first, with how many edges it has. */
  villages(): VillageSummary[];
  /** Paired edges (of one village, or all), by village then pairing time. */
  edges(villageId?: number): EdgeSummary[];
  /** A one-time pairing code for the village; only its hash is stored. */
  createPairCode(villageId: number, ttlMs: number): string;
  /** Uses up the code and registers a new edge with a fresh password; undefined if unknown, used or expired. */
  redeemPairCode(code: string): { edge: EdgeRecord; password: string } | undefined;
  edge(edgeId: string): EdgeRecord | undefined;
  /** The edge's stored scrypt hash, only for checking its password (edge-auth.ts); undefined once revoked. */
  edgePasswordHash(edgeId: string): string | undefined;
  /** Stores `next` (the same secret, hashed in the current format) if the edge's hash is still `old`; false otherwise. */
  replaceEdgePasswordHash(edgeId: string, old: string, next: string): boolean;
  /** Unpairs the edge: it can no longer log in (its data stays). False if unknown or already revoked. */
  revokeEdge(edgeId: string): boolean;
  /** For an external Mosquitto (mosquitto-files.ts): each paired, unrevoked edge's hash in Mosquitto's format. */
  brokerHashes(): Array<{ edgeId: string; hash: string }>;
  edgesWithoutBrokerHash(): string[];
  adoptBrokerHash(edgeId: string, hash: string): void;
  setEdgeNode(edgeId: string, node: string): void;
  /** Keeps the edge's presence unless it is older than the one held (presenceIsStale); true if kept. */
  setPresence(edgeId: string, presence: Pick<PresenceMessage, 'online' | 'at'>): boolean;
  marks(edgeId: string): PeerMarks;
  /** Stores the edge's ops (duplicates skipped), folds them; returns the new committed watermark. All in one transaction. */
  ingestEdgeOps(edge: EdgeRecord, ops: readonly Op[]): { applied: number; duplicates: number; skewed: number; committed: number };
  /** Stores events if they continue the stream; returns the committed event watermark. */
  ingestEdgeEvents(edgeId: string, after: number, events: readonly SyncEvent[]): number;
  /** `exact`: the edge's hello says where it stands, even below what it acked before (its database was restored). */
  setDownAcked(edgeId: string, seq: number, exact?: boolean): void;
  /** Ops made by the cloud in this village: a peer's commit. */
  commit(villageId: number, actor: string, drafts: readonly OpDraft[]): Op[];
  opsAfter(villageId: number, origin: string, afterSeq: number, limit: number): Op[];
  /**
   * For each of these edges (unknown ones left out), the newest seq of what the
   * downlink carries to it: the cloud's own ops of its village and the
   * village's audit entries (0: none). One read for many edges, so a tick can
   * pump only the edges that are behind.
   */
  downlinkHeads(edgeIds: readonly string[]): DownlinkHead[];
  opCount(villageId: number, origin?: string): number;
  list<S extends EntityBase>(villageId: number, kind: string): S[];
  /**
   * The village's present entities of a kind, newest first, at most `limit`, after
   * `before` (the last one of the previous page): one index range, however many the
   * village holds (a phone's list at 10,000 tickets a village).
   */
  listPage<S extends EntityBase>(villageId: number, kind: string, limit: number, before?: ListCursor): S[];
  /** Every entity of the village, keyed kind/id, sorted: to compare with an edge. */
  snapshot(villageId: number): Record<string, EntityBase>;
  /**
   * Stores dead letters in one transaction, then keeps only the newest
   * DEAD_LETTERS_PER_EDGE of each edge; what goes (and `dropped`: letters the
   * caller let go before storing) is added to that edge's drop counter.
   */
  addDeadLetters(entries: readonly DeadLetterInput[], dropped?: ReadonlyMap<string | null, number>): void;
  /** Per edge (null: messages naming none): dead letters kept, and how many were dropped to stay under the cap. */
  deadLetterCounts(): Array<{ edgeId: string | null; kept: number; dropped: number }>;
  /** What was kept of a dead letter's payload (at most 64 KiB). */
  deadLetterPayload(id: number): Buffer | undefined;
  deadLetters(): DeadLetter[];
  eventCount(edgeId: string): number;
  /** The phone API's reads. One existing entity, or undefined. */
  entity<S extends EntityBase>(villageId: number, kind: string, id: string): S | undefined;
  /** Camera events of the village's edges, newest first. `cameras`: only these (undefined: all, events without a camera included). */
  events(villageId: number, filter: EventFilter): StoredEvent[];
  /** Village accounts synced from the edge, and phone sessions. */
  readonly accounts: AccountStore;
  /** What phone users did that is audited; sent down to the village's edge (audit.ts). */
  readonly audit: AuditStore;
  close(): void;
}

export interface EventFilter {
  cameras?: ReadonlySet<number>;
  cameraId?: number;
  /** One event, by the id its edge gave it. */
  id?: number;
  type?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface StoredEvent {
  edgeId: string;
  id: number;
  cameraId: number | null;
  type: string;
  atMs: number;
  detail: Record<string, unknown>;
}

/** Dead letters keep at most this much of a payload (an oversized one is what got it here). */
const DEAD_LETTER_KEEP = 64 * 1024;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');


/** An `events` row as both stores read it. */
export interface EventRow {
  edge_id: string;
  event_id: number;
  camera_id: number | null;
  type: string;
  at_ms: number;
  detail: string;
}

export const storedEventFromRow = (r: EventRow): StoredEvent => ({ edgeId: r.edge_id, id: r.event_id, cameraId: r.camera_id, type: r.type, atMs: r.at_ms, detail: JSON.parse(r.detail) as Record<string, unknown> });

export interface CloudStoreOptions {
  models: readonly Model[];
  now?: () => number;
  cipher?: FieldCipher;
  brokerHash?: (password: string) => string;
  log?: OpLogLogger;
}

/**
 * Several cloud processes may share one cloud.db (docs/design/cloud-workers.md). Every write
 * transaction that reads first begins IMMEDIATE: it takes the write lock before its first
 * read and waits for it (busy_timeout). A plain BEGIN would read a snapshot, and if another
 * process committed before our first write, SQLite refuses the write at once (SQLITE_BUSY,
 * no waiting): the message would be dead-lettered and resent after a stall.
 */
export class SqliteCloudStore implements CloudStore {
  readonly #db: Database.Database;
  #ownsDb: boolean;
  readonly #statements: Statements;
  readonly #now: () => number;
  readonly #models: ReadonlyMap<string, Model>;
  readonly accounts: SqliteAccountStore;
  readonly audit: SqliteAuditStore;
  /** Each village's op log, made on first use. */
  readonly #logs = new Map<number, OpLog>();
  readonly #log: OpLogLogger | undefined;

  readonly #cipher: FieldCipher | undefined;

  readonly #brokerHash: ((password: string) => string) | undefined;

  /**
   * `cipher`: encrypts sensitive fields at rest (docs/design/privacy.md); the Cloud root always passes one.
   * `brokerHash`: an external broker's hash of a new edge password, stored in the pairing's transaction.
   * `log`: told of ops whose clock is too far ahead to adopt, and of ops of an unknown kind.
   * `db`: the process's one connection to cloud.db (database.ts), opened by the caller, who closes it.
   */
  constructor(opts: CloudStoreOptions & { db: CloudDb }) {
    this.#log = opts.log;
    this.#cipher = opts.cipher;
    this.#brokerHash = opts.brokerHash;
    this.#ownsDb = false;
    this.#db = opts.db;
    this.#statements = new Statements(this.#db);
    this.#now = opts.now ?? Date.now;
    this.#models = new Map(opts.models.map((m) => [m.kind, m]));
    this.accounts = new SqliteAccountStore(this.#db, this.#now);
    this.audit = new SqliteAuditStore(this.#db);
  }

  /** A store on a database of its own (tests, tools): opens `file`, and close() closes it. */
  static open(opts: CloudStoreOptions & { file: string }): SqliteCloudStore {
    const { file, ...rest } = opts;
    const store = new SqliteCloudStore({ ...rest, db: openCloudDatabase(file) });
    store.#ownsDb = true;
    return store;
  }

  #sql(sql: string): Database.Statement {
    return this.#statements.sql(sql);
  }

  close(): void {
    if (this.#ownsDb) this.#db.close();
  }

  createVillage(name: string): Village {
    const node = randomBytes(8).toString('hex');
    const info = this.#sql('INSERT INTO villages (name, node, created_at) VALUES (?, ?, ?)').run(name, node, this.#now());
    return { id: Number(info.lastInsertRowid), name, node };
  }

  village(id: number): Village | undefined {
    return this.#sql('SELECT id, name, node FROM villages WHERE id = ?').get(id) as Village | undefined;
  }

  villages(): VillageSummary[] {
    return this.#sql(
      `SELECT v.id, v.name, v.node, v.created_at AS createdAt, (SELECT count(*) FROM edges e WHERE e.village_id = v.id) AS edges FROM villages v ORDER BY v.id`,
    ).all() as VillageSummary[];
  }

  edges(villageId?: number): EdgeSummary[] {
    // next_seq - 1 is the village's last cloud op; down_acked what the edge confirmed of them.
    const rows = this.#sql(
      `SELECT e.edge_id AS edgeId, e.village_id AS villageId, v.name AS villageName, e.online, e.presence_at AS presenceAt, e.created_at AS pairedAt,
              e.ops_committed AS opsCommitted, max(0, v.next_seq - 1 - e.down_acked) AS downPending, e.revoked_at AS revokedAt
       FROM edges e JOIN villages v ON v.id = e.village_id WHERE @village IS NULL OR e.village_id = @village ORDER BY e.village_id, e.created_at, e.edge_id`,
    ).all({ village: villageId ?? null }) as Array<Omit<EdgeSummary, 'online'> & { online: number }>;
    return rows.map((r) => ({ ...r, online: r.online === 1 }));
  }

  createPairCode(villageId: number, ttlMs: number): string {
    if (!this.village(villageId)) throw new Error(`no village ${villageId}`);
    const code = newCode(10);
    this.#sql('INSERT INTO pair_codes (code_hash, village_id, expires_at) VALUES (?, ?, ?)').run(sha256(code), villageId, this.#now() + ttlMs);
    return code;
  }

  redeemPairCode(code: string): { edge: EdgeRecord; password: string } | undefined {
    return this.#db.transaction(() => {
      const now = this.#now();
      // The UPDATE is the check: a code is used at most once even with concurrent requests.
      const row = this.#sql('UPDATE pair_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING village_id')
        .get(now, sha256(code.trim().toUpperCase()), now) as { village_id: number } | undefined;
      if (!row) return undefined;
      const edgeId = randomBytes(8).toString('hex');
      const password = randomBytes(24).toString('base64url');
      this.#sql('INSERT INTO edges (edge_id, village_id, password_hash, created_at) VALUES (?, ?, ?, ?)').run(edgeId, row.village_id, hashEdgeSecret(password), now);
      if (this.#brokerHash) this.#sql('INSERT INTO edge_broker_hashes (edge_id, hash) VALUES (?, ?)').run(edgeId, this.#brokerHash(password));
      return { edge: { edgeId, villageId: row.village_id, node: null, online: false, presenceAt: 0 }, password };
    })();
  }

  edge(edgeId: string): EdgeRecord | undefined {
    const r = this.#sql('SELECT edge_id AS edgeId, village_id AS villageId, node, online, presence_at AS presenceAt FROM edges WHERE edge_id = ?').get(edgeId) as
      | (Omit<EdgeRecord, 'online'> & { online: number })
      | undefined;
    return r ? { ...r, online: r.online === 1 } : undefined;
  }

  edgePasswordHash(edgeId: string): string | undefined {
    return (this.#sql('SELECT password_hash FROM edges WHERE edge_id = ? AND revoked_at IS NULL').get(edgeId) as { password_hash: string } | undefined)?.password_hash;
  }

  replaceEdgePasswordHash(edgeId: string, old: string, next: string): boolean {
    return this.#sql('UPDATE edges SET password_hash = ? WHERE edge_id = ? AND password_hash = ? AND revoked_at IS NULL').run(next, edgeId, old).changes === 1;
  }

  revokeEdge(edgeId: string): boolean {
    return this.#db.transaction(() => {
      const changed = this.#sql('UPDATE edges SET revoked_at = ? WHERE edge_id = ? AND revoked_at IS NULL').run(this.#now(), edgeId).changes > 0;
      this.#sql('DELETE FROM edge_broker_hashes WHERE edge_id = ?').run(edgeId);
      return changed;
    })();
  }

  brokerHashes(): Array<{ edgeId: string; hash: string }> {
    return this.#sql('SELECT h.edge_id AS edgeId, h.hash FROM edge_broker_hashes h JOIN edges e ON e.edge_id = h.edge_id WHERE e.revoked_at IS NULL ORDER BY h.edge_id').all() as Array<{
      edgeId: string;
      hash: string;
    }>;
  }

  edgesWithoutBrokerHash(): string[] {
    return (this.#sql('SELECT edge_id FROM edges WHERE revoked_at IS NULL AND edge_id NOT IN (SELECT edge_id FROM edge_broker_hashes) ORDER BY edge_id').all() as Array<{ edge_id: string }>).map((r) => r.edge_id);
  }

  adoptBrokerHash(edgeId: string, hash: string): void {
    this.#sql('INSERT OR IGNORE INTO edge_broker_hashes (edge_id, hash) SELECT edge_id, ? FROM edges WHERE edge_id = ? AND revoked_at IS NULL').run(hash, edgeId);
  }

  setEdgeNode(edgeId: string, node: string): void {
    this.#sql('UPDATE edges SET node = ? WHERE edge_id = ?').run(node, edgeId);
  }

  setPresence(edgeId: string, presence: Pick<PresenceMessage, 'online' | 'at'>): boolean {
    // One transaction: with several cloud workers on this file, another may write the edge's presence between the read and the write.
    return this.#db.transaction(() => {
      const held = this.#sql('SELECT online, presence_at AS at FROM edges WHERE edge_id = ?').get(edgeId) as { online: number; at: number } | undefined;
      if (!held || presenceIsStale({ online: held.online === 1, at: held.at }, presence)) return false;
      this.#sql('UPDATE edges SET online = ?, presence_at = ? WHERE edge_id = ?').run(presence.online ? 1 : 0, presence.at, edgeId);
      return true;
    }).immediate();
  }

  marks(edgeId: string): PeerMarks {
    const r = this.#sql('SELECT ops_committed, events_committed, down_acked FROM edges WHERE edge_id = ?').get(edgeId) as
      | { ops_committed: number; events_committed: number; down_acked: number }
      | undefined;
    return { opsCommitted: r?.ops_committed ?? 0, eventsCommitted: r?.events_committed ?? 0, downAcked: r?.down_acked ?? 0 };
  }

  ingestEdgeOps(edge: EdgeRecord, ops: readonly Op[]): { applied: number; duplicates: number; skewed: number; committed: number } {
    return this.#db.transaction(() => {
      const r = this.#opLog(edge.villageId).ingest(ops);
      let committed = this.marks(edge.edgeId).opsCommitted;
      const has = this.#sql('SELECT 1 FROM ops WHERE village_id = ? AND id = ?');
      while (edge.node && has.get(edge.villageId, opId(edge.node, committed + 1))) committed++;
      this.#sql('UPDATE edges SET ops_committed = ? WHERE edge_id = ?').run(committed, edge.edgeId);
      return { applied: r.applied.length, duplicates: r.duplicates, skewed: r.skewed, committed };
    }).immediate();
  }

  ingestEdgeEvents(edgeId: string, after: number, events: readonly SyncEvent[]): number {
    return this.#db.transaction(() => {
      let committed = this.marks(edgeId).eventsCommitted;
      // A batch that starts past our watermark means one before it was lost: wait for the resend.
      if (after > committed) return committed;
      const insert = this.#sql('INSERT OR IGNORE INTO events (edge_id, event_id, camera_id, type, at_ms, detail) VALUES (?, ?, ?, ?, ?, ?)');
      for (const e of events) {
        insert.run(edgeId, e.id, e.cameraId, e.type, e.atMs, JSON.stringify(e.detail));
        committed = Math.max(committed, e.id);
      }
      this.#sql('UPDATE edges SET events_committed = ? WHERE edge_id = ?').run(committed, edgeId);
      return committed;
    }).immediate();
  }

  setDownAcked(edgeId: string, seq: number, exact = false): void {
    this.#sql(exact ? 'UPDATE edges SET down_acked = ? WHERE edge_id = ?' : 'UPDATE edges SET down_acked = max(down_acked, ?) WHERE edge_id = ?').run(seq, edgeId);
  }

  commit(villageId: number, actor: string, drafts: readonly OpDraft[]): Op[] {
    return this.#opLog(villageId).commit(actor, drafts);
  }

  opsAfter(villageId: number, origin: string, afterSeq: number, limit: number): Op[] {
    return (this.#sql('SELECT * FROM ops WHERE village_id = ? AND origin = ? AND seq > ? ORDER BY seq LIMIT ?').all(villageId, origin, afterSeq, limit) as OpRow[]).map((r) => this.#opFromRow(r));
  }

  downlinkHeads(edgeIds: readonly string[]): DownlinkHead[] {
    if (edgeIds.length === 0) return [];
    return this.#sql(
      `SELECT e.edge_id AS edgeId,
         coalesce((SELECT max(o.seq) FROM ops o WHERE o.village_id = e.village_id AND o.origin = v.node), 0) AS ops,
         coalesce((SELECT max(a.seq) FROM audit a WHERE a.village_id = e.village_id), 0) AS audit
       FROM edges e JOIN villages v ON v.id = e.village_id WHERE e.edge_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(edgeIds)) as DownlinkHead[];
  }

  opCount(villageId: number, origin?: string): number {
    const sql = origin ? 'SELECT count(*) AS n FROM ops WHERE village_id = ? AND origin = ?' : 'SELECT count(*) AS n FROM ops WHERE village_id = ?';
    return (this.#sql(sql).get(...(origin ? [villageId, origin] : [villageId])) as { n: number }).n;
  }

  list<S extends EntityBase>(villageId: number, kind: string): S[] {
    const rows = this.#sql('SELECT state FROM entities WHERE village_id = ? AND kind = ? AND present = 1 ORDER BY created_at DESC, id DESC').all(villageId, kind) as Array<{ state: string }>;
    return rows.map((r) => this.#parseState<S>(r.state));
  }

  listPage<S extends EntityBase>(villageId: number, kind: string, limit: number, before?: ListCursor): S[] {
    const rows = (
      before
        ? this.#sql('SELECT state FROM entities WHERE village_id = ? AND kind = ? AND present = 1 AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?').all(villageId, kind, before.createdAt, before.id, limit)
        : this.#sql('SELECT state FROM entities WHERE village_id = ? AND kind = ? AND present = 1 ORDER BY created_at DESC, id DESC LIMIT ?').all(villageId, kind, limit)
    ) as Array<{ state: string }>;
    return rows.map((r) => this.#parseState<S>(r.state));
  }

  snapshot(villageId: number): Record<string, EntityBase> {
    const rows = this.#sql('SELECT kind, id, state FROM entities WHERE village_id = ? ORDER BY kind, id').all(villageId) as Array<{ kind: string; id: string; state: string }>;
    return Object.fromEntries(rows.map((r) => [`${r.kind}/${r.id}`, this.#parseState(r.state)]));
  }

  addDeadLetters(entries: readonly DeadLetterInput[], dropped: ReadonlyMap<string | null, number> = new Map()): void {
    this.#db.transaction(() => {
      const insert = this.#sql('INSERT INTO dead_letters (at, topic, edge_id, reason, bytes, payload) VALUES (?, ?, ?, ?, ?, ?)');
      for (const e of entries) insert.run(e.at, e.topic.slice(0, 500), e.edgeId, e.reason, e.bytes ?? e.payload.byteLength, Buffer.from(e.payload.subarray(0, DEAD_LETTER_KEEP)));
      const count = this.#sql('INSERT INTO dead_letter_drops (edge_key, dropped, last_at) VALUES (?, ?, ?) ON CONFLICT (edge_key) DO UPDATE SET dropped = dropped + excluded.dropped, last_at = excluded.last_at');
      const trim = this.#sql('DELETE FROM dead_letters WHERE edge_id IS @edge AND id < (SELECT id FROM dead_letters WHERE edge_id IS @edge ORDER BY id DESC LIMIT 1 OFFSET @keep)');
      for (const edgeId of new Set([...entries.map((e) => e.edgeId), ...dropped.keys()])) {
        const n = (dropped.get(edgeId) ?? 0) + trim.run({ edge: edgeId, keep: DEAD_LETTERS_PER_EDGE - 1 }).changes;
        if (n > 0) count.run(edgeId ?? '', n, this.#now());
      }
    })();
  }

  deadLetterCounts(): Array<{ edgeId: string | null; kept: number; dropped: number }> {
    return this.#sql(
      `SELECT nullif(k.edge_key, '') AS edgeId, (SELECT count(*) FROM dead_letters d WHERE d.edge_id IS nullif(k.edge_key, '')) AS kept, coalesce(x.dropped, 0) AS dropped
       FROM (SELECT coalesce(edge_id, '') AS edge_key FROM dead_letters UNION SELECT edge_key FROM dead_letter_drops) k LEFT JOIN dead_letter_drops x ON x.edge_key = k.edge_key ORDER BY k.edge_key`,
    ).all() as Array<{ edgeId: string | null; kept: number; dropped: number }>;
  }

  deadLetterPayload(id: number): Buffer | undefined {
    return (this.#sql('SELECT payload FROM dead_letters WHERE id = ?').get(id) as { payload: Buffer } | undefined)?.payload;
  }

  deadLetters(): DeadLetter[] {
    return this.#sql('SELECT id, at, topic, edge_id AS edgeId, reason, bytes FROM dead_letters ORDER BY id').all() as DeadLetter[];
  }

  eventCount(edgeId: string): number {
    return (this.#sql('SELECT count(*) AS n FROM events WHERE edge_id = ?').get(edgeId) as { n: number }).n;
  }

  // — phone API reads —

  entity<S extends EntityBase>(villageId: number, kind: string, id: string): S | undefined {
    const r = this.#sql('SELECT state FROM entities WHERE village_id = ? AND kind = ? AND id = ? AND present = 1').get(villageId, kind, id) as { state: string } | undefined;
    return r ? this.#parseState<S>(r.state) : undefined;
  }

  events(villageId: number, f: EventFilter): StoredEvent[] {
    // One fixed statement: absent filters are NULL and match everything.
    const rows = this.#sql(
        `SELECT e.edge_id, e.event_id, e.camera_id, e.type, e.at_ms, e.detail FROM events e JOIN edges d ON d.edge_id = e.edge_id
         WHERE d.village_id = @village AND (@cameras IS NULL OR e.camera_id IN (SELECT value FROM json_each(@cameras))) AND (@camera IS NULL OR e.camera_id = @camera)
           AND (@id IS NULL OR e.event_id = @id) AND (@type IS NULL OR e.type = @type) AND (@since IS NULL OR e.at_ms >= @since) AND (@until IS NULL OR e.at_ms < @until)
         ORDER BY e.at_ms DESC, e.event_id DESC LIMIT @limit`,
      ).all({ village: villageId, cameras: f.cameras ? JSON.stringify([...f.cameras]) : null, camera: f.cameraId ?? null, id: f.id ?? null, type: f.type ?? null, since: f.since ?? null, until: f.until ?? null, limit: f.limit }) as EventRow[];
    return rows.map(storedEventFromRow);
  }

  /** The village's op log; throws for a village that does not exist. */
  #opLog(villageId: number): OpLog {
    let log = this.#logs.get(villageId);
    if (!log) {
      const v = this.village(villageId);
      if (!v) throw new Error(`no village ${villageId}`);
      log = new OpLog({
        storage: new VillageOpLogStorage({ db: this.#db, statements: this.#statements, villageId, cipher: this.#cipher }),
        node: v.node,
        now: this.#now,
        models: this.#models.values(),
        log: this.#log,
        draftProblem: opDraftProblem,
      });
      this.#logs.set(villageId, log);
    }
    return log;
  }

  #opFromRow(row: OpRow): Op {
    return openOp(this.#cipher, opFromRow(row));
  }

  #parseState<S extends EntityBase>(text: string): S {
    return parseStoredState<S>(this.#cipher, text);
  }
}
