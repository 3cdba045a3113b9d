/**
 * A village held in memory for the governance commands: a Replica of the
 * shared models answers their lookups, and `run` commits what a command
 * returns as ops of one node. The commands are pure, so this is the whole
 * "adapter" a test needs.
 */
import { CunboxError, HlcClock, Replica, governanceModels, newId, type AccountFacts, type CommandResult, type EntityBase, type GovernanceLookups, type Op } from '@cunbox/shared';

const models = new Map(governanceModels.map((m) => [m.kind, m]));

export class MemoryVillage implements GovernanceLookups {
  now: number;
  readonly replica = new Replica(governanceModels);
  readonly ops: Op[] = [];
  readonly #accounts: Map<string, AccountFacts>;
  readonly #media = new Map<string, 'image' | 'pdf'>();
  readonly #hlc: HlcClock;
  #seq = 0;
  readonly #ids = new Map<string, string[]>();

  constructor(opts: { now: number; accounts: readonly AccountFacts[]; media?: Record<string, 'image' | 'pdf'> }) {
    this.now = opts.now;
    this.#accounts = new Map(opts.accounts.map((a) => [a.username, a]));
    for (const [id, kind] of Object.entries(opts.media ?? {})) this.#media.set(id, kind);
    this.#hlc = new HlcClock({ node: '00000000000000aa', now: () => this.now });
  }

  newId(): string {
    return newId(this.now);
  }

  get<S extends EntityBase>(kind: string, id: string): S | undefined {
    const s = this.replica.get<S>(kind, id);
    return s?.exists ? s : undefined;
  }

  /** Newest first, as both stores list. */
  list<S extends EntityBase>(kind: string): S[] {
    return (this.#ids.get(kind) ?? []).map((id) => this.get<S>(kind, id)).filter((s): s is S => s !== undefined).reverse();
  }

  getOrInit<S extends EntityBase>(kind: string, id: string): S {
    return this.replica.get<S>(kind, id) ?? (models.get(kind)!.init(id) as S);
  }

  account(username: string): AccountFacts | undefined {
    return this.#accounts.get(username);
  }

  requireMedia(ids: readonly string[], kind: 'image' | 'pdf' | 'any'): void {
    for (const id of ids) {
      const m = this.#media.get(id);
      if (!m || (kind !== 'any' && m !== kind)) throw new CunboxError('INVALID_INPUT', `no ${kind} ${id}`);
    }
  }

  /** Commits a command's result; returns its ops. */
  run<R extends CommandResult>(r: R): R & { committed: Op[] } {
    const committed = r.drafts.map((d) => {
      const seq = ++this.#seq;
      const op: Op = { id: `00000000000000aa.${seq}`, origin: '00000000000000aa', seq, hlc: this.#hlc.now(), actor: r.actor, ...d };
      const known = this.#ids.get(d.entityKind) ?? [];
      if (!known.includes(d.entityId)) this.#ids.set(d.entityKind, [...known, d.entityId]);
      this.replica.apply(op);
      this.ops.push(op);
      return op;
    });
    return { ...r, committed };
  }
}
