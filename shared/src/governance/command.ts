/**
 * The shape of a governance command: a pure function of the current state,
 * who acts, what they asked and what it may look up, that answers with the ops
 * to commit or throws a CunboxError. The edge's services and the cloud's phone
 * routes are adapters around the same commands: they read state, call the
 * command and commit what it returns, so a rule (who may, which transition,
 * which SLA) is decided in one place for both.
 */
import { canTransition, seenAssignee, type Transitions } from './workflow.ts';
import type { EntityBase, OpDraft } from '../oplog/types.ts';
import type { Role } from '../auth/roles.ts';
import { CunboxError } from '../platform/errors.ts';

/** Who acts. The API has checked the role's permission; commands check record-level rules with it. */
export interface Actor {
  username: string;
  role: Role;
}

/** An account as a command needs to see it (an assignee must exist, be enabled and have a role). */
export interface AccountFacts {
  username: string;
  role: Role;
  disabled: boolean;
}

/**
 * What a command may read besides its input. The edge answers from its SQLite
 * op log and user table, the cloud from its village-scoped store and synced
 * accounts; neither decides anything here.
 */
export interface GovernanceLookups {
  /** Now, in ms since the epoch (SLA clocks, due dates). */
  now: number;
  /** A new entity id (time-ordered). */
  newId(): string;
  get<S extends EntityBase>(kind: string, id: string): S | undefined;
  list<S extends EntityBase>(kind: string): S[];
  /** Config entities (categories, types, rules) exist by default without any op. */
  getOrInit<S extends EntityBase>(kind: string, id: string): S;
  account(username: string): AccountFacts | undefined;
  /** Throws INVALID_INPUT unless every id names stored media of the kind. */
  requireMedia(ids: readonly string[], kind: 'image' | 'pdf' | 'any'): void;
}

/** What a command answers: the ops to commit, as whom (an anonymous report commits as 'anonymous'), and the entity it made or changed. */
export interface CommandResult {
  actor: string;
  drafts: OpDraft[];
  entityId: string;
}

export function requireEntity<S extends EntityBase>(look: Pick<GovernanceLookups, 'get'>, kind: string, id: string, label: string): S {
  const s = look.get<S>(kind, id);
  if (!s) throw new CunboxError('NOT_FOUND', `no ${label} ${id}`);
  return s;
}

/**
 * A status op from the current status, refused (409) when the workflow does not
 * allow it. A draft that names a new assignee carries the one its author saw, so
 * a reassignment crossed by another during a partition is flagged for review.
 */
export function statusDraft<S extends string>(state: EntityBase & { status: S }, table: Transitions<S>, to: S, extra: Record<string, unknown> = {}): OpDraft {
  if (!canTransition(table, state.status, to)) throw new CunboxError('INVALID_TRANSITION', `cannot go from ${state.status} to ${to}`);
  return { entityKind: state.kind, entityId: state.id, type: `${state.kind}.status`, payload: { from: state.status, to, ...seenAssignee(state, extra), ...extra } };
}

/** Acknowledges every unreviewed conflict of the entity. */
export function reviewDraft(state: EntityBase): OpDraft {
  const opIds = state.conflicts.filter((c) => c.reviewedBy === null).map((c) => c.opId);
  if (opIds.length === 0) throw new CunboxError('CONFLICT', 'nothing to review');
  return { entityKind: state.kind, entityId: state.id, type: `${state.kind}.reviewed`, payload: { opIds } };
}

export function forbid(message: string): never {
  throw new CunboxError('FORBIDDEN', message);
}

export function invalid(message: string, details: readonly string[] = []): never {
  throw new CunboxError('INVALID_INPUT', message, details);
}

/** An account as a picker of assignees shows it: the name the command takes, the name people know, the role. */
export interface Assignee {
  username: string;
  displayName: string | null;
  role: Role;
}

/** Picked field by field: an account row holds more (a password hash, a camera scope) than a picker may show. */
export function assigneeOf(u: Assignee): Assignee {
  return { username: u.username, displayName: u.displayName, role: u.role };
}

/** Whether an account may be named where one of the roles is needed: what requireAccount accepts, and what a picker offers. */
export function mayBeNamed(u: AccountFacts, roles: ReadonlySet<Role>): boolean {
  return !u.disabled && roles.has(u.role);
}

/** An account that exists, is enabled and has one of the roles. */
export function requireAccount(look: Pick<GovernanceLookups, 'account'>, username: string, roles: ReadonlySet<Role>, what: string): AccountFacts {
  const u = look.account(username);
  if (!u || u.disabled) invalid(`${what}: no user ${username}`);
  if (!mayBeNamed(u, roles)) invalid(`${what}: ${username} is a ${u.role}, not one of ${[...roles].join(', ')}`);
  return u;
}

/** Drops keys whose value is undefined (optional fields not given). */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
