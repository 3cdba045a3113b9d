// The menu a role sees: each entry names the permission its page needs, from the
// same table the edge checks (shared/src/auth/permissions.ts). A villager never sees
// an admin entry, and a page a role cannot use is not routed to either.
import type { Permission } from '../../shared/src/auth/permissions.ts';

export interface MenuEntry {
  path: string;
  /** i18n key of the label. */
  label: string;
  permission: Permission;
}

export const MENU: readonly MenuEntry[] = [
  { path: '/tickets', label: 'menu.tickets', permission: 'tickets.read' },
  { path: '/certificates', label: 'menu.certificates', permission: 'certificates.request' },
  { path: '/announcements', label: 'menu.announcements', permission: 'announcements.read' },
  { path: '/cameras', label: 'menu.cameras', permission: 'video.view' },
  { path: '/users', label: 'menu.users', permission: 'users.manage' },
];
