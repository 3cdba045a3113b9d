import type Database from 'better-sqlite3';
import { openOp, opFromRow, parseStoredState, type EntityBase, type FieldCipher, type Op, type OpLogStorage, type OpRow } from '@cunbox/shared';
import type { Statements } from './statements.ts';

/**
 * One village's op log in the cloud's shared tables: every row of `ops` and
 * `entities` carries the village id, and the village's row in `villages`
 * holds the cloud's clock and next seq in that village. Sensitive fields are
 * sealed on the way in and opened on the way out.
 */
export class VillageOpLogStorage implements OpLogStorage {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #village: number;
  readonly #cipher: FieldCipher | undefined;

  constructor(deps: { db: Database.Database; statements: Statements; villageId: number; cipher?: FieldCipher }) {
    this.#db = deps.db;
    this.#statements = deps.statements;
    this.#village = deps.villageId;
    this.#cipher = deps.cipher;
  }

  transaction<T>(fn: () => T): T {
    // IMMEDIATE: the write lock is taken before the first read (see SqliteCloudStore's note on several processes).
    return this.#db.transaction(fn).immediate();
  }

  storedOp(id: string): Pick<Op, 'hlc' | 'entityId' | 'type'> | undefined {
    return this.#sql('SELECT hlc, entity_id AS entityId, type FROM ops WHERE village_id = ? AND id = ?').get(this.#village, id) as Pick<Op, 'hlc' | 'entityId' | 'type'> | undefined;
  }

  appendOp(op: Op): void {
    const payload = this.#cipher ? this.#cipher.sealPayload(op.entityKind, op.payload) : op.payload;
    this.#sql('INSERT INTO ops (village_id, id, origin, seq, hlc, actor, entity_kind, entity_id, type, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(this.#village, op.id, op.origin, op.seq, op.hlc, op.actor, op.entityKind, op.entityId, op.type, JSON.stringify(payload));
  }

  entityOps(kind: string, id: string): Op[] {
    const rows = this.#sql('SELECT * FROM ops WHERE village_id = ? AND entity_kind = ? AND entity_id = ? ORDER BY hlc, id').all(this.#village, kind, id) as OpRow[];
    return rows.map((r) => openOp(this.#cipher, opFromRow(r)));
  }

  entityKeys(): Array<{ kind: string; id: string }> {
    return this.#sql('SELECT DISTINCT entity_kind AS kind, entity_id AS id FROM ops WHERE village_id = ?').all(this.#village) as Array<{ kind: string; id: string }>;
  }

  readState<S extends EntityBase>(kind: string, id: string): S | undefined {
    const row = this.#sql('SELECT state FROM entities WHERE village_id = ? AND kind = ? AND id = ?').get(this.#village, kind, id) as { state: string } | undefined;
    return row ? parseStoredState<S>(this.#cipher, row.state) : undefined;
  }

  writeState(state: EntityBase): void {
    this.#sql(
      `INSERT INTO entities (village_id, kind, id, present, created_at, state) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (village_id, kind, id) DO UPDATE SET present = excluded.present, created_at = excluded.created_at, state = excluded.state`,
    ).run(this.#village, state.kind, state.id, state.exists ? 1 : 0, state.createdAt, JSON.stringify(this.#cipher ? this.#cipher.sealState(state) : state));
  }

  takeSeq(): number {
    return (this.#sql('UPDATE villages SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq - 1 AS seq').get(this.#village) as { seq: number }).seq;
  }

  reserveSeqsThrough(seq: number): void {
    this.#sql('UPDATE villages SET next_seq = max(next_seq, ? + 1) WHERE id = ?').run(seq, this.#village);
  }

  loadHlc(): string | null {
    return (this.#sql('SELECT hlc FROM villages WHERE id = ?').get(this.#village) as { hlc: string | null } | undefined)?.hlc ?? null;
  }

  saveHlc(hlc: string): void {
    this.#sql('UPDATE villages SET hlc = ? WHERE id = ?').run(hlc, this.#village);
  }

  #sql(sql: string): Database.Statement {
    return this.#statements.sql(sql);
  }
}
