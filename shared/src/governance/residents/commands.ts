/**
 * Resident profiles (低保/残障/老龄 flags): who may see which, and the checks a
 * profile's links must pass. Profiles are kept at the village office (the
 * edge); the phone API only reads them, through residentView.
 */
import { GRID_KEEPERS, RESIDENT_MANAGERS } from '../../auth/permissions.ts';
import type { ResidentState } from '../help.ts';
import type { Viewer } from '../viewer.ts';
import { defined, invalid, requireAccount, requireEntity, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';

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

/** Whether a viewer's lists show the resident: the village office all, a grid worker those of their grid. */
export function residentInScope(viewer: Viewer, r: Pick<ResidentState, 'gridWorker'>): boolean {
  return !GRID_KEEPERS.has(viewer.role) || r.gridWorker === viewer.username;
}

/** Looks after the resident: the village office, or the resident's own grid worker. */
export function looksAfter(viewer: Viewer, r: Pick<ResidentState, 'gridWorker'>): boolean {
  return RESIDENT_MANAGERS.has(viewer.role) || (GRID_KEEPERS.has(viewer.role) && r.gridWorker === viewer.username);
}

/** The resident profile linked to an account, if any. */
export function residentOf(look: Pick<GovernanceLookups, 'list'>, username: string): ResidentState | undefined {
  return look.list<ResidentState>('resident').find((r) => r.username === username);
}

function checkLinks(look: GovernanceLookups, f: ResidentFields): void {
  if (f.gridWorker) requireAccount(look, f.gridWorker, GRID_KEEPERS, 'gridWorker');
  if (f.username && !look.account(f.username)) invalid(`username: no user ${f.username}`);
}

export const residentCommands = {
  create(look: GovernanceLookups, actor: Actor, fields: ResidentFields & { name: string }): CommandResult {
    checkLinks(look, fields);
    const id = look.newId();
    return { actor: actor.username, drafts: [{ entityKind: 'resident', entityId: id, type: 'resident.created', payload: { fields: defined({ ...fields }) } }], entityId: id };
  },

  update(look: GovernanceLookups, actor: Actor, id: string, fields: ResidentFields): CommandResult {
    requireEntity<ResidentState>(look, 'resident', id, 'resident');
    checkLinks(look, fields);
    return { actor: actor.username, drafts: [{ entityKind: 'resident', entityId: id, type: 'resident.updated', payload: { fields: defined({ ...fields }) } }], entityId: id };
  },
};
