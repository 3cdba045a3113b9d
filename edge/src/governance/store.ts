import { HlcClock, fold, isInOrder, opId, parseHlc, stepOwned, NODE_ID_PATTERN, SENSITIVE_FIELDS, type EntityBase, type FieldCipher, openOp, parseStoredState, type Model, type Op, type OpDraft, type OpRow, opFromRow, opDraftProblem } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { CunboxError } from '../errors.ts';

/**
 * Called inside the transaction after an entity's state changed: keeps
 * edge-only side tables in step with the fold (e.g. evidence holds for a
 * ticket's footage links), whether the op was made here or came from the cloud.
 */
export type MaterialiseHook = (state: EntityBase) => void;

export interface OpStoreDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  models: readonly Model[];
  hooks?: Partial<Record<string, MaterialiseHook>>;
  /** Encrypts sensitive fields at rest (docs/design/privacy.md); the composition root always passes one. */
  cipher?: FieldCipher;
  /**
   * Told the entity kinds after ops were committed or ingested (the big
   * screen's push). Called after the store's transaction; inside an outer
   * transaction that later rolls back it is a false alarm, which listeners
   * must tolerate (they re-read the state).
   */
  onChanged?: (kinds: readonly string[]) => void;
}


/**
 * The governance op log in SQLite. Every change is an op appended in the same
 * transaction that updates the entity's folded state (gov_entities); the state
 * is always exactly `fold(model, id, ops of the entity)` — `verify()` checks it.
 */
export class OpStore {
  readonly node: string;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #hlc: HlcClock;
  readonly #models: ReadonlyMap<string, Model>;
  readonly #hooks: Partial<Record<string, MaterialiseHook>>;
  readonly #cipher: FieldCipher | undefined;
  readonly #onChanged: ((kinds: readonly string[]) => void) | undefined;
  readonly #stmt;

  constructor(deps: OpStoreDeps) {
    this.#db = deps.db;
    this.#log = deps.log;
    this.#models = new Map(deps.models.map((m) => [m.kind, m]));
    this.#hooks = deps.hooks ?? {};
    this.#cipher = deps.cipher;
    this.#onChanged = deps.onChanged;
    const row = this.#db.prepare('SELECT node_id, hlc FROM gov_node WHERE singleton = 1').get() as { node_id: string; hlc: string | null };
    if (!NODE_ID_PATTERN.test(row.node_id)) throw new Error(`gov_node: bad node id ${row.node_id}`);
    this.node = row.node_id;
    this.#hlc = new HlcClock({ node: this.node, now: () => deps.clock.now(), last: row.hlc });
    this.#stmt = {
      insertOp: this.#db.prepare(
        `INSERT INTO gov_ops (id, origin, seq, hlc, actor, entity_kind, entity_id, type, payload, received_at)
         VALUES (@id, @origin, @seq, @hlc, @actor, @entityKind, @entityId, @type, @payload, @receivedAt)`,
      ),
      nextSeq: this.#db.prepare('UPDATE gov_node SET next_seq = next_seq + 1 WHERE singleton = 1 RETURNING next_seq - 1 AS seq'),
      saveHlc: this.#db.prepare('UPDATE gov_node SET hlc = ? WHERE singleton = 1'),
      // Our own ops coming back (restored from the cloud after a disk loss): never reuse their numbers.
      skipSeq: this.#db.prepare('UPDATE gov_node SET next_seq = max(next_seq, ? + 1) WHERE singleton = 1'),
      getOp: this.#db.prepare('SELECT * FROM gov_ops WHERE id = ?'),
      entityOps: this.#db.prepare('SELECT * FROM gov_ops WHERE entity_kind = ? AND entity_id = ? ORDER BY hlc, id'),
      getState: this.#db.prepare('SELECT state FROM gov_entities WHERE kind = ? AND id = ?'),
      putState: this.#db.prepare(
        `INSERT INTO gov_entities (kind, id, present, created_at, last_hlc, state) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET present = excluded.present, created_at = excluded.created_at, last_hlc = excluded.last_hlc, state = excluded.state`,
      ),
    };
    this.#clock = deps.clock;
  }

  model(kind: string): Model {
    const m = this.#models.get(kind);
    if (!m) throw new CunboxError('NOT_FOUND', `unknown entity kind ${kind}`);
    return m;
  }

  /**
   * Our ops up to `seq` exist elsewhere (the cloud has them; this database was
   * restored from an older backup): the next local op is numbered after them.
   */
  reserveSeqsThrough(seq: number): void {
    this.#stmt.skipSeq.run(seq);
  }

  /** Highest seq of our own ops stored here (0: none). */
  lastLocalSeq(): number {
    return (this.#db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM gov_ops WHERE origin = ?').get(this.node) as { seq: number }).seq;
  }

  /** Runs `fn` in a transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /**
   * Makes ops from drafts (next seq, new HLC), appends them and folds each
   * into its entity, all in one transaction. Returns the ops.
   */
  commit(actor: string, drafts: readonly OpDraft[]): Op[] {
    const ops = this.transaction(() => {
      const ops: Op[] = [];
      for (const d of drafts) {
        this.model(d.entityKind);
        // What we send must be what docs/protocol/ says; a mismatch is a bug here, not input to refuse.
        const problem = opDraftProblem(d);
        if (problem) throw new Error(problem);
        const { seq } = this.#stmt.nextSeq.get() as { seq: number };
        const op: Op = { id: opId(this.node, seq), origin: this.node, seq, hlc: this.#hlc.now(), actor, entityKind: d.entityKind, entityId: d.entityId, type: d.type, payload: d.payload };
        this.#insert(op);
        this.#materialise(op);
        ops.push(op);
      }
      this.#stmt.saveHlc.run(this.#hlc.last);
      return ops;
    });
    this.#changed(ops);
    return ops;
  }

  #changed(ops: readonly Op[]): void {
    if (!this.#onChanged || ops.length === 0) return;
    try {
      this.#onChanged([...new Set(ops.map((o) => o.entityKind))]);
    } catch (err) {
      // A listener's fault never undoes or fails a committed change.
      this.#log.error({ err }, 'change listener failed');
    }
  }

  /**
   * Applies ops made elsewhere (the sync inbox): duplicates (same origin and
   * seq) are skipped, the rest stored and folded; the local clock moves past
   * them. Ops of a kind this version does not know are stored and folded after
   * an upgrade (refoldAll), never dropped.
   */
  ingest(ops: readonly Op[]): { applied: number; duplicates: number; skewed: number } {
    const applied: Op[] = [];
    const result = this.transaction(() => {
      let duplicates = 0;
      let skewed = 0;
      for (const op of ops) {
        checkOpShape(op);
        const existing = this.#stmt.getOp.get(op.id) as OpRow | undefined;
        if (existing) {
          if (existing.hlc !== op.hlc || existing.entity_id !== op.entityId || existing.type !== op.type) {
            throw new CunboxError('CONFLICT', `op ${op.id} differs from the stored op with the same id`);
          }
          duplicates++;
          continue;
        }
        const seen = this.#hlc.observe(op.hlc);
        if (!seen.adopted && op.origin !== this.node) {
          skewed++;
          this.#log.warn({ op: op.id, origin: op.origin, aheadMs: seen.aheadMs }, 'remote clock far ahead of ours; op applied, clock not adopted');
        }
        this.#insert(op);
        if (op.origin === this.node) this.#stmt.skipSeq.run(op.seq);
        if (this.#models.has(op.entityKind)) this.#materialise(op);
        else this.#log.warn({ op: op.id, kind: op.entityKind }, 'op for an unknown entity kind stored; it is folded after an upgrade');
        applied.push(op);
      }
      this.#stmt.saveHlc.run(this.#hlc.last);
      return { applied: applied.length, duplicates, skewed };
    });
    this.#changed(applied);
    return result;
  }

  /** The entity's state, if it exists (its create op has been folded). */
  get<S extends EntityBase>(kind: string, id: string): S | undefined {
    const s = this.#readState<S>(kind, id);
    return s?.exists ? s : undefined;
  }

  /** The state even when only later ops have arrived, or the model's initial state (config defaults). */
  getOrInit<S extends EntityBase>(kind: string, id: string): S {
    return this.#readState<S>(kind, id) ?? (this.model(kind).init(id) as S);
  }

  /**
   * Existing entities of a kind, newest first. `filter` is a fixed SQL
   * condition written in code (never built from input) over `state` with `?`
   * placeholders for `params`.
   */
  list<S extends EntityBase>(kind: string, opts: { filter?: string; params?: unknown[]; limit?: number } = {}): S[] {
    const where = opts.filter ? `AND (${opts.filter})` : '';
    const rows = this.#db
      .prepare(`SELECT state FROM gov_entities WHERE kind = ? AND present = 1 ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(kind, ...(opts.params ?? []), opts.limit ?? -1) as Array<{ state: string }>;
    return rows.map((r) => this.#parseState<S>(r.state));
  }

  /** The entity's ops in fold order: its full history. */
  history(kind: string, id: string): Op[] {
    return (this.#stmt.entityOps.all(kind, id) as OpRow[]).map((r) => this.#opFromRow(r));
  }

  /** Local ops with seq > `afterSeq`, in order: what the sync outbox sends. */
  localOpsAfter(afterSeq: number, limit = 500): Op[] {
    return (this.#db.prepare('SELECT * FROM gov_ops WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?').all(this.node, afterSeq, limit) as OpRow[]).map((r) => this.#opFromRow(r));
  }

  opCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM gov_ops').get() as { n: number }).n;
  }

  /** Re-folds every entity from its ops (after an upgrade that adds or changes a model). */
  refoldAll(): number {
    return this.transaction(() => {
      const keys = this.#db.prepare('SELECT DISTINCT entity_kind AS kind, entity_id AS id FROM gov_ops').all() as Array<{ kind: string; id: string }>;
      let n = 0;
      for (const { kind, id } of keys) {
        if (!this.#models.has(kind)) continue;
        this.#save(fold(this.model(kind), id, this.history(kind, id)));
        n++;
      }
      return n;
    });
  }

  /** Entities whose stored state differs from the fold of their ops (should be none). */
  verify(): Array<{ kind: string; id: string }> {
    const bad: Array<{ kind: string; id: string }> = [];
    const keys = this.#db.prepare('SELECT DISTINCT entity_kind AS kind, entity_id AS id FROM gov_ops').all() as Array<{ kind: string; id: string }>;
    for (const { kind, id } of keys) {
      if (!this.#models.has(kind)) continue;
      const expected = canonicalJson(fold(this.model(kind), id, this.history(kind, id)));
      const row = this.#stmt.getState.get(kind, id) as { state: string } | undefined;
      if (!row || canonicalJson(this.#parseState(row.state)) !== expected) bad.push({ kind, id });
    }
    return bad;
  }

  /**
   * Encrypts sensitive fields still stored in plain text (a database from before
   * encryption was on); a no-op once done. Returns how many rows it rewrote.
   */
  sealPlaintext(): number {
    const cipher = this.#cipher;
    if (!cipher) return 0;
    return this.transaction(() => {
      let n = 0;
      const kinds = Object.keys(SENSITIVE_FIELDS);
      const marks = kinds.map(() => '?').join(',');
      const rewrites: Array<[string, string]> = [];
      for (const r of this.#db.prepare(`SELECT id, entity_kind AS kind, payload FROM gov_ops WHERE entity_kind IN (${marks})`).all(...kinds) as Array<{ id: string; kind: string; payload: string }>) {
        const sealed = JSON.stringify(cipher.sealPayload(r.kind, JSON.parse(r.payload) as Record<string, unknown>));
        if (sealed !== r.payload) rewrites.push([sealed, r.id]);
      }
      if (rewrites.length > 0) {
        // Ops are immutable (a trigger refuses updates). This changes only how their
        // payload is stored, not what it says: the trigger is lifted for this one
        // transaction and put back exactly as it was before it commits.
        const trigger = this.#db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'gov_ops_no_update'").get() as { sql: string };
        this.#db.exec('DROP TRIGGER gov_ops_no_update');
        const setPayload = this.#db.prepare('UPDATE gov_ops SET payload = ? WHERE id = ?');
        for (const [payload, id] of rewrites) n += setPayload.run(payload, id).changes;
        this.#db.exec(trigger.sql);
      }
      const setState = this.#db.prepare('UPDATE gov_entities SET state = ? WHERE kind = ? AND id = ?');
      for (const r of this.#db.prepare(`SELECT kind, id, state FROM gov_entities WHERE kind IN (${marks})`).all(...kinds) as Array<{ kind: string; id: string; state: string }>) {
        const sealed = JSON.stringify(cipher.sealState(JSON.parse(r.state) as EntityBase));
        if (sealed !== r.state) n += setState.run(sealed, r.kind, r.id).changes;
      }
      return n;
    });
  }

  #insert(op: Op): void {
    const payload = this.#cipher ? this.#cipher.sealPayload(op.entityKind, op.payload) : op.payload;
    this.#stmt.insertOp.run({ ...op, payload: JSON.stringify(payload), receivedAt: this.#clock.now() });
  }

  #opFromRow(row: OpRow): Op {
    return openOp(this.#cipher, opFromRow(row));
  }

  #parseState<S extends EntityBase>(text: string): S {
    return parseStoredState<S>(this.#cipher, text);
  }

  /** Incremental when the op is the entity's newest; otherwise a re-fold of the entity. */
  #materialise(op: Op): void {
    const model = this.model(op.entityKind);
    const current = this.#readState(op.entityKind, op.entityId) ?? model.init(op.entityId);
    const next = isInOrder(current, op) ? stepOwned(model, current, op) : fold(model, op.entityId, this.history(op.entityKind, op.entityId));
    this.#save(next);
  }

  #save(state: EntityBase): void {
    this.#stmt.putState.run(state.kind, state.id, state.exists ? 1 : 0, state.createdAt, state.lastHlc ?? '', JSON.stringify(this.#cipher ? this.#cipher.sealState(state) : state));
    this.#hooks[state.kind]?.(state);
  }

  #readState<S extends EntityBase>(kind: string, id: string): S | undefined {
    const row = this.#stmt.getState.get(kind, id) as { state: string } | undefined;
    return row ? this.#parseState<S>(row.state) : undefined;
  }
}

function checkOpShape(op: Op): void {
  const ok =
    typeof op.id === 'string' &&
    NODE_ID_PATTERN.test(op.origin) &&
    Number.isSafeInteger(op.seq) &&
    op.seq > 0 &&
    op.id === opId(op.origin, op.seq) &&
    typeof op.actor === 'string' &&
    typeof op.entityKind === 'string' &&
    typeof op.entityId === 'string' &&
    typeof op.type === 'string' &&
    op.payload !== null &&
    typeof op.payload === 'object';
  if (!ok) throw new CunboxError('INVALID_INPUT', `malformed op ${JSON.stringify(op.id)}`);
  try {
    parseHlc(op.hlc);
  } catch (err) {
    throw new CunboxError('INVALID_INPUT', `op ${op.id}: ${(err as Error).message}`);
  }
}

/** JSON with object keys sorted, so two equal states compare equal as text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
