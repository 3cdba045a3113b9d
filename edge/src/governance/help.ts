import {
  DEFAULT_HELP_TYPES,
  HELP_TRANSITIONS,
  helpCounts,
  newId,
  type HelpRequestState,
  type HelpType,
  type Op,
  type ResidentState,
} from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { defined, forbid, newEntityId, requireEntity, requireUser, reviewDraft, statusDraft, type Actor, type GovContext } from './common.ts';

const STAFF = new Set(['admin', 'cadre']);
const HANDLERS = ['grid_worker', 'cadre', 'admin'] as const;

export interface ResidentFields {
  name?: string;
  idNumber?: string | null;
  phone?: string | null;
  address?: string | null;
  gridWorker?: string | null;
  username?: string | null;
  dibao?: boolean;
  disabled?: boolean;
  elderly?: boolean;
  notes?: string | null;
}

// The resident view (what of a profile a viewer sees) is shared with the cloud's phone API.
export { canSeeSensitive, residentView, type ResidentView } from '@cunbox/shared';

/** Residents (profiles with 低保/残障/老龄 flags) and help requests for special groups. */
export class HelpService {
  readonly #ctx: GovContext;
  constructor(ctx: GovContext) {
    this.#ctx = ctx;
  }

  // — residents —

  createResident(actor: Actor, fields: ResidentFields & { name: string }): ResidentState {
    this.#checkResidentFields(fields);
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'resident', entityId: id, type: 'resident.created', payload: { fields: defined({ ...fields }) } }]);
    return this.resident(id);
  }

  updateResident(actor: Actor, id: string, fields: ResidentFields): ResidentState {
    this.resident(id);
    this.#checkResidentFields(fields);
    this.#ctx.store.commit(actor.username, [{ entityKind: 'resident', entityId: id, type: 'resident.updated', payload: { fields: defined({ ...fields }) } }]);
    return this.resident(id);
  }

  resident(id: string): ResidentState {
    return requireEntity<ResidentState>(this.#ctx, 'resident', id, 'resident');
  }

  /** Residents a viewer may list: staff all, a grid worker those of their grid. */
  residents(viewer: Actor, opts: { gridWorker?: string } = {}): ResidentState[] {
    const all = this.#ctx.store.list<ResidentState>('resident').sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    const mine = all.filter((r) => this.#inScope(viewer, r));
    return opts.gridWorker === undefined ? mine : mine.filter((r) => r.gridWorker === opts.gridWorker);
  }

  /** One resident, if the viewer's list would show them; otherwise the same 404 as for one that does not exist. */
  residentFor(viewer: Actor, id: string): ResidentState {
    const r = this.resident(id);
    if (!this.#inScope(viewer, r)) throw new CunboxError('NOT_FOUND', `no resident ${id}`);
    return r;
  }

  #inScope(viewer: Actor, r: ResidentState): boolean {
    return viewer.role !== 'grid_worker' || r.gridWorker === viewer.username;
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

  #checkResidentFields(f: ResidentFields): void {
    if (f.gridWorker) requireUser(this.#ctx, f.gridWorker, ['grid_worker'], 'gridWorker');
    if (f.username) {
      if (!this.#ctx.users.getByUsername(f.username)) throw new CunboxError('INVALID_INPUT', `username: no user ${f.username}`);
    }
  }

  // — help types —

  types(): HelpType[] {
    const stored = this.#ctx.store.list<HelpType>('help_type');
    const codes = new Set([...Object.keys(DEFAULT_HELP_TYPES), ...stored.map((c) => c.id)]);
    return [...codes].sort().map((code) => this.#ctx.store.getOrInit<HelpType>('help_type', code));
  }

  setType(actor: Actor, code: string, fields: { name?: string; active?: boolean }): HelpType {
    const existing = this.#ctx.store.getOrInit<HelpType>('help_type', code);
    if (!existing.exists && fields.name === undefined) throw new CunboxError('INVALID_INPUT', 'a new help type needs a name');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'help_type', entityId: code, type: 'help_type.set', payload: { fields: defined(fields) } }]);
    return this.#ctx.store.getOrInit<HelpType>('help_type', code);
  }

  // — help requests —

  /** One tap: a resident with an account asks for themselves; staff and grid workers ask for anyone. */
  request(actor: Actor, input: { type: string; residentId?: string; description?: string; urgent?: boolean }): HelpRequestState {
    const type = this.#ctx.store.getOrInit<HelpType>('help_type', input.type);
    if (!type.exists || !type.active) throw new CunboxError('INVALID_INPUT', `type: no active help type ${input.type}`);
    let residentId = input.residentId;
    if (residentId === undefined) {
      const own = this.residentOf(actor.username);
      if (!own) throw new CunboxError('INVALID_INPUT', 'residentId: your account is not linked to a resident profile; ask the village office');
      residentId = own.id;
    } else {
      const r = this.resident(residentId);
      if (r.username !== actor.username && !this.#isHandlerOf(actor, r)) forbid('you can ask for help only for yourself or residents you look after');
    }
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [
      { entityKind: 'help_request', entityId: id, type: 'help_request.created', payload: { residentId, type: type.id, typeName: type.name, description: input.description ?? '', urgent: input.urgent ?? false } },
    ]);
    return this.#require(id);
  }

  /** Open requests counted per type (the big screen): nothing about who or why. */
  openCounts(): ReturnType<typeof helpCounts> {
    const open = ['submitted', 'assigned', 'in_progress'].flatMap((status) => this.#ctx.store.list<HelpRequestState>('help_request', { filter: "json_extract(state, '$.status') = ?", params: [status] }));
    return helpCounts(open);
  }

  /** Requests a viewer may see: staff all; grid workers their residents' and their assignments; others their own. */
  list(viewer: Actor, filter: { status?: string } = {}): HelpRequestState[] {
    const all = this.#ctx.store.list<HelpRequestState>('help_request', filter.status ? { filter: "json_extract(state, '$.status') = ?", params: [filter.status] } : {});
    return all.filter((h) => this.#canSee(viewer, h));
  }

  get(viewer: Actor, id: string): HelpRequestState {
    const h = this.#require(id);
    if (!this.#canSee(viewer, h)) throw new CunboxError('NOT_FOUND', `no help request ${id}`);
    return h;
  }

  history(viewer: Actor, id: string): Op[] {
    this.get(viewer, id);
    return this.#ctx.store.history('help_request', id);
  }

  assign(actor: Actor, id: string, assignee: string, note?: string): HelpRequestState {
    const h = this.get(actor, id);
    requireUser(this.#ctx, assignee, HANDLERS, 'assignee');
    this.#ctx.store.commit(actor.username, [statusDraft(h, HELP_TRANSITIONS, 'assigned', { assignee, note: note ?? null })]);
    return this.#require(id);
  }

  start(actor: Actor, id: string, note?: string): HelpRequestState {
    return this.#move(actor, id, 'in_progress', note);
  }

  resolve(actor: Actor, id: string, note: string): HelpRequestState {
    return this.#move(actor, id, 'resolved', note);
  }

  close(actor: Actor, id: string, note?: string): HelpRequestState {
    return this.#move(actor, id, 'closed', note);
  }

  /** The requester changes their mind (or staff cancel). */
  cancel(actor: Actor, id: string, note?: string): HelpRequestState {
    const h = this.get(actor, id);
    if (h.createdBy !== actor.username && !STAFF.has(actor.role)) forbid('only the requester or the village office can cancel');
    this.#ctx.store.commit(actor.username, [statusDraft(h, HELP_TRANSITIONS, 'cancelled', { note: note ?? null })]);
    return this.#require(id);
  }

  followUp(actor: Actor, id: string, text: string): HelpRequestState {
    const h = this.get(actor, id);
    if (!this.#handles(actor, h)) forbid('only the assignee, the resident\'s grid worker or the village office can record a follow-up');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'help_request', entityId: id, type: 'help_request.followup', payload: { followUpId: newId(this.#ctx.clock.now()), text } }]);
    return this.#require(id);
  }

  review(actor: Actor, id: string): HelpRequestState {
    this.#ctx.store.commit(actor.username, [reviewDraft(this.get(actor, id))]);
    return this.#require(id);
  }

  #move(actor: Actor, id: string, to: 'in_progress' | 'resolved' | 'closed', note?: string): HelpRequestState {
    const h = this.get(actor, id);
    if (!this.#handles(actor, h)) forbid('only the assignee, the resident\'s grid worker or the village office can do this');
    this.#ctx.store.commit(actor.username, [statusDraft(h, HELP_TRANSITIONS, to, { note: note ?? null })]);
    return this.#require(id);
  }

  #require(id: string): HelpRequestState {
    return requireEntity<HelpRequestState>(this.#ctx, 'help_request', id, 'help request');
  }

  #isHandlerOf(actor: Actor, r: ResidentState): boolean {
    return STAFF.has(actor.role) || (actor.role === 'grid_worker' && r.gridWorker === actor.username);
  }

  #handles(actor: Actor, h: HelpRequestState): boolean {
    if (STAFF.has(actor.role)) return true;
    if (actor.role !== 'grid_worker') return false;
    if (h.assignee === actor.username) return true;
    const r = h.residentId ? this.#ctx.store.get<ResidentState>('resident', h.residentId) : undefined;
    return r?.gridWorker === actor.username;
  }

  #canSee(viewer: Actor, h: HelpRequestState): boolean {
    return h.createdBy === viewer.username || this.#handles(viewer, h);
  }
}
