/**
 * Who is responsible, across a partition: the office on the edge and a cadre
 * on the phone reassign the same ticket (and the same help request) to
 * different workers while the link is down. After sync both sides show the
 * same worker, and the entity is flagged for review with a conflict naming
 * both, so the worker who lost it can be told. Real cloud, real edge, real
 * broker (Aedes), real sync.
 */
import t from 'tap';
import { seenAssignee, type HelpRequestState, type TicketState } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './helpers/phone.ts';
import { TEST_SYNC_OPTIONS } from '@cunbox/test-support/edge-sync';
import { tmpDir } from '@cunbox/test-support/tmp';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const dir = tmpDir(t, 'cunbox-reassign-');
const ACCOUNTS = [
  { username: 'wangfang', role: 'cadre' },
  { username: 'liwei', role: 'grid_worker' },
  { username: 'zhaoliu', role: 'grid_worker' },
  { username: 'sunqi', role: 'grid_worker' },
  { username: 'zhangsan', role: 'villager' },
] as const;
const CADRE = { username: 'wangfang', role: 'cadre' } as const;

let rig: BrokerRig;
let village: PairedVillage;
let edge: VillageEdge;
let token: string;
const phone = (method: string, path: string, body?: unknown) => http(rig, method, `/api/v1/villages/${village.villageId}${path}`, { token, body });

t.before(async () => {
  rig = await aedesRig(dir);
  village = await pairVillage(rig, '东村');
  edge = await startVillageEdge(t, dir, village, 'edge', [...ACCOUNTS]);
  await waitFor('users at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(village.villageId))?.users === ACCOUNTS.length);
  token = (await http(rig, 'POST', `/api/v1/villages/${village.villageId}/login`, { body: { username: 'wangfang', password: passwordOf('wangfang') } })).json.token;
});
t.teardown(() => rig?.close());

/** Cuts the edge off (its sync stops), runs `offline`, then reconnects with a new sync client on the same database. */
async function partition(offline: () => Promise<void>): Promise<void> {
  await edge.sync.stop();
  await offline();
  const sync = new SyncClient({ db: edge.db, store: edge.gov.store, clock: systemClock, log: silentLogger(), credentials: { edgeId: village.edgeId, mqttUrl: village.mqttUrl, username: village.username, password: village.password }, options: TEST_SYNC_OPTIONS, audit: auditLogBeside(edge.db) });
  sync.start();
  t.teardown(() => sync.stop());
  edge = { ...edge, sync };
}

const counts = async (kind: string, id: string) => ({ edge: edge.gov.store.history(kind, id).length, cloud: (await rig.cloud.data.entity(village.villageId, kind, id))?.opCount ?? -1 });

t.test('a ticket reassigned on both sides during a partition: same worker on both, an unreviewed conflict naming both workers', async (t) => {
  const ticket = edge.gov.tickets.create({ username: 'zhangsan', role: 'villager' }, { category: 'garbage', description: '桥头垃圾', place: '桥头' });
  edge.gov.tickets.assign(CADRE, ticket.id, 'liwei');
  await waitFor('the assignment at the cloud', async () => (await rig.cloud.data.entity<TicketState>(village.villageId, 'ticket', ticket.id))?.assignee === 'liwei');

  await partition(async () => {
    edge.gov.tickets.assign(CADRE, ticket.id, 'zhaoliu', '东头的人手');
    // Later by wall clock, so later by HLC: the phone's reassignment is the one that stands, on both sides.
    await new Promise((r) => setTimeout(r, 20));
    const r = await phone('POST', `/tickets/${ticket.id}/assign`, { assignee: 'sunqi' });
    t.equal(r.status, 200);
    t.equal(r.json.ticket.assignee, 'sunqi', 'the cloud alone has not seen the crossing yet');
  });
  await waitFor('both reassignments on both sides', async () => {
    const c = await counts('ticket', ticket.id);
    return c.edge === 4 && c.cloud === 4;
  });

  const atEdge = edge.gov.store.get<TicketState>('ticket', ticket.id)!;
  const atCloud = (await rig.cloud.data.entity<TicketState>(village.villageId, 'ticket', ticket.id))!;
  t.same(atCloud, atEdge, 'the same state on both sides');
  t.equal(atEdge.assignee, 'sunqi');
  t.equal(atEdge.needsReview, true);
  t.match(atEdge.conflicts, [{ actor: 'wangfang', to: 'assigned', applied: true, reviewedBy: null, assignee: { found: 'zhaoliu', to: 'sunqi' } }]);
  // What the phone shows carries the names (the reply schema lets them through).
  t.match((await phone('GET', `/tickets/${ticket.id}`)).json.ticket, { assignee: 'sunqi', needsReview: true, conflicts: [{ assignee: { found: 'zhaoliu', to: 'sunqi' } }] });

  edge.gov.tickets.review(CADRE, ticket.id);
  await waitFor('the review at the cloud', async () => (await rig.cloud.data.entity<TicketState>(village.villageId, 'ticket', ticket.id))?.needsReview === false);
});

t.test('a help request reassigned on both sides during a partition is flagged the same way', async (t) => {
  const resident = edge.gov.help.createResident(CADRE, { name: '王大爷' });
  const help = edge.gov.help.request(CADRE, { residentId: resident.id, type: 'daily_living', description: '送药' });
  edge.gov.help.assign(CADRE, help.id, 'liwei');
  await waitFor('the assignment at the cloud', async () => (await rig.cloud.data.entity<HelpRequestState>(village.villageId, 'help_request', help.id))?.assignee === 'liwei');

  await partition(async () => {
    // The phone API has no help dispatch: the cloud commits as a peer, with the draft a dispatch would make.
    const seen = (await rig.cloud.data.entity<HelpRequestState>(village.villageId, 'help_request', help.id))!;
    (await rig.cloud.data.commit(village.villageId, 'wangfang', [
      { entityKind: 'help_request', entityId: help.id, type: 'help_request.status', payload: { from: seen.status, to: 'assigned', note: null, assignee: 'sunqi', ...seenAssignee(seen, { assignee: 'sunqi' }) } },
    ]));
    await new Promise((r) => setTimeout(r, 20));
    edge.gov.help.assign(CADRE, help.id, 'zhaoliu');
  });
  await waitFor('both reassignments on both sides', async () => {
    const c = await counts('help_request', help.id);
    return c.edge === 4 && c.cloud === 4;
  });
  const atEdge = edge.gov.store.get<HelpRequestState>('help_request', help.id)!;
  t.same((await rig.cloud.data.entity(village.villageId, 'help_request', help.id)), atEdge);
  t.equal(atEdge.assignee, 'zhaoliu', 'the later one (the edge this time) stands');
  t.match(atEdge, { needsReview: true, conflicts: [{ applied: true, reviewedBy: null, assignee: { found: 'sunqi', to: 'zhaoliu' } }] });
});
