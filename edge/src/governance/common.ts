import { newId, requireEntity as requireIn, type Actor, type CommandResult, type EntityBase, type GovernanceLookups } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { UserStore } from '../auth/users.ts';
import type { MediaStore } from './media.ts';
import type { OpStore } from './store.ts';

// The services name their actor with the shared commands' type.
export { type Actor } from '@cunbox/shared';

/** What every governance service works with. */
export interface GovContext {
  store: OpStore;
  clock: Clock;
  log: Logger;
  media: MediaStore;
  users: UserStore;
}

export function requireEntity<S extends EntityBase>(ctx: GovContext, kind: string, id: string, label: string): S {
  return requireIn<S>(ctx.store, kind, id, label);
}

/** What a shared command may read on the edge: the op store, the user table and the media store. */
export function lookupsOf(ctx: GovContext): GovernanceLookups {
  return {
    now: ctx.clock.now(),
    newId: () => newId(ctx.clock.now()),
    get: (kind, id) => ctx.store.get(kind, id),
    list: (kind) => ctx.store.list(kind),
    getOrInit: (kind, id) => ctx.store.getOrInit(kind, id),
    account: (username) => {
      const u = ctx.users.getByUsername(username);
      return u && { username: u.username, role: u.role, disabled: u.disabled };
    },
    requireMedia: (ids, kind) => ctx.media.requireAll(ids, kind === 'any' ? undefined : kind),
  };
}

/** Runs a shared command on the edge's state and commits what it answers; returns the entity it made or changed. */
export function execute<A extends unknown[]>(ctx: GovContext, command: (look: GovernanceLookups, actor: Actor, ...args: A) => CommandResult, actor: Actor, ...args: A): string {
  const r = command(lookupsOf(ctx), actor, ...args);
  ctx.store.commit(r.actor, r.drafts);
  return r.entityId;
}
