/**
 * Clock skew of ±10 minutes on the edge (issue #5, fault tests): a stream of
 * ops from both sides with concurrent edits of the same tickets converges,
 * and the hybrid logical clock keeps causality across the skew: an op made
 * after its maker saw the other side's op on the same ticket orders after it,
 * so that edit wins on both sides whichever clock is ahead.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { governanceModels, type Op, type TicketState } from '@cunbox/shared';
import { aedesRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { assertConverged } from '@cunbox/test-support/converge';
import { testCloudData } from '@cunbox/test-support/cloud-store';
import { tmpDir } from '@cunbox/test-support/tmp';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { systemClock, type Clock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

const MIN = 60_000;
let n = 0;
const created = (who: string) => ({
  entityKind: 'ticket',
  entityId: `01JG${String(++n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: who, place: 'x', lat: null, lng: null, photos: [], anonymous: false, reporter: who },
});
const edit = (id: string, description: string) => ({ entityKind: 'ticket', entityId: id, type: 'ticket.updated', payload: { fields: { description } } });

async function skewRun(t: Test, skewMs: number): Promise<void> {
  const dir = tmpDir(t, 'cunbox-sync-skew-');
  const rig = await aedesRig(dir);
  t.teardown(() => rig.close());
  const cloud = rig.cloud.data;
  const village = await cloud.createVillage('skew');
  const paired = (await cloud.redeemPairCode(await cloud.createPairCode(village.id, 60_000)))!;
  // The edge's wall clock is off by skewMs; its timers run on real time.
  const clock: Clock = { ...systemClock, now: () => Date.now() + skewMs };
  const edgeFile = join(dir, 'edge.db');
  const db = openDatabase(edgeFile);
  const store = new OpStore({ db, clock, log: silentLogger(), models: governanceModels });
  const sync = new SyncClient({
    db,
    store,
    clock,
    log: silentLogger(),
    credentials: { edgeId: paired.edge.edgeId, mqttUrl: rig.url, username: paired.edge.edgeId, password: paired.password },
    options: { pollMs: 30, resendMs: 500, backoff: { baseMs: 50, maxMs: 300 } },
    audit: auditLogBeside(db, clock),
  });
  sync.start();
  t.teardown(async () => {
    await sync.stop();
    db.close();
  });
  const atEdge = (id: string) => db.prepare('SELECT 1 FROM gov_ops WHERE id = ?').get(id) !== undefined;
  const atCloud = async (op: Op) => (await cloud.opsAfter(village.id, op.origin, op.seq - 1, 1))[0]?.id === op.id;
  const description = async (id: string) => ({
    edge: store.get<TicketState>('ticket', id)?.description,
    cloud: ((await cloud.snapshot(village.id))[`ticket/${id}`] as TicketState | undefined)?.description,
  });

  // Shared tickets, one made on each side, known to both.
  const [x] = store.commit('admin', [created('edge')]);
  const [y] = await cloud.commit(village.id, 'phone', [created('cloud')]);
  rig.cloud.sync.notify();
  await waitFor('both shared tickets on both sides', async () => (await atCloud(x!)) && atEdge(y!.id));

  // The stream: each round both sides create tickets and edit both shared tickets, concurrently.
  const rounds = 40;
  for (let i = 0; i < rounds; i++) {
    store.commit('admin', [created(`edge ${i}`), created(`edge ${i}b`), edit(x!.entityId, `edge round ${i}`), edit(y!.entityId, `edge round ${i}`)]);
    await cloud.commit(village.id, 'phone', [created(`cloud ${i}`), edit(x!.entityId, `cloud round ${i}`), edit(y!.entityId, `cloud round ${i}`)]);
    rig.cloud.sync.notify();
    await new Promise((r) => setTimeout(r, 10));
  }

  // Causality, cloud after edge: the cloud edits x after it has the edge's edit.
  const [e1] = store.commit('admin', [edit(x!.entityId, 'edge, seen by the cloud')]);
  await waitFor("the edge's edit in the cloud", () => atCloud(e1!));
  const [c1] = await cloud.commit(village.id, 'phone', [edit(x!.entityId, 'cloud, after seeing the edge')]);
  rig.cloud.sync.notify();
  t.ok(c1!.hlc > e1!.hlc, `the cloud's later op orders after the edge op it saw (${c1!.hlc} > ${e1!.hlc})`);
  // Causality, edge after cloud: the edge edits y after it has the cloud's edit.
  const [c2] = await cloud.commit(village.id, 'phone', [edit(y!.entityId, 'cloud, seen by the edge')]);
  rig.cloud.sync.notify();
  await waitFor("the cloud's edit at the edge", () => atEdge(c2!.id));
  const [e2] = store.commit('admin', [edit(y!.entityId, 'edge, after seeing the cloud')]);
  t.ok(e2!.hlc > c2!.hlc, `the edge's later op orders after the cloud op it saw (${e2!.hlc} > ${c2!.hlc})`);

  await waitFor('convergence', async () => atEdge(c1!.id) && (await atCloud(e2!)) && sync.status().opsPending === 0 && sync.status().appliedSeq === (await cloud.opCount(village.id, village.node)), 30_000);
  t.same(await description(x!.entityId), { edge: 'cloud, after seeing the edge', cloud: 'cloud, after seeing the edge' }, 'the causally later edit of x wins on both sides');
  t.same(await description(y!.entityId), { edge: 'edge, after seeing the cloud', cloud: 'edge, after seeing the cloud' }, 'the causally later edit of y wins on both sides');
  await sync.stop();
  await rig.close();
  const r = await assertConverged(t, edgeFile, testCloudData(join(dir, 'cloud')), village.id);
  t.comment(`edge clock ${skewMs > 0 ? '+' : ''}${skewMs / MIN} min: ${r.edgeOps} ops, ${r.entities} entities converged`);
}

t.test('edge clock 10 minutes ahead of the cloud', (t) => skewRun(t, 10 * MIN));
t.test('edge clock 10 minutes behind the cloud', (t) => skewRun(t, -10 * MIN));
