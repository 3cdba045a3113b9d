import { compareHlc, parseHlc } from './hlc.ts';
import type { EntityBase, Op } from './types.ts';

/**
 * How one kind of entity turns its ops into state. `apply` must be
 * deterministic and total: it never throws and never looks at anything but the
 * state and the op (no clock, no database), because every node must reach the
 * same state from the same set of ops, whatever order they arrived in. It may
 * change `state` in place (callers hand it a private copy) but must copy what
 * it takes from the payload, never keep a reference to it.
 */
export interface Model<S extends EntityBase = EntityBase> {
  kind: string;
  /** State before any op: `exists` false, or a built-in default (config kinds). */
  init(id: string): S;
  apply(state: S, op: Op): S;
}

/** The fold order: HLC, then op id (HLCs of distinct ops differ; the id makes it total anyway). */
export function compareOps(a: Op, b: Op): number {
  return compareHlc(a.hlc, b.hlc) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function baseState(kind: string, id: string): EntityBase {
  return { kind, id, exists: false, createdAt: null, createdBy: null, updatedAt: null, lastHlc: null, opCount: 0, conflicts: [], needsReview: false };
}

/**
 * A model's initial state: the base fields, then the model's own. Written as
 * Object.assign on purpose: `{ ...baseState(), a, b, … }` with many fields
 * after the spread costs V8 (Node 20) ~50 µs per object and leaves it in
 * dictionary mode, which made every create op ~6x slower to fold and store.
 */
export function initState<F extends object>(kind: string, id: string, fields: F): EntityBase & F {
  return Object.assign(baseState(kind, id), fields);
}

/**
 * Applies one op that orders after everything folded so far. Callers holding
 * an op that orders earlier must re-fold (`fold`) instead; `Replica` and the
 * SQLite store decide which.
 */
function step<S extends EntityBase>(model: Model<S>, state: S, op: Op): S {
  return applyInPlace(model, structuredClone(state), op);
}

/**
 * `step` for a caller that owns `state` and will not use it again (the stores:
 * it was just parsed from a row or made by init). Skips the defensive clone,
 * which costs more than the apply itself.
 */
export function stepOwned<S extends EntityBase>(model: Model<S>, state: S, op: Op): S {
  return applyInPlace(model, state, op);
}

function applyInPlace<S extends EntityBase>(model: Model<S>, state: S, op: Op): S {
  const count = state.opCount;
  const next = model.apply(state, op);
  next.opCount = count + 1;
  next.lastHlc = op.hlc;
  next.updatedAt = parseHlc(op.hlc).ms;
  next.needsReview = next.conflicts.some((c) => c.reviewedBy === null);
  return next;
}

/** The state of one entity from a set of its ops: duplicates ignored, order irrelevant. */
export function fold<S extends EntityBase>(model: Model<S>, id: string, ops: Iterable<Op>): S {
  const unique = new Map<string, Op>();
  for (const op of ops) if (!unique.has(op.id)) unique.set(op.id, op);
  let state = model.init(id);
  for (const op of [...unique.values()].sort(compareOps)) state = applyInPlace(model, state, op);
  return state;
}

/** Whether `op` can be applied incrementally to `state` (it orders after the last folded op). */
export function isInOrder(state: EntityBase, op: Op): boolean {
  return state.lastHlc === null || compareHlc(op.hlc, state.lastHlc) > 0;
}

/**
 * The in-memory form of what the edge's SQLite store does: keep every op,
 * apply a new op incrementally when it is the newest of its entity, re-fold
 * the entity when it arrives late, skip duplicates. The property test checks
 * that any arrival order gives the state `fold` gives; the cloud can use it
 * as its reference.
 */
export class Replica {
  readonly #models: ReadonlyMap<string, Model>;
  readonly #ops = new Map<string, Op>();
  readonly #byEntity = new Map<string, Op[]>();
  readonly #states = new Map<string, EntityBase>();
  refolds = 0;

  constructor(models: Iterable<Model>) {
    this.#models = new Map([...models].map((m) => [m.kind, m]));
  }

  /** Returns false for a duplicate (same id seen before). */
  apply(op: Op): boolean {
    if (this.#ops.has(op.id)) return false;
    const model = this.#models.get(op.entityKind);
    if (!model) throw new Error(`no model for entity kind ${op.entityKind}`);
    this.#ops.set(op.id, op);
    const key = `${op.entityKind}/${op.entityId}`;
    const list = this.#byEntity.get(key) ?? [];
    list.push(op);
    this.#byEntity.set(key, list);
    const state = this.#states.get(key) ?? model.init(op.entityId);
    if (isInOrder(state, op)) {
      this.#states.set(key, step(model, state, op));
    } else {
      this.refolds++;
      this.#states.set(key, fold(model, op.entityId, list));
    }
    return true;
  }

  get<S extends EntityBase>(kind: string, id: string): S | undefined {
    return this.#states.get(`${kind}/${id}`) as S | undefined;
  }

  /** Every entity's state, keyed `kind/id`, in key order (for comparing replicas). */
  snapshot(): Record<string, EntityBase> {
    return Object.fromEntries([...this.#states.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
