import { newId, type Actor, type CommandResult, type GovernanceLookups } from '@cunbox/shared';
import type { GovContext } from './common.ts';

/**
 * What a shared governance command may read on the edge: the op store, the
 * user table and the media store. `now` is read once, so one command sees one
 * instant.
 */
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

/** Runs a shared command on the edge's state and commits what it answers (nothing to commit: no transaction). */
export function run<R extends CommandResult, A extends unknown[]>(ctx: GovContext, command: (look: GovernanceLookups, actor: Actor, ...args: A) => R, actor: Actor, ...args: A): R {
  const r = command(lookupsOf(ctx), actor, ...args);
  if (r.drafts.length > 0) ctx.store.commit(r.actor, r.drafts);
  return r;
}
