import { looksAfter } from './residents/commands.ts';
import type { ResidentState } from './help.ts';
import { maskIdNumber, maskPhone } from './mask.ts';
import type { Viewer } from './viewer.ts';

// Viewer has its own module: the residents' commands need it too, and resident-view.ts needs them.
export type { Viewer } from './viewer.ts';

/** A resident as a viewer may see it: sensitive fields in full only for those allowed. */
export interface ResidentView {
  id: string;
  name: string;
  address: string | null;
  gridWorker: string | null;
  username: string | null;
  idNumber: string | null;
  phone: string | null;
  /** null: not shown to this viewer. */
  dibao: boolean | null;
  disabled: boolean | null;
  elderly: boolean | null;
  notes: string | null;
  /** Whether the sensitive fields are shown in full (such reads are audited). */
  sensitive: boolean;
  createdAt: number | null;
  updatedAt: number | null;
}

/**
 * Who sees a resident's ID number, phone, special-group flags and notes in
 * full: admins and cadres, and the grid worker responsible for the resident
 * ("group leaders see only their group"). Everyone else sees masked numbers
 * and no flags. Shared: the edge's API and the cloud's phone API mask alike.
 */
function canSeeSensitive(viewer: Viewer, r: ResidentState): boolean {
  return looksAfter(viewer, r);
}

/**
 * `maskIdAlways`: the phone API never shows an ID number in full, even to those allowed.
 * `masked`: shown as to someone not allowed, whoever asks (a list that reveals nothing,
 * so it needs no audit; the full record is read one at a time, on purpose).
 */
export function residentView(r: ResidentState, viewer: Viewer, opts: { maskIdAlways?: boolean; masked?: boolean } = {}): ResidentView {
  const full = !opts.masked && canSeeSensitive(viewer, r);
  return {
    id: r.id,
    name: r.name,
    address: r.address,
    gridWorker: r.gridWorker,
    username: r.username,
    idNumber: full && !opts.maskIdAlways ? r.idNumber : maskIdNumber(r.idNumber),
    phone: full ? r.phone : maskPhone(r.phone),
    dibao: full ? r.dibao : null,
    disabled: full ? r.disabled : null,
    elderly: full ? r.elderly : null,
    notes: full ? r.notes : null,
    sensitive: full,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
