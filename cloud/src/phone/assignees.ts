/**
 * Who a ticket or a help request may be handed to, for the phone's pickers:
 * the village's synced accounts the shared rule accepts as assignees (the
 * same rule each assign command checks). Name, display name and role only.
 */
import { assigneeOf, helpAssignees, ticketAssignees } from '@cunbox/shared';
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
    handler: async ({ villageId }) => ({ assignees: ticketAssignees(await ctx.store.accounts.users(villageId)).map(assigneeOf) }),
  });
  router.route({
    method: 'GET',
    url: '/help-assignees',
    // Whoever may assign a help request (the assign route's permission) may see whom to.
    access: 'help.handle',
    summary: 'The accounts a help request may be assigned to (enabled, of a role that handles help), by user name',
    reply: replies.many('assignees', 'Assignee'),
    handler: async ({ villageId }) => ({ assignees: helpAssignees(await ctx.store.accounts.users(villageId)).map(assigneeOf) }),
  });
}
