import { NODE_ID_PATTERN, OpLog, OpLogError, SENSITIVE_FIELDS, type EntityBase, type FieldCipher, openOp, parseStoredState, type Model, type Op, type OpDraft, type OpRow, opFromRow, opDraftProblem } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { CunboxError } from '../errors.ts';
import { SqliteOpLogStorage } from './op-log-storage.ts';

/**
 * Called inside the transaction after an entity's state changed: keeps
 * edge-only side tables in step with the fold (e.g. evidence holds for a
 * ticket's footage links), whether the op was made here or came from the cloud.
 */
type MaterialiseHook = (state: EntityBase) => void;

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
/**
 * The governance op log in SQLite: the shared `OpLog` rules over the edge's
 * tables (op-log-storage.ts), plus what only the edge needs: hooks for side
 * tables, change listeners, filtered lists, sealing old plain text. The state
 * is always exactly `fold(model, id, ops of the entity)`; `verify()` checks it.
 */
export class OpStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #models: ReadonlyMap<string, Model>;
  readonly #cipher: FieldCipher | undefined;
  readonly #hooks: Partial<Record<string, MaterialiseHook>>;
  readonly #onChanged: ((kinds: readonly string[]) => void) | undefined;
  readonly #storage: SqliteOpLogStorage;
  #node: string | undefined;
  #oplogMade: OpLog | undefined;

  constructor(deps: OpStoreDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#models = new Map(deps.models.map((m) => [m.kind, m]));
    this.#cipher = deps.cipher;
    this.#hooks = deps.hooks ?? {};
    this.#onChanged = deps.onChanged;
    this.#storage = new SqliteOpLogStorage({ db: deps.db, now: () => deps.clock.now(), cipher: deps.cipher });
  }

  /** This database's node id (gov_node), read on first use: the constructor touches no table. */
  get node(): string {
    if (this.#node === undefined) {
      const row = this.#db.prepare('SELECT node_id FROM gov_node WHERE singleton = 1').get() as { node_id: string };
      if (!NODE_ID_PATTERN.test(row.node_id)) throw new Error(`gov_node: bad node id ${row.node_id}`);
      this.#node = row.node_id;
    }
    return this.#node;
  }

  /** The shared op-log rules over our tables, made with the node id on first use. */
  get #oplog(): OpLog {
    this.#oplogMade ??= new OpLog({
      storage: this.#storage,
      node: this.node,
      now: () => this.#clock.now(),
      models: [...this.#models.values()],
      log: this.#log,
      draftProblem: opDraftProblem,
      onState: (state) => this.#hooks[state.kind]?.(state),
    });
    return this.#oplogMade;
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
    this.#storage.reserveSeqsThrough(seq);
  }

  /** Highest seq of our own ops stored here (0: none). */
  lastLocalSeq(): number {
    return (this.#db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM gov_ops WHERE origin = ?').get(this.node) as { seq: number }).seq;
  }

  /** Runs `fn` in a transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.#storage.transaction(fn);
  }

  /**
   * Makes ops from drafts (next seq, new HLC), appends them and folds each
   * into its entity, all in one transaction. Returns the ops.
   */
  commit(actor: string, drafts: readonly OpDraft[]): Op[] {
    for (const d of drafts) this.model(d.entityKind);
    const ops = asCunboxError(() => this.#oplog.commit(actor, drafts));
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
    const r = asCunboxError(() => this.#oplog.ingest(ops));
    this.#changed(r.applied);
    return { applied: r.applied.length, duplicates: r.duplicates, skewed: r.skewed };
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
    return this.#storage.entityOps(kind, id);
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
    return this.#oplog.refoldAll();
  }

  /** Entities whose stored state differs from the fold of their ops (should be none). */
  verify(): Array<{ kind: string; id: string }> {
    return this.#oplog.verify();
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


  #opFromRow(row: OpRow): Op {
    return openOp(this.#cipher, opFromRow(row));
  }

  #parseState<S extends EntityBase>(text: string): S {
    return parseStoredState<S>(this.#cipher, text);
  }

  #readState<S extends EntityBase>(kind: string, id: string): S | undefined {
    return this.#storage.readState<S>(kind, id);
  }
}

/** The op log's refusals in the edge's error table (routes and the sync client match on these codes). */
function asCunboxError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OpLogError) throw new CunboxError(err.code, err.message);
    throw err;
  }
}
