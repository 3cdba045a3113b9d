/**
 * Who a dispatcher may hand a 随手拍 ticket to, for the phone's picker: the
 * village's synced accounts the shared rule accepts as assignees (the same
 * rule the assign command checks). Name, display name and role only.
 */
import { ticketAssignees } from '@cunbox/shared';
import type { PhoneRouter } from './router.ts';
import type { PhoneContext } from './context.ts';
import { replies } from '../openapi.ts';

export function assigneeRoutes(router: PhoneRouter, ctx: PhoneContext): void {
  router.route({
    method: 'GET',
    url: '/ticket-assignees',
    access: 'tickets.dispatch',
    summary: 'The accounts a ticket may be assigned to (enabled, of a role that works tickets), by user name',
    reply: replies.many('assignees', 'Assignee'),
    handler: async ({ villageId }) => ({
      // Picked field by field: the account row holds more (camera scope) than a picker needs.
      assignees: ticketAssignees(await ctx.store.accounts.users(villageId)).map((u) => ({ username: u.username, displayName: u.displayName, role: u.role })),
    }),
  });
}
