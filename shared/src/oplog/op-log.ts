import { HlcClock, parseHlc, NODE_ID_PATTERN } from './hlc.ts';
import { opId } from './ids.ts';
import { fold, isInOrder, stepOwned, type Model } from './fold.ts';
import type { EntityBase, Op, OpDraft } from './types.ts';

/**
 * Where one node's op log lives: the edge's tables, or one village's rows in
 * the cloud's. Storage only stores; every rule (dedupe, clock, fold order)
 * is in `OpLog`, so edge and cloud cannot drift apart. Sealing sensitive
 * fields at rest is the storage's business: it takes and returns plain ops
 * and states.
 */
export interface OpLogStorage {
  /** Runs `fn` in one transaction; a nested call joins the outer one. */
  transaction<T>(fn: () => T): T;
  /** What identifies the stored op with this id, if there is one (enough to tell a replay from a forgery). */
  storedOp(id: string): Pick<Op, 'hlc' | 'entityId' | 'type'> | undefined;
  /** Appends an op; (origin, seq) is new, `OpLog` checked. */
  appendOp(op: Op): void;
  /** The entity's ops (any order: the fold sorts them). */
  entityOps(kind: string, id: string): Op[];
  /** Every entity that has at least one op. */
  entityKeys(): Array<{ kind: string; id: string }>;
  readState<S extends EntityBase>(kind: string, id: string): S | undefined;
  writeState(state: EntityBase): void;
  /** Takes the next local sequence number (1, 2, 3 …); rolled back with the transaction. */
  takeSeq(): number;
  /** The next local sequence number will be above `seq`. */
  reserveSeqsThrough(seq: number): void;
  /** The clock's last value, as saved (null: never). */
  loadHlc(): string | null;
  saveHlc(hlc: string): void;
}

/** What the op log can refuse; the caller maps the code to its own error table. */
export class OpLogError extends Error {
  readonly code: 'INVALID_INPUT' | 'CONFLICT' | 'NOT_FOUND';
  constructor(code: OpLogError['code'], message: string) {
    super(message);
    this.name = 'OpLogError';
    this.code = code;
  }
}

export interface OpLogLogger {
  warn(obj: object, msg: string): void;
}

export interface OpLogOptions {
  storage: OpLogStorage;
  /** This node's id in the log (16 hex digits). */
  node: string;
  /** Wall clock in ms (injected). */
  now: () => number;
  models: Iterable<Model>;
  log?: OpLogLogger;
  /** A draft that breaks the published op schema is a bug of the caller: returns why, or null. */
  draftProblem?: (d: OpDraft) => string | null;
  /** Called in the transaction after each state is written (side tables kept in step with the fold). */
  onState?: (state: EntityBase) => void;
}

export interface IngestResult {
  /** The ops stored now, in the order given. */
  applied: Op[];
  duplicates: number;
  /** Ops whose clock was too far ahead to adopt (stored and folded all the same). */
  skewed: number;
}

/**
 * The op log's rules, once, for edge and cloud: local changes become ops with
 * the next sequence number and a fresh HLC; remote ops are deduplicated by
 * (origin, seq), their clocks observed, and folded; an op that orders before
 * what its entity has folded re-folds that entity. Every step of one call
 * runs in one storage transaction.
 */
export class OpLog {
  readonly node: string;
  readonly #storage: OpLogStorage;
  readonly #now: () => number;
  readonly #models: ReadonlyMap<string, Model>;
  readonly #log: OpLogLogger | undefined;
  readonly #draftProblem: ((d: OpDraft) => string | null) | undefined;
  readonly #onState: ((state: EntityBase) => void) | undefined;
  #hlc: HlcClock | undefined;

  constructor(opts: OpLogOptions) {
    if (!NODE_ID_PATTERN.test(opts.node)) throw new Error(`op log: bad node id ${JSON.stringify(opts.node)}`);
    this.node = opts.node;
    this.#storage = opts.storage;
    this.#now = opts.now;
    this.#models = new Map([...opts.models].map((m) => [m.kind, m]));
    this.#log = opts.log;
    this.#draftProblem = opts.draftProblem;
    this.#onState = opts.onState;
  }

  transaction<T>(fn: () => T): T {
    return this.#storage.transaction(fn);
  }

  /** Makes ops from drafts (next seq, new HLC), appends them and folds each into its entity. */
  commit(actor: string, drafts: readonly OpDraft[]): Op[] {
    return this.#storage.transaction(() => {
      const clock = this.#clock();
      const ops: Op[] = [];
      for (const d of drafts) {
        if (!this.#models.has(d.entityKind)) throw new OpLogError('NOT_FOUND', `unknown entity kind ${d.entityKind}`);
        // What we send must be what the published schema says; a mismatch is a bug here, not input to refuse.
        const problem = this.#draftProblem?.(d);
        if (problem) throw new Error(problem);
        const seq = this.#storage.takeSeq();
        const op: Op = { id: opId(this.node, seq), origin: this.node, seq, hlc: clock.now(), actor, entityKind: d.entityKind, entityId: d.entityId, type: d.type, payload: d.payload };
        this.#storage.appendOp(op);
        this.#materialise(op);
        ops.push(op);
      }
      this.#storage.saveHlc(clock.last);
      return ops;
    });
  }

  /**
   * Applies ops made elsewhere: one whose (origin, seq) is stored is skipped
   * (the same id with other content is refused); the rest are stored, their
   * clocks observed, and folded. Ops of a kind this version does not know are
   * stored and folded after an upgrade (`refoldAll`), never dropped.
   */
  ingest(ops: readonly Op[]): IngestResult {
    return this.#storage.transaction(() => {
      const clock = this.#clock();
      const applied: Op[] = [];
      let duplicates = 0;
      let skewed = 0;
      for (const op of ops) {
        checkOpShape(op);
        const existing = this.#storage.storedOp(op.id);
        if (existing) {
          if (existing.hlc !== op.hlc || existing.entityId !== op.entityId || existing.type !== op.type) {
            throw new OpLogError('CONFLICT', `op ${op.id} differs from the stored op with the same id`);
          }
          duplicates++;
          continue;
        }
        const seen = clock.observe(op.hlc);
        if (!seen.adopted && op.origin !== this.node) {
          skewed++;
          this.#log?.warn({ op: op.id, origin: op.origin, aheadMs: seen.aheadMs }, 'remote clock far ahead of ours; op applied, clock not adopted');
        }
        this.#storage.appendOp(op);
        // Our own ops coming back (restored from a peer after a disk loss): never reuse their numbers.
        if (op.origin === this.node) this.#storage.reserveSeqsThrough(op.seq);
        if (this.#models.has(op.entityKind)) this.#materialise(op);
        else this.#log?.warn({ op: op.id, kind: op.entityKind }, 'op for an unknown entity kind stored; it is folded after an upgrade');
        applied.push(op);
      }
      this.#storage.saveHlc(clock.last);
      return { applied, duplicates, skewed };
    });
  }

  /** The stored state, or undefined when the entity has no op folded yet. */
  state<S extends EntityBase>(kind: string, id: string): S | undefined {
    return this.#storage.readState<S>(kind, id);
  }

  /** The state a fold of the entity's stored ops gives (what the stored state must equal). */
  folded<S extends EntityBase>(kind: string, id: string): S | undefined {
    const model = this.#models.get(kind);
    return model ? (fold(model, id, this.#storage.entityOps(kind, id)) as S) : undefined;
  }

  /** Re-folds every entity of a known kind from its ops (after an upgrade that adds or changes a model). */
  refoldAll(): number {
    return this.#storage.transaction(() => {
      let n = 0;
      for (const { kind, id } of this.#storage.entityKeys()) {
        const state = this.folded(kind, id);
        if (!state) continue;
        this.#write(state);
        n++;
      }
      return n;
    });
  }

  /** Entities whose stored state differs from the fold of their ops (should be none). */
  verify(): Array<{ kind: string; id: string }> {
    const bad: Array<{ kind: string; id: string }> = [];
    for (const { kind, id } of this.#storage.entityKeys()) {
      const expected = this.folded(kind, id);
      if (!expected) continue;
      const stored = this.#storage.readState(kind, id);
      if (!stored || canonicalJson(stored) !== canonicalJson(expected)) bad.push({ kind, id });
    }
    return bad;
  }

  /** Incremental when the op is the entity's newest; otherwise a re-fold of the entity. */
  #materialise(op: Op): void {
    const model = this.#models.get(op.entityKind)!;
    const current = this.#storage.readState(op.entityKind, op.entityId) ?? model.init(op.entityId);
    this.#write(isInOrder(current, op) ? stepOwned(model, current, op) : fold(model, op.entityId, this.#storage.entityOps(op.entityKind, op.entityId)));
  }

  #write(state: EntityBase): void {
    this.#storage.writeState(state);
    this.#onState?.(state);
  }

  /** Made on first use, from the saved value: the constructor reads nothing. */
  #clock(): HlcClock {
    this.#hlc ??= new HlcClock({ node: this.node, now: this.#now, last: this.#storage.loadHlc() });
    return this.#hlc;
  }
}

function checkOpShape(op: Op): void {
  const ok =
    typeof op.id === 'string' &&
    typeof op.origin === 'string' &&
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
  if (!ok) throw new OpLogError('INVALID_INPUT', `malformed op ${JSON.stringify(op.id)}`);
  try {
    parseHlc(op.hlc);
  } catch (err) {
    throw new OpLogError('INVALID_INPUT', `op ${op.id}: ${(err as Error).message}`);
  }
}

/** JSON with object keys sorted, so two equal states compare equal as text. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
