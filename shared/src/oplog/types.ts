/**
 * The op log's wire types: what edge and cloud store, fold and
 * send to each other. One op changes exactly one entity.
 */

export interface Op<P = Record<string, unknown>> {
  /** `${origin}.${seq}`: unique everywhere. */
  id: string;
  /** Node id (16 hex digits) of the node that made the op. */
  origin: string;
  /** 1, 2, 3 … per origin, without gaps: the sync watermark. */
  seq: number;
  /** Hybrid logical clock at the origin when the op was made (see hlc.ts). */
  hlc: string;
  /** Who made it: a user name on the origin, or 'system' / 'anonymous'. */
  actor: string;
  entityKind: string;
  entityId: string;
  /** e.g. 'ticket.status'; the entity kind's model knows what to do with it. */
  type: string;
  payload: P;
}

/** An op before it has an id, a sequence number and a time. */
export interface OpDraft<P = Record<string, unknown>> {
  entityKind: string;
  entityId: string;
  type: string;
  payload: P;
}

/** Two status changes (or assignments) made without seeing each other, as the fold found them. */
export interface Conflict {
  opId: string;
  hlc: string;
  actor: string;
  /** The status the op's author saw. */
  expected: string;
  /** The status the fold had reached when it got to the op. */
  found: string;
  to: string;
  /** Whether the fold applied the change (it is allowed from `found`). */
  applied: boolean;
  /** Set when someone has looked at it (a `*.reviewed` op). */
  reviewedBy: string | null;
  /**
   * When the op assigned the entity to someone other than the worker the fold
   * had made responsible: that worker (`found`, who is no longer responsible
   * if the op applied) and the one the op named (`to`).
   */
  assignee?: { found: string; to: string };
}

/** What every entity's state carries besides its own fields. */
export interface EntityBase {
  kind: string;
  id: string;
  /** False until the entity's create op has been folded (other ops may arrive first). */
  exists: boolean;
  createdAt: number | null;
  createdBy: string | null;
  /** Time of the latest op (its HLC's milliseconds). */
  updatedAt: number | null;
  /** The greatest HLC folded so far: an op below it re-folds the entity. */
  lastHlc: string | null;
  opCount: number;
  conflicts: Conflict[];
  /** Some conflict has not been reviewed. */
  needsReview: boolean;
}
