/**
 * One write into a village's op log on PostgreSQL, as a unit of work: the
 * shared `OpLog` is synchronous (the edge runs it over SQLite), so it cannot
 * wait on the network. Instead, in one transaction:
 *
 *   1. lock the village's row (SELECT … FOR UPDATE): writers of one village,
 *      in any worker, queue here, so seqs, the clock and dedupe stay exact;
 *   2. read what the op log will ask for: the village's next seq and clock,
 *      the stored ops with the incoming ids, and every op and state of the
 *      entities the ops or drafts name;
 *   3. run the op log over an in-memory storage holding just that;
 *   4. write what it appended and folded back, and the seq and clock.
 *
 * The overlay refuses a read it was not given (a future op-log rule that
 * reads more must say so here, not read stale nothing).
 */
import type pg from 'pg';
import { openOp, opFromRow, parseStoredState, type EntityBase, type FieldCipher, type Op, type OpLogStorage, type OpRow } from '@cunbox/shared';

type StoredOpKey = Pick<Op, 'hlc' | 'entityId' | 'type'>;
const keyOf = (kind: string, id: string): string => `${kind}\u0000${id}`;

/** What the op log may read in this unit, and what it wrote. */
export class OverlayOpLogStorage implements OpLogStorage {
  readonly #storedIds: Map<string, StoredOpKey | null>;
  readonly #entityOps: Map<string, Op[]>;
  readonly #states: Map<string, EntityBase | undefined>;
  #nextSeq: number;
  #hlc: string | null;
  readonly appended: Op[] = [];
  readonly written = new Map<string, EntityBase>();

  constructor(init: { nextSeq: number; hlc: string | null; ids: ReadonlyMap<string, StoredOpKey | null>; entityOps: ReadonlyMap<string, Op[]>; states: ReadonlyMap<string, EntityBase | undefined> }) {
    this.#nextSeq = init.nextSeq;
    this.#hlc = init.hlc;
    this.#storedIds = new Map(init.ids);
    this.#entityOps = new Map([...init.entityOps].map(([k, v]) => [k, [...v]]));
    this.#states = new Map(init.states);
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }
  get hlc(): string | null {
    return this.#hlc;
  }

  /** The caller's database transaction is the transaction: a throw discards this overlay and rolls that back. */
  transaction<T>(fn: () => T): T {
    return fn();
  }

  storedOp(id: string): StoredOpKey | undefined {
    if (!this.#storedIds.has(id)) throw new Error(`village unit: op ${id} was not read before the op log ran`);
    return this.#storedIds.get(id) ?? undefined;
  }

  appendOp(op: Op): void {
    this.appended.push(op);
    this.#storedIds.set(op.id, { hlc: op.hlc, entityId: op.entityId, type: op.type });
    this.#ops(op.entityKind, op.entityId).push(op);
  }

  entityOps(kind: string, id: string): Op[] {
    return [...this.#ops(kind, id)];
  }

  entityKeys(): Array<{ kind: string; id: string }> {
    throw new Error('village unit: a whole-village walk (refold, verify) does not run in a unit of work');
  }

  readState<S extends EntityBase>(kind: string, id: string): S | undefined {
    const key = keyOf(kind, id);
    if (!this.#states.has(key)) throw new Error(`village unit: ${kind}/${id} was not read before the op log ran`);
    return this.#states.get(key) as S | undefined;
  }

  writeState(state: EntityBase): void {
    const key = keyOf(state.kind, state.id);
    this.#states.set(key, state);
    this.written.set(key, state);
  }

  takeSeq(): number {
    return this.#nextSeq++;
  }

  reserveSeqsThrough(seq: number): void {
    this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
  }

  loadHlc(): string | null {
    return this.#hlc;
  }

  saveHlc(hlc: string): void {
    this.#hlc = hlc;
  }

  #ops(kind: string, id: string): Op[] {
    const list = this.#entityOps.get(keyOf(kind, id));
    if (!list) throw new Error(`village unit: ${kind}/${id} was not read before the op log ran`);
    return list;
  }
}

export interface VillageRow {
  id: number;
  node: string;
  next_seq: number;
  hlc: string | null;
}

/**
 * Locks the village and reads what the op log needs for these op ids and
 * entities; undefined when the village does not exist.
 */
export async function openVillageUnit(
  c: pg.PoolClient,
  villageId: number,
  need: { opIds: readonly string[]; entities: ReadonlyArray<{ kind: string; id: string }> },
  cipher: FieldCipher | undefined,
): Promise<{ village: VillageRow; storage: OverlayOpLogStorage } | undefined> {
  const village = (await c.query<VillageRow>('SELECT id, node, next_seq, hlc FROM villages WHERE id = $1 FOR UPDATE', [villageId])).rows[0];
  if (!village) return undefined;
  const ids = new Map<string, StoredOpKey | null>(need.opIds.map((id) => [id, null]));
  if (need.opIds.length > 0) {
    const rows = await c.query<{ id: string; hlc: string; entityId: string; type: string }>(
      'SELECT id, hlc, entity_id AS "entityId", type FROM ops WHERE village_id = $1 AND id = ANY($2::text[])',
      [villageId, [...new Set(need.opIds)]],
    );
    for (const r of rows.rows) ids.set(r.id, { hlc: r.hlc, entityId: r.entityId, type: r.type });
  }
  const unique = [...new Map(need.entities.map((e) => [keyOf(e.kind, e.id), e])).values()];
  const entityOps = new Map<string, Op[]>(unique.map((e) => [keyOf(e.kind, e.id), []]));
  const states = new Map<string, EntityBase | undefined>(unique.map((e) => [keyOf(e.kind, e.id), undefined]));
  if (unique.length > 0) {
    const kinds = unique.map((e) => e.kind);
    const entityIds = unique.map((e) => e.id);
    const opRows = await c.query<OpRow & { entity_kind: string }>(
      `SELECT o.* FROM ops o JOIN unnest($2::text[], $3::text[]) AS k(kind, id) ON o.entity_kind = k.kind AND o.entity_id = k.id WHERE o.village_id = $1`,
      [villageId, kinds, entityIds],
    );
    for (const r of opRows.rows) entityOps.get(keyOf(r.entity_kind, r.entity_id))!.push(openOp(cipher, opFromRow(r)));
    const stateRows = await c.query<{ kind: string; id: string; state: string }>(
      `SELECT e.kind, e.id, e.state FROM entities e JOIN unnest($2::text[], $3::text[]) AS k(kind, id) ON e.kind = k.kind AND e.id = k.id WHERE e.village_id = $1`,
      [villageId, kinds, entityIds],
    );
    for (const r of stateRows.rows) states.set(keyOf(r.kind, r.id), parseStoredState(cipher, r.state));
  }
  return { village, storage: new OverlayOpLogStorage({ nextSeq: village.next_seq, hlc: village.hlc, ids, entityOps, states }) };
}

/** Writes what the op log appended and folded, and the village's seq and clock, in the unit's transaction. */
export async function closeVillageUnit(c: pg.PoolClient, villageId: number, storage: OverlayOpLogStorage, cipher: FieldCipher | undefined): Promise<void> {
  const ops = storage.appended;
  if (ops.length > 0) {
    await c.query(
      `INSERT INTO ops (village_id, id, origin, seq, hlc, actor, entity_kind, entity_id, type, payload)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`,
      [
        villageId,
        ops.map((o) => o.id),
        ops.map((o) => o.origin),
        ops.map((o) => o.seq),
        ops.map((o) => o.hlc),
        ops.map((o) => o.actor),
        ops.map((o) => o.entityKind),
        ops.map((o) => o.entityId),
        ops.map((o) => o.type),
        ops.map((o) => JSON.stringify(cipher ? cipher.sealPayload(o.entityKind, o.payload) : o.payload)),
      ],
    );
  }
  const states = [...storage.written.values()];
  if (states.length > 0) {
    await c.query(
      `INSERT INTO entities (village_id, kind, id, present, created_at, state)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::text[])
       ON CONFLICT (village_id, kind, id) DO UPDATE SET present = excluded.present, created_at = excluded.created_at, state = excluded.state`,
      [
        villageId,
        states.map((s) => s.kind),
        states.map((s) => s.id),
        states.map((s) => s.exists),
        states.map((s) => s.createdAt),
        states.map((s) => JSON.stringify(cipher ? cipher.sealState(s) : s)),
      ],
    );
  }
  await c.query('UPDATE villages SET next_seq = $2, hlc = $3 WHERE id = $1', [villageId, storage.nextSeq, storage.hlc]);
}
