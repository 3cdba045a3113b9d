/** What of a ticket a viewer sees, on the edge's API and the phone API alike. */
import type { Op } from '../../oplog/types.ts';
import { TICKET_WORKERS } from '../../auth/permissions.ts';
import type { Viewer } from '../viewer.ts';
import { OPEN311_STATUS, isBreached, type TicketState } from '../ticket.ts';

/** Who reported is shown to those who work tickets and to the reporter; nobody else. */
function seesReporter(viewer: Viewer, t: Pick<TicketState, 'reporter'>): boolean {
  return TICKET_WORKERS.has(viewer.role) || (t.reporter !== null && t.reporter === viewer.username);
}

export function ticketView(t: TicketState, viewer: Viewer, now: number) {
  return { ...t, reporter: seesReporter(viewer, t) ? t.reporter : null, breached: isBreached(t, now), open311Status: OPEN311_STATUS[t.status] };
}

/** A ticket's history as the viewer may see it: the creating op names its reporter only to those who see the reporter. */
export function ticketHistoryView(t: TicketState, ops: readonly Op[], viewer: Viewer) {
  const hide = !seesReporter(viewer, t);
  return ops.map((op) => {
    const hideThis = hide && op.type === 'ticket.created';
    return { id: op.id, hlc: op.hlc, actor: hideThis ? null : op.actor, type: op.type, payload: hideThis ? { ...op.payload, reporter: null } : op.payload };
  });
}
