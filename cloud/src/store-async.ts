/**
 * The cloud store as the server database needs it: every call returns a
 * Promise. PostgreSQL (pg/store.ts) implements it natively; SQLite through
 * `asyncStore`, which runs the synchronous store and hands back its result.
 * The shared op log and the edge stay synchronous (docs/design/cloud-store.md).
 */
import type { EntityBase } from '@cunbox/shared';
import type { AccountStore } from './accounts.ts';
import type { AuditStore } from './audit.ts';
import type { AsyncFailureLog } from './phone/rate-limit.ts';
import type { ReplyLog } from './phone/idempotency.ts';
import type { CloudStore, ListCursor } from './store.ts';
import type { MediaIndex } from './media-index.ts';

/** The same methods, each returning a Promise of what the synchronous one returns. */
type Promised<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : T[K] };

export type { AsyncFailureLog };

export interface AsyncReplyLog extends Promised<ReplyLog> {}

export interface AsyncAccountStore extends Promised<Omit<AccountStore, 'loginFailures' | 'phoneReplies'>> {
  readonly loginFailures: AsyncFailureLog;
  readonly phoneReplies: AsyncReplyLog;
}

export interface AsyncAuditStore extends Promised<AuditStore> {}

export interface AsyncCloudStore extends Promised<Omit<CloudStore, 'accounts' | 'audit' | 'list' | 'listPage' | 'entity' | 'close'>> {
  list<S extends EntityBase>(villageId: number, kind: string): Promise<S[]>;
  listPage<S extends EntityBase>(villageId: number, kind: string, limit: number, before?: ListCursor): Promise<S[]>;
  entity<S extends EntityBase>(villageId: number, kind: string, id: string): Promise<S | undefined>;
  readonly accounts: AsyncAccountStore;
  readonly audit: AsyncAuditStore;
  close(): Promise<void>;
}

/** The parts of a store that are stores themselves. */
const NESTED = new Set<PropertyKey>(['accounts', 'audit', 'loginFailures', 'phoneReplies']);

/**
 * A synchronous store seen through the asynchronous interface: each method
 * runs at once and its result (or error) comes back as a Promise.
 */
export function asyncStore(store: CloudStore): AsyncCloudStore {
  return promised(store) as AsyncCloudStore;
}

function promised(target: object): unknown {
  return new Proxy(target, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      // Bound to the real object: the stores keep their state in private fields.
      if (typeof v === 'function') return async (...args: unknown[]) => (v as (...a: unknown[]) => unknown).apply(t, args);
      if (NESTED.has(prop) && v !== null && typeof v === 'object') return promised(v);
      return v;
    },
  });
}

export interface AsyncMediaIndex extends Promised<MediaIndex> {}

/** The media index seen through the asynchronous interface, as `asyncStore` does for the store. */
export function asyncMediaIndex(index: MediaIndex): AsyncMediaIndex {
  return promised(index) as AsyncMediaIndex;
}
