/**
 * Fleet benchmark: N simulated edges (the edge's real OpStore and SyncClient, in a few child
 * processes) against real cloud processes, all on loopback (scripts/fleet/run.ts).
 *
 *   npx tsx scripts/bench/fleet.ts --edges 1000 --workers 2 --json FILE
 *   npx tsx scripts/bench/fleet.ts --edges 50 --broker embedded --json FILE
 *
 * --broker mosquitto (default when --workers > 1): a Mosquitto started here and `--workers`
 * `cunbox-cloud serve` processes sharing the uplink (mqtt.shared_group) and one store.
 * --broker embedded: the default set-up, one process with its embedded broker.
 * --store sqlite (cloud.db in the data directory) | postgres (a throwaway server on a unix socket).
 * load_avg: /proc/loadavg before and after the run (the box is shared; read the numbers with it).
 *
 * ops_per_s: ops acked (after the cloud's commit) per second over the steady phase, at the
 * offered village pattern; ack_p50/p99_ms: commit on the edge → ack seen there (read every
 * 50 ms), for ops committed while the edge stayed online; lost / duplicated: checked in the
 * cloud's store; worker_kill_stall_s: the longest ack wait of ops committed within 2 s of a
 * worker's SIGKILL; kill_loop_stall_s: the same over `--kill-loops` more SIGKILLs of the workers
 * in turn, each restarted `--kill-loop-gap-s` later; reconnect_storm_s: broker restart → every edge's backlog acked;
 * cloud_rss_mb: the largest RSS seen per worker; steady_cpu_cores: CPU per process over the
 * steady phase, `database` being the PostgreSQL server (postmaster and backends).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printAndSave } from './report.ts';
import { runFleet } from '../fleet/run.ts';
import type { BrokerMode, StoreKind } from '../fleet/cloud-rig.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    edges: { type: 'string', default: '50' },
    workers: { type: 'string', default: '1' },
    'edge-procs': { type: 'string', default: '2' },
    broker: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    'ops-per-edge-s': { type: 'string', default: '0.5' },
    'day-s': { type: 'string', default: '60' },
    'burst-ops': { type: 'string', default: '50' },
    'steady-s': { type: 'string', default: '30' },
    'kill-window-s': { type: 'string', default: '15' },
    'kill-loops': { type: 'string', default: '6' },
    'kill-loop-gap-s': { type: 'string', default: '2' },
    'outage-s': { type: 'string', default: '5' },
    'backlog-ops': { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const workers = Number(values.workers);
const broker = (values.broker ?? (workers > 1 ? 'mosquitto' : 'embedded')) as BrokerMode;
const store = values.store as StoreKind;
if (!['embedded', 'mosquitto'].includes(broker)) throw new Error(`--broker embedded|mosquitto, not ${broker}`);
if (!['sqlite', 'postgres'].includes(store)) throw new Error(`--store sqlite|postgres, not ${store}`);

const loadAvg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadAvg();
const result = await runFleet({
  edges: Number(values.edges),
  workers,
  edgeProcesses: Number(values['edge-procs']),
  broker,
  store,
  pattern: {
    opsPerEdgeS: Number(values['ops-per-edge-s']),
    dayS: Number(values['day-s']),
    burstOps: Number(values['burst-ops']),
    // About one burst per edge per simulated day, and one outage per edge every two days.
    burstsPerEdgeS: 1 / Number(values['day-s']),
    offlinePerEdgeS: 0.5 / Number(values['day-s']),
    offlineS: [2, 8],
  },
  steadyS: Number(values['steady-s']),
  killWindowS: Number(values['kill-window-s']),
  killLoops: Number(values['kill-loops']),
  killLoopGapS: Number(values['kill-loop-gap-s']),
  outageS: Number(values['outage-s']),
  backlogOps: Number(values['backlog-ops']),
  seed: Number(values.seed),
  keep: values.keep,
  progress: (line) => process.stderr.write(`[fleet] ${line}\n`),
});
printAndSave({ ...result, load_avg: { before: loadBefore, after: loadAvg() }, topology: `${result.edges} simulated edges (edge OpStore + SyncClient on in-memory SQLite) in ${result.edge_processes} processes; ${result.broker === 'embedded' ? 'one cunbox-cloud serve with its embedded Aedes' : `Mosquitto + ${result.workers} cunbox-cloud serve sharing the uplink ($share) and one ${result.store === 'postgres' ? 'PostgreSQL database' : 'cloud.db'}`}; loopback; 2 shared cores` }, values.json);
process.exit(0);
