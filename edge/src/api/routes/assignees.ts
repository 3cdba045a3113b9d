import { assigneeOf, helpAssignees, ticketAssignees } from '@cunbox/shared';
import type { Api, RouteContext } from '../route-context.ts';
import { Many } from '../replies.ts';
import { NoQuery } from '../schemas.ts';

/**
 * Who a ticket or a help request may be handed to, for the office's pickers:
 * the box's accounts the shared rule accepts as assignees (the same rule each
 * assign command checks), as the phone API lists the village's. Name, display
 * name and role only.
 */
export async function assigneeRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  // By user name as code points, the order the cloud lists a village's accounts in.
  const accounts = () => deps.users.list().sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  app.get(
    '/api/ticket-assignees',
    { config: { access: 'tickets.dispatch' }, schema: { tags: ['tickets'], summary: 'The accounts a ticket may be assigned to (enabled, of a role that works tickets), by user name', querystring: NoQuery, response: { 200: Many('assignees', 'Assignee') } } },
    async () => ({ assignees: ticketAssignees(accounts()).map(assigneeOf) }),
  );
  // Whoever may assign a help request (the assign route's permission) may see whom to.
  app.get(
    '/api/help-assignees',
    { config: { access: 'help.handle' }, schema: { tags: ['help'], summary: 'The accounts a help request may be assigned to (enabled, of a role that handles help), by user name', querystring: NoQuery, response: { 200: Many('assignees', 'Assignee') } } },
    async () => ({ assignees: helpAssignees(accounts()).map(assigneeOf) }),
  );
}
