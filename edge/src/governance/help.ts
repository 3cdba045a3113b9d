import {
  helpCommands as cmd,
  helpCounts,
  helpTypes,
  residentCommands,
  residentInScope,
  visibleHelpRequest,
  canSeeHelp,
  helpResident,
  type HelpRequestState,
  type HelpType,
  type NewHelpRequest,
  type Op,
  type ResidentFields,
  type ResidentState,
} from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { execute, lookupsOf, requireEntity, type Actor, type GovContext } from './common.ts';

export type { ResidentFields };

// The resident view (what of a profile a viewer sees) is shared with the cloud's phone API.
export { residentView } from '@cunbox/shared';

/** Residents (profiles with 低保/残障/老龄 flags) and help requests for special groups: the shared commands over the edge's store. */
export class HelpService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  // — residents —

  createResident(actor: Actor, fields: ResidentFields & { name: string }): ResidentState {
    return this.resident(execute(this.#ctx, residentCommands.create, actor, fields));
  }

  updateResident(actor: Actor, id: string, fields: ResidentFields): ResidentState {
    return this.resident(execute(this.#ctx, residentCommands.update, actor, id, fields));
  }

  resident(id: string): ResidentState {
    return requireEntity<ResidentState>(this.#ctx, 'resident', id, 'resident');
  }

  /** Residents a viewer may list: staff all, a grid worker those of their grid. */
  residents(viewer: Actor, opts: { gridWorker?: string } = {}): ResidentState[] {
    const all = this.#ctx.store.list<ResidentState>('resident').sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    const mine = all.filter((r) => residentInScope(viewer, r));
    return opts.gridWorker === undefined ? mine : mine.filter((r) => r.gridWorker === opts.gridWorker);
  }

  /** One resident, if the viewer's list would show them; otherwise the same 404 as for one that does not exist. */
  residentFor(viewer: Actor, id: string): ResidentState {
    const r = this.resident(id);
    if (!residentInScope(viewer, r)) throw new CunboxError('NOT_FOUND', `no resident ${id}`);
    return r;
  }

  /** Special groups as counts only (the public-report form). */
  stats(): { residents: number; dibao: number; disabled: number; elderly: number } {
    const all = this.#ctx.store.list<ResidentState>('resident');
    return { residents: all.length, dibao: all.filter((r) => r.dibao).length, disabled: all.filter((r) => r.disabled).length, elderly: all.filter((r) => r.elderly).length };
  }

  /** Residents and households (distinct addresses; a resident without one is a household alone): the screen's village facts. */
  facts(): { population: number; households: number } {
    const all = this.#ctx.store.list<ResidentState>('resident');
    const addresses = new Set<string>();
    let alone = 0;
    for (const r of all) {
      const a = r.address?.trim();
      if (a) addresses.add(a);
      else alone++;
    }
    return { population: all.length, households: addresses.size + alone };
  }

  residentOf(username: string): ResidentState | undefined {
    return this.#ctx.store.list<ResidentState>('resident', { filter: "json_extract(state, '$.username') = ?", params: [username], limit: 1 })[0];
  }

  // — help types —

  types(): HelpType[] {
    return helpTypes(lookupsOf(this.#ctx));
  }

  setType(actor: Actor, code: string, fields: { name?: string; active?: boolean }): HelpType {
    execute(this.#ctx, cmd.setType, actor, code, fields);
    return this.#ctx.store.getOrInit<HelpType>('help_type', code);
  }

  // — help requests —

  /** One tap: a resident with an account asks for themselves; staff and grid workers ask for anyone they look after. */
  request(actor: Actor, input: NewHelpRequest): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.request, actor, input));
  }

  /** Open requests counted per type (the big screen): nothing about who or why. */
  openCounts(): ReturnType<typeof helpCounts> {
    const open = ['submitted', 'assigned', 'in_progress'].flatMap((status) => this.#ctx.store.list<HelpRequestState>('help_request', { filter: "json_extract(state, '$.status') = ?", params: [status] }));
    return helpCounts(open);
  }

  /** Requests a viewer may see: staff all; grid workers their residents' and their assignments; others their own. */
  list(viewer: Actor, filter: { status?: string } = {}): HelpRequestState[] {
    const all = this.#ctx.store.list<HelpRequestState>('help_request', filter.status ? { filter: "json_extract(state, '$.status') = ?", params: [filter.status] } : {});
    const look = lookupsOf(this.#ctx);
    return all.filter((h) => canSeeHelp(viewer, h, helpResident(look, h)));
  }

  get(viewer: Actor, id: string): HelpRequestState {
    return visibleHelpRequest(lookupsOf(this.#ctx), viewer, id);
  }

  history(viewer: Actor, id: string): Op[] {
    this.get(viewer, id);
    return this.#ctx.store.history('help_request', id);
  }

  assign(actor: Actor, id: string, assignee: string, note?: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.assign, actor, id, { assignee, note }));
  }

  start(actor: Actor, id: string, note?: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.start, actor, id, { note }));
  }

  resolve(actor: Actor, id: string, note: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.resolve, actor, id, { note }));
  }

  close(actor: Actor, id: string, note?: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.close, actor, id, { note }));
  }

  /** The requester changes their mind (or staff cancel). */
  cancel(actor: Actor, id: string, note?: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.cancel, actor, id, { note }));
  }

  followUp(actor: Actor, id: string, text: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.followUp, actor, id, { text }));
  }

  review(actor: Actor, id: string): HelpRequestState {
    return this.#require(execute(this.#ctx, cmd.review, actor, id));
  }

  #require(id: string): HelpRequestState {
    return requireEntity<HelpRequestState>(this.#ctx, 'help_request', id, 'help request');
  }
}
