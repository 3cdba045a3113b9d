/**
 * A small fleet against two cloud workers sharing the uplink through Mosquitto
 * (mqtt.shared_group), on one SQLite file and on one PostgreSQL database: edges going
 * offline and back, one edge's link cut through a TCP proxy and back, one edge's clock
 * 10 minutes ahead, one worker SIGKILLed under load, then kill loops (the workers SIGKILLed
 * in turn, each restarted a second later), the broker killed and restarted. Every
 * op of every edge must be in the cloud's store exactly once, and both workers must have
 * taken a share. No timing is asserted: the numbers belong to scripts/bench/fleet.ts.
 */
import t from 'tap';
import { postgresBinDir } from '@cunbox/test-support/postgres';
import { runFleet, type FleetOptions } from './run.ts';
import type { StoreKind } from './cloud-rig.ts';

const scenario: Omit<FleetOptions, 'store'> = {
  edges: 20,
  workers: 2,
  edgeProcesses: 2,
  broker: 'mosquitto',
  // A busy village: bursts and outages come often enough to happen in a short run.
  pattern: { opsPerEdgeS: 1, dayS: 20, burstOps: 30, burstsPerEdgeS: 0.05, offlinePerEdgeS: 0.05, offlineS: [1, 3] },
  steadyS: 6,
  killWindowS: 4,
  // Then the workers SIGKILLed in turn four more times, each back after a second.
  killLoops: 4,
  killLoopGapS: 1,
  outageS: 2,
  backlogOps: 10,
  seed: 7,
  // One edge's link cut (bytes swallowed, then connections refused) and back; one edge's clock 10 minutes ahead.
  faults: { partitionS: 4, clockSkewMs: 10 * 60_000 },
};

for (const store of ['sqlite', 'postgres'] as StoreKind[]) {
  const skip = store === 'postgres' && !postgresBinDir() ? 'PostgreSQL is not installed (scripts/setup installs it)' : false;
  t.test(`${store}: 20 edges, 2 workers, a link cut, a clock skewed, workers killed in loops and the broker restarted: nothing lost, nothing duplicated`, { skip }, async (t) => {
    const r = await runFleet({ ...scenario, store });
    t.equal(r.lost, 0, 'every op the edges made is in the store');
    t.equal(r.duplicated, 0, 'none twice');
    t.equal(r.marks_behind, 0, "every edge's committed mark covers its last op");
    t.equal(r.dead_letters, 0, 'no message was refused by the cloud');
    t.ok(r.ops_ingested_per_worker.every((w) => w.applied > 0), 'each worker committed a share of the uplink');
  });
}
