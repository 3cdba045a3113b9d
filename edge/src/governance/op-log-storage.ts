import { openOp, opFromRow, parseStoredState, type EntityBase, type FieldCipher, type Op, type OpLogStorage, type OpRow } from '@cunbox/shared';
import type { Db } from '../db/database.ts';

/**
 * The edge's op log in its own tables: `gov_ops` (every op, immutable),
 * `gov_entities` (the fold of each entity) and `gov_node` (node id, clock,
 * next seq). Sensitive fields are sealed on the way in and opened on the way
 * out, so `OpLog` only ever sees plain values.
 */
export class SqliteOpLogStorage implements OpLogStorage {
  readonly #db: Db;
  /** Wall clock (ms) for received_at. */
  readonly #now: () => number;
  readonly #cipher: FieldCipher | undefined;
  readonly #stmt;

  constructor(deps: { db: Db; now: () => number; cipher?: FieldCipher }) {
    this.#db = deps.db;
    this.#now = deps.now;
    this.#cipher = deps.cipher;
    // Preparing only compiles SQL against the schema; nothing is read here.
    this.#stmt = {
      insertOp: this.#db.prepare(
        `INSERT INTO gov_ops (id, origin, seq, hlc, actor, entity_kind, entity_id, type, payload, received_at)
         VALUES (@id, @origin, @seq, @hlc, @actor, @entityKind, @entityId, @type, @payload, @receivedAt)`,
      ),
      takeSeq: this.#db.prepare('UPDATE gov_node SET next_seq = next_seq + 1 WHERE singleton = 1 RETURNING next_seq - 1 AS seq'),
      reserveSeq: this.#db.prepare('UPDATE gov_node SET next_seq = max(next_seq, ? + 1) WHERE singleton = 1'),
      loadHlc: this.#db.prepare('SELECT hlc FROM gov_node WHERE singleton = 1'),
      saveHlc: this.#db.prepare('UPDATE gov_node SET hlc = ? WHERE singleton = 1'),
      storedOp: this.#db.prepare('SELECT hlc, entity_id AS entityId, type FROM gov_ops WHERE id = ?'),
      entityOps: this.#db.prepare('SELECT * FROM gov_ops WHERE entity_kind = ? AND entity_id = ? ORDER BY hlc, id'),
      entityKeys: this.#db.prepare('SELECT DISTINCT entity_kind AS kind, entity_id AS id FROM gov_ops'),
      getState: this.#db.prepare('SELECT state FROM gov_entities WHERE kind = ? AND id = ?'),
      putState: this.#db.prepare(
        `INSERT INTO gov_entities (kind, id, present, created_at, last_hlc, state) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET present = excluded.present, created_at = excluded.created_at, last_hlc = excluded.last_hlc, state = excluded.state`,
      ),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  storedOp(id: string): Pick<Op, 'hlc' | 'entityId' | 'type'> | undefined {
    return this.#stmt.storedOp.get(id) as Pick<Op, 'hlc' | 'entityId' | 'type'> | undefined;
  }

  appendOp(op: Op): void {
    const payload = this.#cipher ? this.#cipher.sealPayload(op.entityKind, op.payload) : op.payload;
    this.#stmt.insertOp.run({ ...op, payload: JSON.stringify(payload), receivedAt: this.#now() });
  }

  /** In fold order (HLC, then id): also the entity's history as shown. */
  entityOps(kind: string, id: string): Op[] {
    return (this.#stmt.entityOps.all(kind, id) as OpRow[]).map((r) => openOp(this.#cipher, opFromRow(r)));
  }

  entityKeys(): Array<{ kind: string; id: string }> {
    return this.#stmt.entityKeys.all() as Array<{ kind: string; id: string }>;
  }

  readState<S extends EntityBase>(kind: string, id: string): S | undefined {
    const row = this.#stmt.getState.get(kind, id) as { state: string } | undefined;
    return row ? parseStoredState<S>(this.#cipher, row.state) : undefined;
  }

  writeState(state: EntityBase): void {
    this.#stmt.putState.run(state.kind, state.id, state.exists ? 1 : 0, state.createdAt, state.lastHlc ?? '', JSON.stringify(this.#cipher ? this.#cipher.sealState(state) : state));
  }

  takeSeq(): number {
    return (this.#stmt.takeSeq.get() as { seq: number }).seq;
  }

  reserveSeqsThrough(seq: number): void {
    this.#stmt.reserveSeq.run(seq);
  }

  loadHlc(): string | null {
    return (this.#stmt.loadHlc.get() as { hlc: string | null }).hlc;
  }

  saveHlc(hlc: string): void {
    this.#stmt.saveHlc.run(hlc);
  }
}
