/**
 * The cloud store on PostgreSQL: the same tables and the same answers as the
 * SQLite store (../store.ts), for several workers over one database. Writes
 * into a village's op log run as a unit of work under the village's row lock
 * (village-unit.ts); everything else is one statement or one short
 * transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import { newCode, opDraftProblem, opFromRow, openOp, OpLog, parseStoredState, presenceIsStale, type EntityBase, type FieldCipher, type Model, type Op, type OpDraft, type OpLogLogger, type OpRow, type PresenceMessage, type SyncEvent } from '@cunbox/shared';
import { DEAD_LETTERS_PER_EDGE, type CloudStoreOptions, type DeadLetter, type DeadLetterInput, type DownlinkHead, type ListCursor, type EdgeRecord, type EdgeSummary, type EventFilter, type EventRow, storedEventFromRow, type PeerMarks, type StoredEvent, type Village, type VillageSummary } from '../store.ts';
import type { AsyncCloudStore } from '../store-async.ts';
import { hashEdgeSecret } from '../edge-secret.ts';
import { inTransaction, type PgClient, type PgPool } from './database.ts';
import { closeVillageUnit, openVillageUnit, type OverlayOpLogStorage, type VillageRow } from './village-unit.ts';
import { PgAccountStore } from './accounts.ts';
import { PgAuditStore } from './audit.ts';
import type pg from 'pg';

/** Dead letters keep at most this much of a payload (an oversized one is what got it here). */
const DEAD_LETTER_KEEP = 64 * 1024;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export class PgCloudStore implements AsyncCloudStore {
  readonly #pool: PgPool;
  readonly #now: () => number;
  readonly #models: readonly Model[];
  readonly #cipher: FieldCipher | undefined;
  readonly #brokerHash: ((password: string) => string) | undefined;
  readonly #log: OpLogLogger | undefined;
  readonly accounts: PgAccountStore;
  readonly audit: PgAuditStore;

  /** `pool`: opened and migrated by the caller (openPgDatabase), who ends it. The constructor does no I/O. */
  constructor(opts: CloudStoreOptions & { pool: PgPool }) {
    this.#pool = opts.pool;
    this.#now = opts.now ?? Date.now;
    this.#models = opts.models;
    this.#cipher = opts.cipher;
    this.#brokerHash = opts.brokerHash;
    this.#log = opts.log;
    this.accounts = new PgAccountStore(this.#pool, this.#now);
    this.audit = new PgAuditStore(this.#pool);
  }

  /** The pool is the caller's. */
  async close(): Promise<void> {}

  async #rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], c: PgClient = this.#pool): Promise<R[]> {
    return (await c.query<R>(sql, params)).rows;
  }

  async #row<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], c: PgClient = this.#pool): Promise<R | undefined> {
    return (await c.query<R>(sql, params)).rows[0];
  }

  async createVillage(name: string): Promise<Village> {
    const node = randomBytes(8).toString('hex');
    const r = await this.#row<{ id: number }>('INSERT INTO villages (name, node, created_at) VALUES ($1, $2, $3) RETURNING id', [name, node, this.#now()]);
    return { id: r!.id, name, node };
  }

  async village(id: number): Promise<Village | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    return this.#row<Village>('SELECT id, name, node FROM villages WHERE id = $1', [id]);
  }

  async villages(): Promise<VillageSummary[]> {
    return this.#rows<VillageSummary>(
      'SELECT v.id, v.name, v.node, v.created_at AS "createdAt", (SELECT count(*) FROM edges e WHERE e.village_id = v.id) AS edges FROM villages v ORDER BY v.id',
    );
  }

  async edges(villageId?: number): Promise<EdgeSummary[]> {
    // next_seq - 1 is the village's last cloud op; down_acked what the edge confirmed of them.
    return this.#rows<EdgeSummary>(
      `SELECT e.edge_id AS "edgeId", e.village_id AS "villageId", v.name AS "villageName", e.online, e.presence_at AS "presenceAt", e.created_at AS "pairedAt",
              e.ops_committed AS "opsCommitted", greatest(0, v.next_seq - 1 - e.down_acked) AS "downPending", e.revoked_at AS "revokedAt"
       FROM edges e JOIN villages v ON v.id = e.village_id WHERE $1::bigint IS NULL OR e.village_id = $1 ORDER BY e.village_id, e.created_at, e.edge_id`,
      [villageId ?? null],
    );
  }

  async createPairCode(villageId: number, ttlMs: number): Promise<string> {
    if (!(await this.village(villageId))) throw new Error(`no village ${villageId}`);
    const code = newCode(10);
    await this.#pool.query('INSERT INTO pair_codes (code_hash, village_id, expires_at) VALUES ($1, $2, $3)', [sha256(code), villageId, this.#now() + ttlMs]);
    return code;
  }

  async redeemPairCode(code: string): Promise<{ edge: EdgeRecord; password: string } | undefined> {
    return inTransaction(this.#pool, async (c) => {
      const now = this.#now();
      // The UPDATE is the check: a code is used at most once even with concurrent requests (the row lock orders them).
      const row = await this.#row<{ village_id: number }>(
        'UPDATE pair_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING village_id',
        [now, sha256(code.trim().toUpperCase())],
        c,
      );
      if (!row) return undefined;
      const edgeId = randomBytes(8).toString('hex');
      const password = randomBytes(24).toString('base64url');
      await c.query('INSERT INTO edges (edge_id, village_id, password_hash, created_at) VALUES ($1, $2, $3, $4)', [edgeId, row.village_id, hashEdgeSecret(password), now]);
      if (this.#brokerHash) await c.query('INSERT INTO edge_broker_hashes (edge_id, hash) VALUES ($1, $2)', [edgeId, this.#brokerHash(password)]);
      return { edge: { edgeId, villageId: row.village_id, node: null, online: false, presenceAt: 0 }, password };
    });
  }

  async edge(edgeId: string): Promise<EdgeRecord | undefined> {
    return this.#row<EdgeRecord>('SELECT edge_id AS "edgeId", village_id AS "villageId", node, online, presence_at AS "presenceAt" FROM edges WHERE edge_id = $1', [edgeId]);
  }

  async edgePasswordHash(edgeId: string): Promise<string | undefined> {
    return (await this.#row<{ password_hash: string }>('SELECT password_hash FROM edges WHERE edge_id = $1 AND revoked_at IS NULL', [edgeId]))?.password_hash;
  }

  async replaceEdgePasswordHash(edgeId: string, old: string, next: string): Promise<boolean> {
    return (await this.#pool.query('UPDATE edges SET password_hash = $1 WHERE edge_id = $2 AND password_hash = $3 AND revoked_at IS NULL', [next, edgeId, old])).rowCount === 1;
  }

  async revokeEdge(edgeId: string): Promise<boolean> {
    return inTransaction(this.#pool, async (c) => {
      const changed = ((await c.query('UPDATE edges SET revoked_at = $1 WHERE edge_id = $2 AND revoked_at IS NULL', [this.#now(), edgeId])).rowCount ?? 0) > 0;
      await c.query('DELETE FROM edge_broker_hashes WHERE edge_id = $1', [edgeId]);
      return changed;
    });
  }

  async brokerHashes(): Promise<Array<{ edgeId: string; hash: string }>> {
    return this.#rows('SELECT h.edge_id AS "edgeId", h.hash FROM edge_broker_hashes h JOIN edges e ON e.edge_id = h.edge_id WHERE e.revoked_at IS NULL ORDER BY h.edge_id');
  }

  async edgesWithoutBrokerHash(): Promise<string[]> {
    return (await this.#rows<{ edge_id: string }>('SELECT edge_id FROM edges WHERE revoked_at IS NULL AND edge_id NOT IN (SELECT edge_id FROM edge_broker_hashes) ORDER BY edge_id')).map((r) => r.edge_id);
  }

  async adoptBrokerHash(edgeId: string, hash: string): Promise<void> {
    await this.#pool.query('INSERT INTO edge_broker_hashes (edge_id, hash) SELECT edge_id, $1 FROM edges WHERE edge_id = $2 AND revoked_at IS NULL ON CONFLICT DO NOTHING', [hash, edgeId]);
  }

  async setEdgeNode(edgeId: string, node: string): Promise<void> {
    await this.#pool.query('UPDATE edges SET node = $1 WHERE edge_id = $2', [node, edgeId]);
  }

  async setPresence(edgeId: string, presence: Pick<PresenceMessage, 'online' | 'at'>): Promise<boolean> {
    return inTransaction(this.#pool, async (c) => {
      // Locked: two workers handling two presences of one edge keep the newer, whichever commits last.
      const held = await this.#row<{ online: boolean; at: number }>('SELECT online, presence_at AS at FROM edges WHERE edge_id = $1 FOR UPDATE', [edgeId], c);
      if (!held || presenceIsStale(held, presence)) return false;
      await c.query('UPDATE edges SET online = $1, presence_at = $2 WHERE edge_id = $3', [presence.online, presence.at, edgeId]);
      return true;
    });
  }

  async marks(edgeId: string, c: PgClient = this.#pool): Promise<PeerMarks> {
    const r = await this.#row<{ ops_committed: number; events_committed: number; down_acked: number }>('SELECT ops_committed, events_committed, down_acked FROM edges WHERE edge_id = $1', [edgeId], c);
    return { opsCommitted: r?.ops_committed ?? 0, eventsCommitted: r?.events_committed ?? 0, downAcked: r?.down_acked ?? 0 };
  }

  async ingestEdgeOps(edge: EdgeRecord, ops: readonly Op[]): Promise<{ applied: number; duplicates: number; skewed: number; committed: number }> {
    return inTransaction(this.#pool, async (c) => {
      const need = { opIds: ops.map((o) => (typeof o?.id === 'string' ? o.id : '')), entities: ops.filter((o) => typeof o?.entityKind === 'string' && typeof o.entityId === 'string').map((o) => ({ kind: o.entityKind, id: o.entityId })) };
      const r = await this.#inVillage(c, edge.villageId, need, (log) => log.ingest(ops));
      // The edge's contiguous run of committed ops, from where it stood (edges of one village queue on its lock).
      let committed = (await this.marks(edge.edgeId, c)).opsCommitted;
      if (edge.node) {
        for (;;) {
          const seqs = await this.#rows<{ seq: number }>('SELECT seq FROM ops WHERE village_id = $1 AND origin = $2 AND seq > $3 ORDER BY seq LIMIT 1000', [edge.villageId, edge.node, committed], c);
          let advanced = 0;
          for (const { seq } of seqs) {
            if (seq !== committed + 1) break;
            committed = seq;
            advanced++;
          }
          if (advanced < 1000) break;
        }
      }
      await c.query('UPDATE edges SET ops_committed = $1 WHERE edge_id = $2', [committed, edge.edgeId]);
      return { applied: r.applied.length, duplicates: r.duplicates, skewed: r.skewed, committed };
    });
  }

  async ingestEdgeEvents(edgeId: string, after: number, events: readonly SyncEvent[]): Promise<number> {
    return inTransaction(this.#pool, async (c) => {
      const row = await this.#row<{ events_committed: number }>('SELECT events_committed FROM edges WHERE edge_id = $1 FOR UPDATE', [edgeId], c);
      let committed = row?.events_committed ?? 0;
      // A batch that starts past our watermark means one before it was lost: wait for the resend.
      if (after > committed) return committed;
      if (events.length > 0) {
        await c.query(
          `INSERT INTO events (edge_id, event_id, camera_id, type, at_ms, detail)
           SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) ON CONFLICT DO NOTHING`,
          [edgeId, events.map((e) => e.id), events.map((e) => e.cameraId), events.map((e) => e.type), events.map((e) => e.atMs), events.map((e) => JSON.stringify(e.detail))],
        );
        committed = Math.max(committed, ...events.map((e) => e.id));
      }
      await c.query('UPDATE edges SET events_committed = $1 WHERE edge_id = $2', [committed, edgeId]);
      return committed;
    });
  }

  async setDownAcked(edgeId: string, seq: number, exact = false): Promise<void> {
    await this.#pool.query(exact ? 'UPDATE edges SET down_acked = $1 WHERE edge_id = $2' : 'UPDATE edges SET down_acked = greatest(down_acked, $1) WHERE edge_id = $2', [seq, edgeId]);
  }

  async commit(villageId: number, actor: string, drafts: readonly OpDraft[]): Promise<Op[]> {
    return inTransaction(this.#pool, (c) => this.#inVillage(c, villageId, { opIds: [], entities: drafts.map((d) => ({ kind: d.entityKind, id: d.entityId })) }, (log) => log.commit(actor, drafts)));
  }

  async opsAfter(villageId: number, origin: string, afterSeq: number, limit: number): Promise<Op[]> {
    const rows = await this.#rows<OpRow>('SELECT * FROM ops WHERE village_id = $1 AND origin = $2 AND seq > $3 ORDER BY seq LIMIT $4', [villageId, origin, afterSeq, limit]);
    return rows.map((r) => openOp(this.#cipher, opFromRow(r)));
  }

  async downlinkHeads(edgeIds: readonly string[]): Promise<DownlinkHead[]> {
    if (edgeIds.length === 0) return [];
    return this.#rows<DownlinkHead>(
      `SELECT e.edge_id AS "edgeId",
         coalesce((SELECT max(o.seq) FROM ops o WHERE o.village_id = e.village_id AND o.origin = v.node), 0) AS ops,
         coalesce((SELECT max(a.seq) FROM audit a WHERE a.village_id = e.village_id), 0) AS audit
       FROM edges e JOIN villages v ON v.id = e.village_id WHERE e.edge_id = ANY($1::text[])`,
      [[...edgeIds]],
    );
  }

  async opCount(villageId: number, origin?: string): Promise<number> {
    const r = await this.#row<{ n: number }>('SELECT count(*) AS n FROM ops WHERE village_id = $1 AND ($2::text IS NULL OR origin = $2)', [villageId, origin || null]);
    return r!.n;
  }

  async list<S extends EntityBase>(villageId: number, kind: string): Promise<S[]> {
    const rows = await this.#rows<{ state: string }>('SELECT state FROM entities WHERE village_id = $1 AND kind = $2 AND present ORDER BY created_at DESC, id DESC', [villageId, kind]);
    return rows.map((r) => parseStoredState<S>(this.#cipher, r.state));
  }

  async listPage<S extends EntityBase>(villageId: number, kind: string, limit: number, before?: ListCursor): Promise<S[]> {
    const rows = before
      ? await this.#rows<{ state: string }>('SELECT state FROM entities WHERE village_id = $1 AND kind = $2 AND present AND (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $5', [villageId, kind, before.createdAt, before.id, limit])
      : await this.#rows<{ state: string }>('SELECT state FROM entities WHERE village_id = $1 AND kind = $2 AND present ORDER BY created_at DESC, id DESC LIMIT $3', [villageId, kind, limit]);
    return rows.map((r) => parseStoredState<S>(this.#cipher, r.state));
  }

  async snapshot(villageId: number): Promise<Record<string, EntityBase>> {
    // COLLATE "C": the byte order SQLite sorts by, so both stores list alike.
    const rows = await this.#rows<{ kind: string; id: string; state: string }>('SELECT kind, id, state FROM entities WHERE village_id = $1 ORDER BY kind COLLATE "C", id COLLATE "C"', [villageId]);
    return Object.fromEntries(rows.map((r) => [`${r.kind}/${r.id}`, parseStoredState(this.#cipher, r.state)]));
  }

  async addDeadLetters(entries: readonly DeadLetterInput[], dropped: ReadonlyMap<string | null, number> = new Map()): Promise<void> {
    await inTransaction(this.#pool, async (c) => {
      for (const e of entries) {
        await c.query('INSERT INTO dead_letters (at, topic, edge_id, reason, bytes, payload) VALUES ($1, $2, $3, $4, $5, $6)', [
          e.at,
          e.topic.slice(0, 500),
          e.edgeId,
          e.reason,
          e.bytes ?? e.payload.byteLength,
          Buffer.from(e.payload.subarray(0, DEAD_LETTER_KEEP)),
        ]);
      }
      for (const edgeId of new Set([...entries.map((e) => e.edgeId), ...dropped.keys()])) {
        const trimmed = await c.query(
          `DELETE FROM dead_letters WHERE edge_id IS NOT DISTINCT FROM $1
             AND id < (SELECT id FROM dead_letters WHERE edge_id IS NOT DISTINCT FROM $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
          [edgeId, DEAD_LETTERS_PER_EDGE - 1],
        );
        const n = (dropped.get(edgeId) ?? 0) + (trimmed.rowCount ?? 0);
        if (n > 0) {
          await c.query(
            'INSERT INTO dead_letter_drops (edge_key, dropped, last_at) VALUES ($1, $2, $3) ON CONFLICT (edge_key) DO UPDATE SET dropped = dead_letter_drops.dropped + excluded.dropped, last_at = excluded.last_at',
            [edgeId ?? '', n, this.#now()],
          );
        }
      }
    });
  }

  async deadLetterCounts(): Promise<Array<{ edgeId: string | null; kept: number; dropped: number }>> {
    return this.#rows(
      `SELECT nullif(k.edge_key, '') AS "edgeId", (SELECT count(*) FROM dead_letters d WHERE d.edge_id IS NOT DISTINCT FROM nullif(k.edge_key, '')) AS kept, coalesce(x.dropped, 0) AS dropped
       FROM (SELECT coalesce(edge_id, '') AS edge_key FROM dead_letters UNION SELECT edge_key FROM dead_letter_drops) k LEFT JOIN dead_letter_drops x ON x.edge_key = k.edge_key
       ORDER BY k.edge_key COLLATE "C"`,
    );
  }

  async deadLetterPayload(id: number): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    return (await this.#row<{ payload: Buffer }>('SELECT payload FROM dead_letters WHERE id = $1', [id]))?.payload;
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return this.#rows<DeadLetter>('SELECT id, at, topic, edge_id AS "edgeId", reason, bytes FROM dead_letters ORDER BY id');
  }

  async eventCount(edgeId: string): Promise<number> {
    return (await this.#row<{ n: number }>('SELECT count(*) AS n FROM events WHERE edge_id = $1', [edgeId]))!.n;
  }

  async entity<S extends EntityBase>(villageId: number, kind: string, id: string): Promise<S | undefined> {
    const r = await this.#row<{ state: string }>('SELECT state FROM entities WHERE village_id = $1 AND kind = $2 AND id = $3 AND present', [villageId, kind, id]);
    return r ? parseStoredState<S>(this.#cipher, r.state) : undefined;
  }

  async events(villageId: number, f: EventFilter): Promise<StoredEvent[]> {
    // One fixed statement: absent filters are NULL and match everything.
    const rows = await this.#rows<EventRow>(
      `SELECT e.edge_id, e.event_id, e.camera_id, e.type, e.at_ms, e.detail FROM events e JOIN edges d ON d.edge_id = e.edge_id
       WHERE d.village_id = $1 AND ($2::bigint[] IS NULL OR e.camera_id = ANY($2)) AND ($3::bigint IS NULL OR e.camera_id = $3)
         AND ($4::text IS NULL OR e.type = $4) AND ($5::bigint IS NULL OR e.at_ms >= $5) AND ($6::bigint IS NULL OR e.at_ms < $6)
         AND ($8::bigint IS NULL OR e.event_id = $8)
       ORDER BY e.at_ms DESC, e.event_id DESC LIMIT $7`,
      [villageId, f.cameras ? [...f.cameras] : null, f.cameraId ?? null, f.type ?? null, f.since ?? null, f.until ?? null, f.limit, f.id ?? null],
    );
    return rows.map(storedEventFromRow);
  }

  /**
   * Runs the village's op log over a unit of work (village-unit.ts) in `c`'s
   * transaction: the op log is made afresh each time, its clock read from
   * the locked row, so a worker never runs on a clock another one moved on.
   */
  async #inVillage<T>(c: pg.PoolClient, villageId: number, need: Parameters<typeof openVillageUnit>[2], run: (log: OpLog) => T): Promise<T> {
    const unit = await openVillageUnit(c, villageId, need, this.#cipher);
    if (!unit) throw new Error(`no village ${villageId}`);
    const out = run(this.#opLog(unit.village, unit.storage));
    await closeVillageUnit(c, villageId, unit.storage, this.#cipher);
    return out;
  }

  #opLog(village: VillageRow, storage: OverlayOpLogStorage): OpLog {
    return new OpLog({ storage, node: village.node, now: this.#now, models: this.#models, log: this.#log, draftProblem: opDraftProblem });
  }
}
