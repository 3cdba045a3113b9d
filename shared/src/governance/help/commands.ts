/**
 * Help requests for special groups: who may ask for whom, who handles and who
 * sees a request, as commands the edge's HelpService and the phone routes run.
 */
import { GRID_KEEPERS, HELP_HANDLERS, RESIDENT_MANAGERS } from '../../auth/permissions.ts';
import { DEFAULT_HELP_TYPES, type HelpType } from '../config.ts';
import { HELP_TRANSITIONS, type HelpRequestState, type ResidentState } from '../help.ts';
import type { Viewer } from '../viewer.ts';
import { CunboxError } from '../../platform/errors.ts';
import { looksAfter, residentOf } from '../residents/commands.ts';
import { defined, forbid, invalid, mayBeNamed, requireAccount, requireEntity, reviewDraft, statusDraft, type AccountFacts, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';

type Look = GovernanceLookups;

export interface NewHelpRequest {
  type: string;
  residentId?: string;
  description?: string;
  urgent?: boolean;
}

/** The accounts a request may be handed to (the ones `assign` accepts), in the order given. */
export function helpAssignees<A extends AccountFacts>(accounts: readonly A[]): A[] {
  return accounts.filter((u) => mayBeNamed(u, HELP_HANDLERS));
}

/** Every help type: the built-in ones and those added, by code. */
export function helpTypes(look: Pick<Look, 'list' | 'getOrInit'>): HelpType[] {
  const codes = new Set([...Object.keys(DEFAULT_HELP_TYPES), ...look.list<HelpType>('help_type').map((c) => c.id)]);
  return [...codes].sort().map((code) => look.getOrInit<HelpType>('help_type', code));
}

/** The resident a request is for (undefined: none, or not synced yet). */
export function helpResident(look: Pick<Look, 'get'>, h: Pick<HelpRequestState, 'residentId'>): ResidentState | undefined {
  return h.residentId ? look.get<ResidentState>('resident', h.residentId) : undefined;
}

/** Handles the request: the village office, its assignee, or the resident's grid worker. */
function handlesHelp(viewer: Viewer, h: Pick<HelpRequestState, 'assignee'>, resident: ResidentState | undefined): boolean {
  if (RESIDENT_MANAGERS.has(viewer.role)) return true;
  if (!GRID_KEEPERS.has(viewer.role)) return false;
  return h.assignee === viewer.username || resident?.gridWorker === viewer.username;
}

/** Sees the request: who asked, and who handles it. */
export function canSeeHelp(viewer: Viewer, h: Pick<HelpRequestState, 'assignee' | 'createdBy'>, resident: ResidentState | undefined): boolean {
  return h.createdBy === viewer.username || handlesHelp(viewer, h, resident);
}

/** A request the actor may see; one they may not is NOT_FOUND, as one that does not exist. */
export function visibleHelpRequest(look: Pick<Look, 'get'>, viewer: Viewer, id: string): HelpRequestState {
  const h = requireEntity<HelpRequestState>(look, 'help_request', id, 'help request');
  if (!canSeeHelp(viewer, h, helpResident(look, h))) throw new CunboxError('NOT_FOUND', `no help request ${id}`);
  return h;
}

function move(look: Look, actor: Actor, id: string, to: 'in_progress' | 'resolved' | 'closed', note: string | undefined): CommandResult {
  const h = visibleHelpRequest(look, actor, id);
  if (!handlesHelp(actor, h, helpResident(look, h))) forbid("only the assignee, the resident's grid worker or the village office can do this");
  return { actor: actor.username, drafts: [statusDraft(h, HELP_TRANSITIONS, to, { note: note ?? null })], entityId: id };
}

export const helpCommands = {
  setType(look: Look, actor: Actor, code: string, fields: { name?: string; active?: boolean }): CommandResult {
    const existing = look.getOrInit<HelpType>('help_type', code);
    if (!existing.exists && fields.name === undefined) invalid('a new help type needs a name');
    return { actor: actor.username, drafts: [{ entityKind: 'help_type', entityId: code, type: 'help_type.set', payload: { fields: defined({ ...fields }) } }], entityId: code };
  },

  /** One tap: a resident with a linked account asks for themselves; whoever looks after a resident asks for them. */
  request(look: Look, actor: Actor, input: NewHelpRequest): CommandResult {
    const type = look.getOrInit<HelpType>('help_type', input.type);
    if (!type.exists || !type.active) invalid(`type: no active help type ${input.type}`);
    let residentId = input.residentId;
    if (residentId === undefined) {
      const own = residentOf(look, actor.username);
      if (!own) invalid('residentId: your account is not linked to a resident profile; ask the village office');
      residentId = own.id;
    } else {
      const r = requireEntity<ResidentState>(look, 'resident', residentId, 'resident');
      if (r.username !== actor.username && !looksAfter(actor, r)) forbid('you can ask for help only for yourself or residents you look after');
    }
    const id = look.newId();
    return {
      actor: actor.username,
      drafts: [{ entityKind: 'help_request', entityId: id, type: 'help_request.created', payload: { residentId, type: type.id, typeName: type.name, description: input.description ?? '', urgent: input.urgent ?? false } }],
      entityId: id,
    };
  },

  assign(look: Look, actor: Actor, id: string, input: { assignee: string; note?: string }): CommandResult {
    const h = visibleHelpRequest(look, actor, id);
    requireAccount(look, input.assignee, HELP_HANDLERS, 'assignee');
    return { actor: actor.username, drafts: [statusDraft(h, HELP_TRANSITIONS, 'assigned', { assignee: input.assignee, note: input.note ?? null })], entityId: id };
  },

  start: (look: Look, actor: Actor, id: string, input: { note?: string } = {}) => move(look, actor, id, 'in_progress', input.note),
  resolve: (look: Look, actor: Actor, id: string, input: { note: string }) => move(look, actor, id, 'resolved', input.note),
  close: (look: Look, actor: Actor, id: string, input: { note?: string } = {}) => move(look, actor, id, 'closed', input.note),

  /** The requester changes their mind (or the village office cancels). */
  cancel(look: Look, actor: Actor, id: string, input: { note?: string } = {}): CommandResult {
    const h = visibleHelpRequest(look, actor, id);
    if (h.createdBy !== actor.username && !RESIDENT_MANAGERS.has(actor.role)) forbid('only the requester or the village office can cancel');
    return { actor: actor.username, drafts: [statusDraft(h, HELP_TRANSITIONS, 'cancelled', { note: input.note ?? null })], entityId: id };
  },

  followUp(look: Look, actor: Actor, id: string, input: { text: string }): CommandResult {
    const h = visibleHelpRequest(look, actor, id);
    if (!handlesHelp(actor, h, helpResident(look, h))) forbid("only the assignee, the resident's grid worker or the village office can record a follow-up");
    return { actor: actor.username, drafts: [{ entityKind: 'help_request', entityId: id, type: 'help_request.followup', payload: { followUpId: look.newId(), text: input.text } }], entityId: id };
  },

  review(look: Look, actor: Actor, id: string): CommandResult {
    return { actor: actor.username, drafts: [reviewDraft(visibleHelpRequest(look, actor, id))], entityId: id };
  },
};
