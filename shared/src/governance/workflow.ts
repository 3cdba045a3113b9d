import type { Conflict, EntityBase, Op } from '../oplog/types.ts';
import { str, strList } from './read.ts';

/** Which status may follow which. Same-status entries (e.g. assigned → assigned) are reassignments. */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(table: Transitions<S>, from: S, to: S): boolean {
  return table[from]?.includes(to) ?? false;
}

/**
 * A status op carries the status its author saw (`from`) and the one wanted
 * (`to`). Folded in HLC order:
 * - `from` equals the current status: an ordinary change, applied if the
 *   table allows it (a valid local op always is);
 * - `from` differs: the author did not see an earlier change, so the two were
 *   concurrent. The op is applied when the table allows it from where the fold
 *   stands (so the later of two concurrent changes wins when it can), and
 *   either way a conflict is recorded and the entity flagged for review.
 * Returns whether the status changed to `to`.
 */
export function applyStatus<S extends string>(state: EntityBase & { status: S }, op: Op, table: Transitions<S>): boolean {
  const to = str(op.payload.to);
  const from = str(op.payload.from);
  if (to === null || !(to in table)) return false;
  const current = state.status;
  const allowed = canTransition(table, current, to as S);
  if (from !== current) {
    const conflict: Conflict = { opId: op.id, hlc: op.hlc, actor: op.actor, expected: from ?? '', found: current, to, applied: allowed, reviewedBy: null };
    state.conflicts.push(conflict);
  }
  if (allowed) state.status = to as S;
  return allowed;
}

/**
 * Who is responsible can cross like a status: two people reassign the same
 * entity without seeing each other's change, each telling a different worker.
 * An assignment op carries the assignee its author saw (`fromAssignee`); when
 * the fold has reached someone else, the two were concurrent. The fold keeps
 * the later one (by HLC: the same winner on every node) and records a conflict
 * naming both workers, so that the one no longer responsible can be told and
 * someone can confirm. When the status crossed too, the status conflict
 * `applyStatus` just recorded for this op gets the names. Ops made before
 * `fromAssignee` existed are judged by their status alone.
 * Call after `applyStatus`, with the assignee from before the op.
 */
export function flagReassignment(state: EntityBase & { assignee: string | null }, op: Op, before: string | null, applied: boolean): void {
  if (str(op.payload.to) !== 'assigned') return;
  const named = str(op.payload.assignee);
  if (named === null || before === null || named === before) return;
  const crossed = state.conflicts.find((c) => c.opId === op.id);
  if (crossed) {
    crossed.assignee = { found: before, to: named };
    return;
  }
  if (!('fromAssignee' in op.payload) || str(op.payload.fromAssignee) === before) return;
  // The status did not cross (applyStatus found what the author saw), so `from` is also what the fold had.
  const from = str(op.payload.from) ?? '';
  state.conflicts.push({ opId: op.id, hlc: op.hlc, actor: op.actor, expected: from, found: from, to: 'assigned', applied, reviewedBy: null, assignee: { found: before, to: named } });
}

/**
 * What a status draft adds so a crossed reassignment can be recognised: the
 * assignee its author saw, when the draft names a new one and the entity has
 * assignees. Edge and cloud both build status drafts with it.
 */
export function seenAssignee(state: object, extra: Readonly<Record<string, unknown>>): { fromAssignee?: string | null } {
  return 'assignee' in extra && 'assignee' in state ? { fromAssignee: (state as { assignee: string | null }).assignee } : {};
}

/** `*.reviewed {opIds}`: someone looked at these conflicts; the flag clears when none is left. */
export function applyReview(state: EntityBase, op: Op): void {
  const ids = new Set(strList(op.payload.opIds));
  for (const c of state.conflicts) if (ids.has(c.opId) && c.reviewedBy === null) c.reviewedBy = op.actor;
}

/** Append-only facts keyed by their own id: a second op with the same fact id changes nothing (union). */
export function addFact<T extends { id: string }>(list: T[], fact: T | null): boolean {
  if (!fact || list.some((x) => x.id === fact.id)) return false;
  list.push(fact);
  return true;
}
