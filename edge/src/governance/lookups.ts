import { newId, type GovernanceLookups } from '@cunbox/shared';
import type { GovContext } from './common.ts';

/**
 * What a shared governance command may read, answered from the edge's op
 * store, user table and media store. `now` is read once, so one command sees
 * one instant.
 */
export function edgeLookups(ctx: GovContext): GovernanceLookups {
  const now = ctx.clock.now();
  return {
    now,
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
