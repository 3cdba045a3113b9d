/**
 * The shared governance commands read their lookups synchronously; the cloud
 * store answers asynchronously. So a command runs over state loaded before
 * it: `LoadedState` holds what has been read from the store, and its lookups
 * throw `NotLoaded` on anything else, never answering "absent" for a row it
 * did not read. `overLoaded` runs the command with the misses noted instead
 * (a pass answers "absent" for them and its outcome is thrown away), loads
 * every read the pass missed at once, and runs it again, until a pass read
 * nothing but loaded state: as many passes as the command's reads are deep
 * (a list, then each listed request's resident: three), not as many as it
 * has. Commands are pure functions of their lookups (the clock is fixed for
 * all passes), so the last pass is the answer; its drafts are then committed through the store's own
 * unit of work, whose merge tolerates a concurrent writer as it does the
 * edge's ops (docs/design/cloud-store.md).
 */
import { governanceModels, type AccountFacts, type EntityBase, type GovernanceLookups } from '@cunbox/shared';

/** What a pass read that was not loaded. */
export type Need = { entity: { kind: string; id: string } } | { list: string } | { account: string } | { media: string };

/** A read of state that was not loaded first: the runner loads `need` and runs again. */
export class NotLoaded extends Error {
  override readonly name = 'NotLoaded';
  readonly need: Need;
  constructor(need: Need) {
    super(`read of state not loaded before the command: ${JSON.stringify(need)}`);
    this.need = need;
  }
}

/** A stored file as `requireMedia` checks it. */
export interface MediaFacts {
  mime: string | null;
}

/** Reads the store for what a pass missed. */
export interface StateSource {
  entity(kind: string, id: string): Promise<EntityBase | undefined>;
  list(kind: string): Promise<EntityBase[]>;
  account(username: string): Promise<AccountFacts | undefined>;
  media(id: string): Promise<MediaFacts | undefined>;
  /** INVALID_INPUT for media that is missing or of the wrong kind, as the edge answers. */
  badMedia(id: string, kind: 'image' | 'pdf' | 'any'): Error;
}

const models = new Map(governanceModels.map((m) => [m.kind, m]));
const key = (kind: string, id: string) => `${kind}/${id}`;

/** What has been loaded; `undefined` entries are rows read and found absent. */
export class LoadedState {
  readonly entities = new Map<string, EntityBase | undefined>();
  readonly lists = new Map<string, EntityBase[]>();
  readonly accounts = new Map<string, AccountFacts | undefined>();
  readonly media = new Map<string, MediaFacts | undefined>();

  async load(need: Need, from: StateSource): Promise<void> {
    if ('entity' in need) this.entities.set(key(need.entity.kind, need.entity.id), await from.entity(need.entity.kind, need.entity.id));
    else if ('list' in need) this.lists.set(need.list, await from.list(need.list));
    else if ('account' in need) this.accounts.set(need.account, await from.account(need.account));
    else this.media.set(need.media, await from.media(need.media));
  }

  /**
   * Lookups over the loaded state only. Any other read throws NotLoaded; with
   * `missed`, it is handed to `missed` instead and answered as absent (the
   * caller then discards what the pass made of it).
   */
  lookups(now: number, newId: () => string, badMedia: StateSource['badMedia'], missed?: (need: Need) => void): GovernanceLookups {
    const miss = (need: Need): void => {
      if (!missed) throw new NotLoaded(need);
      missed(need);
    };
    const get = <S extends EntityBase>(kind: string, id: string): S | undefined => {
      const k = key(kind, id);
      if (!this.entities.has(k)) miss({ entity: { kind, id } });
      return this.entities.get(k) as S | undefined;
    };
    return {
      now,
      newId,
      get,
      list: <S extends EntityBase>(kind: string): S[] => {
        const l = this.lists.get(kind);
        if (!l) miss({ list: kind });
        return (l ?? []) as S[];
      },
      // Config entities (categories, types, rules) exist by default without any op, as on the edge.
      getOrInit: <S extends EntityBase>(kind: string, id: string): S => get<S>(kind, id) ?? (models.get(kind)!.init(id) as S),
      account: (username) => {
        if (!this.accounts.has(username)) miss({ account: username });
        return this.accounts.get(username);
      },
      requireMedia: (ids, kind) => {
        for (const id of ids) {
          if (!this.media.has(id)) {
            miss({ media: id });
            continue;
          }
          const m = this.media.get(id);
          const fits = m && (kind === 'any' || (kind === 'image' ? m.mime?.startsWith('image/') === true : m.mime === 'application/pdf'));
          if (!fits) throw badMedia(id, kind);
        }
      },
    };
  }
}

/** Deeper than any command's reads: a command that keeps asking is a bug, not a slow village. */
const MAX_PASSES = 20;

/**
 * Runs `fn` over lookups of state loaded from `from`: each pass notes every
 * read it missed, they are loaded together, and `fn` runs again; the first
 * pass that missed nothing gives the answer (or its error). `newId` is asked
 * afresh each pass; only the last pass's ids are kept.
 */
export async function overLoaded<T>(from: StateSource, now: number, newId: () => string, fn: (look: GovernanceLookups) => T): Promise<T> {
  const state = new LoadedState();
  for (let pass = 1; ; pass++) {
    const missed = new Map<string, Need>();
    const look = state.lookups(now, newId, (id, kind) => from.badMedia(id, kind), (need) => missed.set(JSON.stringify(need), need));
    let out: { ok: true; value: T } | { ok: false; err: unknown };
    try {
      out = { ok: true, value: fn(look) };
    } catch (err) {
      out = { ok: false, err };
    }
    if (missed.size === 0) {
      if (out.ok) return out.value;
      throw out.err;
    }
    if (pass >= MAX_PASSES) throw new NotLoaded(missed.values().next().value!);
    await Promise.all([...missed.values()].map((need) => state.load(need, from)));
  }
}
