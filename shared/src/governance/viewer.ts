import type { Role } from '../auth/roles.ts';

/** Who looks: enough to decide what of a record they may see. */
export interface Viewer {
  username: string;
  role: Role;
}
