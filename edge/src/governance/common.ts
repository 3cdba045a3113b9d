import { canTransition, newId, seenAssignee, type EntityBase, type OpDraft, type Transitions } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Role, UserStore } from '../auth/users.ts';
import { CunboxError } from '../errors.ts';
import type { MediaStore } from './media.ts';
import type { OpStore } from './store.ts';

/** Who acts: the services check record-level rules with it (the API has checked the role). */
export interface Actor {
  username: string;
  role: Role;
}

/** What every governance service works with. */
export interface GovContext {
  store: OpStore;
  clock: Clock;
  log: Logger;
  media: MediaStore;
  users: UserStore;
}

export function newEntityId(ctx: GovContext): string {
  return newId(ctx.clock.now());
}

export function requireEntity<S extends EntityBase>(ctx: GovContext, kind: string, id: string, label: string): S {
  const s = ctx.store.get<S>(kind, id);
  if (!s) throw new CunboxError('NOT_FOUND', `no ${label} ${id}`);
  return s;
}

/** A status op from the current status, refused (409) when the workflow does not allow it. */
export function statusDraft<S extends string>(
  state: EntityBase & { status: S },
  table: Transitions<S>,
  to: S,
  extra: Record<string, unknown> = {},
): OpDraft {
  if (!canTransition(table, state.status, to)) {
    throw new CunboxError('INVALID_TRANSITION', `cannot go from ${state.status} to ${to}`);
  }
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

/** A user who exists, is enabled and has one of the roles. */
export function requireUser(ctx: GovContext, username: string, roles: readonly Role[], what: string): void {
  const u = ctx.users.getByUsername(username);
  if (!u || u.disabled) throw new CunboxError('INVALID_INPUT', `${what}: no user ${username}`);
  if (!roles.includes(u.role)) throw new CunboxError('INVALID_INPUT', `${what}: ${username} is a ${u.role}, not one of ${roles.join(', ')}`);
}

/** Drops keys whose value is undefined (optional fields not given). */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
