/**
 * What every phone-API route module works with: the store, the caller, the
 * error table (through `fail`, so these modules need nothing from http.ts at
 * run time), and the village as the shared governance commands read it
 * (lookups) and commit their answers (run): the rules are the commands', the
 * same on the edge.
 */
import { ID_PATTERN_SOURCE, newId, type Actor, type CommandResult, type EntityBase, type GovernanceLookups, type OpDraft } from '@cunbox/shared';
import type { Logger } from 'pino';
import type { CloudErrorCode } from '../errors.ts';
import type { AsyncCloudStore } from '../store-async.ts';
import type { ListCursor } from '../store.ts';
import type { CloudMedia } from '../media.ts';
import type { CloudRelay } from '../relay.ts';
import type { CloudLiveRelay } from '../relay-live.ts';
import type { VillageUser } from '../accounts.ts';
import type { LoginLimiter } from './rate-limit.ts';
import { overLoaded, type StateSource } from './loaded-lookups.ts';

export interface PhoneContext {
  store: AsyncCloudStore;
  log: Logger;
  now: () => number;
  /** Ops were committed: sync pushes them down to the edge. */
  onCommit: () => void;
  /** An error from the cloud's error table. */
  fail: (code: CloudErrorCode, message: string) => Error;
  /** Uploaded media (media.ts); absent: phones cannot attach photos. */
  media?: CloudMedia;
  /** Camera pictures relayed from the village's edge (relay.ts); absent: no camera routes. */
  relay?: CloudRelay;
  /** Live view relayed from the village's edge (relay-live.ts); absent: no live route. */
  live?: CloudLiveRelay;
  /** Failed sign-ins per account and per address, counted in the database: a restart of the cloud does not reset a lockout. */
  logins: LoginLimiter;
}

/** The caller of a route: their village and their synced account. */
export interface Call<B = unknown, Q = unknown, P = Record<string, string>> {
  villageId: number;
  user: VillageUser;
  body: B;
  query: Q;
  params: P;
  ip: string;
}

/**
 * The village as a route sees it. Reads and commits go to the asynchronous
 * store; a shared command (or a shared read such as ticketCategories) runs
 * over state loaded before it (loaded-lookups.ts), then commits through the
 * store's unit of work.
 */
export class Village {
  readonly #ctx: PhoneContext;
  readonly id: number;
  constructor(ctx: PhoneContext, villageId: number) {
    this.#ctx = ctx;
    this.id = villageId;
  }

  list<S extends EntityBase>(kind: string): Promise<S[]> {
    return this.#ctx.store.list<S>(this.id, kind);
  }

  /** The village's entities of a kind, newest first, read a page at a time as the caller goes on. */
  async *newest<S extends EntityBase>(kind: string, pageSize = 200): AsyncGenerator<S> {
    let before: ListCursor | undefined;
    for (;;) {
      const page = await this.#ctx.store.listPage<S>(this.id, kind, pageSize, before);
      yield* page;
      const last = page[page.length - 1];
      if (page.length < pageSize || !last || last.createdAt === null) return;
      before = { createdAt: last.createdAt, id: last.id };
    }
  }

  get<S extends EntityBase>(kind: string, id: string): Promise<S | undefined> {
    return this.#ctx.store.entity<S>(this.id, kind, id);
  }

  /** Same answer as the edge's NOT_FOUND for a record the caller may not see. */
  async require<S extends EntityBase>(kind: string, id: string, label: string): Promise<S> {
    const s = await this.get<S>(kind, id);
    if (!s) throw this.#ctx.fail('NOT_FOUND', `no ${label} ${id}`);
    return s;
  }

  /** Commits as a peer and lets sync push the ops down. */
  async commit(actor: string, drafts: OpDraft[]): Promise<void> {
    await this.#ctx.store.commit(this.id, actor, drafts);
    this.#ctx.onCommit();
  }

  /**
   * Records an audited action of a phone user (a read of unmasked data, …) in
   * the cloud's audit log; sync carries it to the village's edge. Ids and
   * field names only in `detail`, never the values shown.
   */
  async audit(call: Pick<Call, 'user' | 'ip'>, action: string, target: string | null, detail: Record<string, unknown>): Promise<void> {
    await this.#ctx.store.audit.record(this.id, { at: this.#ctx.now(), actor: call.user.username, role: call.user.role, action, target, detail: { ...detail, via: 'phone' }, ip: call.ip });
    this.#ctx.onCommit();
  }

  newId(): string {
    return newId(this.#ctx.now());
  }

  /** Runs a shared read (the village's entities, its synced accounts, its uploaded media) over state loaded for it. */
  read<T>(fn: (look: GovernanceLookups) => T): Promise<T> {
    return overLoaded(this.#source(), this.#ctx.now(), () => this.newId(), fn);
  }

  /** Runs a shared command on the village's state and commits what it answers; returns the entity it made or changed. */
  async run<A extends unknown[]>(command: (look: GovernanceLookups, actor: Actor, ...args: A) => CommandResult, actor: Actor, ...args: A): Promise<string> {
    const r = await this.read((look) => command(look, actor, ...args));
    await this.commit(r.actor, r.drafts);
    return r.entityId;
  }

  /** Where a command's reads are loaded from: this village in the store, and its media (a record never points at nothing). */
  #source(): StateSource {
    const { store, media, fail } = this.#ctx;
    return {
      entity: (kind, id) => this.get(kind, id),
      list: (kind) => this.list(kind),
      account: async (username) => {
        const a = await store.accounts.user(this.id, username);
        return a && { username: a.username, role: a.role, disabled: a.disabled };
      },
      media: async (id) => {
        const m = await media?.find(this.id, id);
        return m && { mime: m.mime };
      },
      badMedia: (id, kind) => fail('INVALID_INPUT', kind === 'image' ? `photos: no uploaded photo ${id} (POST /media first)` : `no uploaded ${kind === 'pdf' ? 'PDF' : 'file'} ${id}`),
    };
  }
}

// — closed JSON schemas: an unknown field is a 400, never ignored —
export const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
/** Free text: cleaned by the shared rule (no control or bidi characters, not blank-only; NFC), as on the edge. */
export const text = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength, freeText: true });
export const line = (maxLength = 200) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\n\\r]*\\S[^\\n\\r]*$', freeText: true });
export const ID = { type: 'string', pattern: ID_PATTERN_SOURCE };
export const CODE = { type: 'string', pattern: '^[a-z][a-z0-9_]{1,31}$' };
export const USERNAME = { type: 'string', pattern: '^[\\p{L}\\p{N}_.-]{2,32}$' };
export const BOOL = { type: 'boolean' };
export const NOTE_BODY = obj({ note: text(2000) });
export const REASON_BODY = obj({ reason: text(2000, 1) }, ['reason']);
export const LIMIT = { type: 'integer', minimum: 1, maximum: 500 };
