// The menu a role sees: each entry names the permission its page needs, from the
// same table the edge checks (shared/src/auth/permissions.ts). A villager never sees
// an admin entry, and a page a role cannot use is not routed to either.
import type { Permission } from '../../shared/src/auth/permissions.ts';

export interface MenuEntry {
  path: string;
  /** i18n key of the label. */
  label: string;
  /** Absent: every signed-in account (e.g. its own API tokens). */
  permission?: Permission;
}

export const MENU: readonly MenuEntry[] = [
  { path: '/tickets', label: 'menu.tickets', permission: 'tickets.read' },
  { path: '/certificates', label: 'menu.certificates', permission: 'certificates.request' },
  { path: '/announcements', label: 'menu.announcements', permission: 'announcements.read' },
  { path: '/cameras', label: 'menu.cameras', permission: 'video.view' },
  { path: '/help', label: 'menu.help', permission: 'help.request' },
  { path: '/residents', label: 'menu.residents', permission: 'residents.read' },
  { path: '/party', label: 'menu.party', permission: 'party.read' },
  { path: '/exports', label: 'menu.exports', permission: 'video.export' },
  { path: '/users', label: 'menu.users', permission: 'users.manage' },
  { path: '/audit', label: 'menu.audit', permission: 'audit.read' },
  { path: '/system', label: 'menu.system', permission: 'system.doctor' },
  { path: '/tokens', label: 'menu.tokens' },
];
