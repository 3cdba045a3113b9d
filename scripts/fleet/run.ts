/**
 * Runs a simulated fleet against a real cloud (cloud-rig.ts) and measures it. Phases:
 * 1. connect: every edge connects and says hello;
 * 2. steady: the village pattern with bursts, edges going offline and back, for `steadyS`;
 * 3. worker kill: cloud worker 0 is SIGKILLed under load (one worker: killed and started
 *    again at once); the longest ack wait of the ops committed around it;
 * 4. reconnect storm: the broker goes away for `outageS` while every edge commits a backlog,
 *    then comes back; from its restart until every edge's backlog is acked;
 * 5. drain and check: every op of every edge in the cloud's store exactly once.
 * Every phase is bounded; everything is on loopback; all processes are stopped at the end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudRig, type BrokerMode, type StoreKind } from './cloud-rig.ts';
import { checkPgStore, checkSqliteStore } from './check.ts';
import type { EdgeCommand, EdgeStatus, LedgerEntry, WindowReport } from './edge-process.ts';
import type { LoadPattern } from './load.ts';
import { childrenOf, percentile, rssMb, sample } from '../bench/proc-stats.ts';
import { TcpProxy } from '@cunbox/test-support/proxy';

export interface FleetOptions {
  edges: number;
  /** Cloud processes (mosquitto only; embedded is one). */
  workers: number;
  edgeProcesses: number;
  broker: BrokerMode;
  store: StoreKind;
  pattern: LoadPattern;
  steadyS: number;
  killWindowS: number;
  /**
   * After the single kill: this many more SIGKILLs in a row, the workers in turn, each
   * restarted `killLoopGapS` after its kill and the next kill `killLoopGapS` after that
   * (with several workers one is always up; with one, the edges wait for the restart).
   */
  killLoops?: number;
  killLoopGapS?: number;
  outageS: number;
  /** Ops each edge commits while the broker is away. */
  backlogOps: number;
  seed: number;
  /**
   * Faults on single edges, on top of the fleet's own: `partitionS`, edge 0's link to the
   * broker goes through a TCP proxy that swallows its bytes, then refuses it, for that long
   * in the steady phase (at most steadyS), and comes back; `clockSkewMs`, edge 1's wall clock is off by that much.
   */
  faults?: { partitionS?: number; clockSkewMs?: number };
  /** Keep the temporary directory (logs, databases). */
  keep?: boolean;
  progress?: (line: string) => void;
}

export interface FleetResult {
  edges: number;
  workers: number;
  edge_processes: number;
  broker: BrokerMode;
  store: StoreKind;
  ops_per_s: number;
  offered_ops_per_s: number;
  ack_p50_ms: number;
  ack_p99_ms: number;
  ack_samples: number;
  lost: number;
  duplicated: number;
  marks_behind: number;
  dead_letters: number;
  worker_kill_stall_s: number;
  /** Kill loops: how many, and the longest ack wait of ops committed during them. */
  kill_loops: number;
  kill_loop_stall_s: number | null;
  reconnect_storm_s: number;
  cloud_rss_mb: number[];
  /** Ops each worker ingested up to the end of the steady phase (applied, and duplicates it skipped). */
  ops_ingested_per_worker: Array<{ applied: number; duplicate: number }>;
  edge_process_rss_mb: number[];
  /** CPU used over the steady phase, in cores (1 = one core busy all the time): where the time went. */
  steady_cpu_cores: { cloud: number[]; edges: number[]; broker: number | null; database: number | null };
  steady_s: number;
  pattern: LoadPattern;
  phases_s: Record<string, number>;
}

class EdgeProcess {
  readonly child: ChildProcess;
  #next = 0;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor() {
    this.child = fork(join(import.meta.dirname, 'edge-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (raw) => {
      const m = raw as { id: number; result?: unknown; error?: string };
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error));
      else w?.resolve(m.result);
    });
    this.child.once('exit', (code) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`edge process exited (${code})`));
      this.#waiting.clear();
    });
  }

  ask<T>(msg: EdgeCommand): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, msg });
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFleet(opts: FleetOptions): Promise<FleetResult> {
  const say = opts.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-fleet-'));
  const rig = new CloudRig({ dir, broker: opts.broker, workers: opts.workers, store: opts.store });
  const procs: EdgeProcess[] = [];
  let proxy: TcpProxy | undefined;
  const rss = new Map<string, number>();
  const sampler = setInterval(() => {
    for (let i = 0; i < rig.workerCount; i++) {
      const pid = rig.pid(i);
      if (pid) rss.set(`cloud${i}`, Math.max(rss.get(`cloud${i}`) ?? 0, rssMb(pid)));
    }
    procs.forEach((p, i) => p.child.pid && rss.set(`edges${i}`, Math.max(rss.get(`edges${i}`) ?? 0, rssMb(p.child.pid))));
  }, 1000);
  const all = async <T>(msg: EdgeCommand): Promise<T[]> => Promise.all(procs.map((p) => p.ask<T>(msg)));
  const status = async (): Promise<EdgeStatus> => {
    const s = await all<EdgeStatus>({ cmd: 'status' });
    return s.reduce((a, b) => ({ edges: a.edges + b.edges, connected: a.connected + b.connected, online: a.online + b.online, made: a.made + b.made, acked: a.acked + b.acked, drained: a.drained + b.drained }));
  };
  const until = async (what: string, ok: (s: EdgeStatus) => boolean, limitS: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      const s = await status();
      if (ok(s)) return Date.now();
      if (Date.now() - start > limitS * 1000) throw new Error(`${what}: not reached in ${limitS} s (${JSON.stringify(s)})`);
      await sleep(100);
    }
  };
  const windows = async (from: number, to: number): Promise<WindowReport> => {
    const r = await all<WindowReport>({ cmd: 'window', from, to });
    return { ackedIn: r.reduce((n, x) => n + x.ackedIn, 0), waits: r.flatMap((x) => x.waits), longestUnacked: Math.max(0, ...r.map((x) => x.longestUnacked)) };
  };
  const phases: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    say(`${name}…`);
    try {
      return await f();
    } finally {
      phases[name] = Number(((Date.now() - t0) / 1000).toFixed(1));
    }
  };
  try {
    const credentials = await timed('provision', () => rig.provision(opts.edges));
    const partitionS = Math.min(opts.faults?.partitionS ?? 0, opts.steadyS);
    if (partitionS > 0) {
      proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(credentials[0]!.mqttUrl).port) });
      await proxy.start();
      credentials[0] = { ...credentials[0]!, mqttUrl: `mqtt://127.0.0.1:${proxy.port}` };
    }
    const skew = credentials.map((_, j) => (j === 1 ? (opts.faults?.clockSkewMs ?? 0) : 0));
    await timed('cloud start', () => rig.start());
    for (let i = 0; i < opts.edgeProcesses; i++) procs.push(new EdgeProcess());
    await Promise.all(
      procs.map((p, i) =>
        p.ask({
          cmd: 'init',
          credentials: credentials.filter((_, j) => j % opts.edgeProcesses === i),
          clockSkewMs: skew.filter((_, j) => j % opts.edgeProcesses === i),
          pattern: opts.pattern,
          seed: opts.seed + i,
          syncOptions: {},
        }),
      ),
    );
    await timed('connect', async () => {
      await all({ cmd: 'start' });
      await until('every edge connected', (s) => s.connected === opts.edges, 180);
    });

    // Steady: the village pattern, bursts, edges going offline and back.
    const pids = { cloud: Array.from({ length: rig.workerCount }, (_, i) => rig.pid(i)), edges: procs.map((p) => p.child.pid), broker: rig.brokerPid() };
    const cpu = (pid: number | undefined) => (pid ? (sample(pid)?.cpuSeconds ?? 0) : 0);
    // PostgreSQL: the postmaster (with the backends it reaped) and its live backends.
    const database = rig.databasePid();
    const databaseCpu = () => (database ? [database, ...childrenOf(database)].reduce((n, pid) => n + cpu(pid), 0) : 0);
    const cpuFrom = { cloud: pids.cloud.map(cpu), edges: pids.edges.map(cpu), broker: cpu(pids.broker), database: databaseCpu() };
    const steadyFrom = Date.now();
    const madeBefore = (await status()).made;
    await timed('steady', async () => {
      await all({ cmd: 'load', on: true, churn: true });
      if (proxy) {
        // Half the cut the link swallows bytes (the edge must notice by itself), half it refuses connections.
        proxy.set('blackhole');
        await sleep((partitionS * 1000) / 2);
        proxy.set('drop');
        await sleep((partitionS * 1000) / 2);
        proxy.set('pass');
      }
      await sleep((opts.steadyS - partitionS) * 1000);
    });
    const steadyTo = Date.now();
    const cores = (pid: number | undefined, from: number) => Number(((cpu(pid) - from) / ((steadyTo - steadyFrom) / 1000)).toFixed(2));
    const steadyCpu = { cloud: pids.cloud.map((p, i) => cores(p, cpuFrom.cloud[i]!)), edges: pids.edges.map((p, i) => cores(p, cpuFrom.edges[i]!)), broker: pids.broker ? cores(pids.broker, cpuFrom.broker) : null,
      database: database ? Number(((databaseCpu() - cpuFrom.database) / ((steadyTo - steadyFrom) / 1000)).toFixed(2)) : null,
    };
    const perWorker = await Promise.all(Array.from({ length: rig.workerCount }, (_, i) => rig.opsIngested(i)));
    const offered = ((await status()).made - madeBefore) / ((steadyTo - steadyFrom) / 1000);

    // One worker SIGKILLed under load (edges stay online, so every wait is the cloud's).
    await all({ cmd: 'load', on: true, churn: false });
    await until('every edge back online', (s) => s.online === opts.edges, 60);
    const killAt = Date.now();
    await timed('worker kill', async () => {
      await rig.killWorker(0);
      if (rig.workerCount === 1) await rig.startWorker(0);
      await sleep(opts.killWindowS * 1000);
      if (rig.workerCount > 1) await rig.startWorker(0);
    });

    // Kill loops: the workers SIGKILLed in turn, under load, each restarted after a short gap.
    const loops = opts.killLoops ?? 0;
    const gapMs = (opts.killLoopGapS ?? 2) * 1000;
    const loopFrom = Date.now();
    if (loops > 0) {
      await timed('kill loops', async () => {
        for (let k = 0; k < loops; k++) {
          const i = k % rig.workerCount;
          await rig.killWorker(i);
          await sleep(gapMs);
          await rig.startWorker(i);
          await sleep(gapMs);
        }
      });
    }
    const loopTo = Date.now();

    // The broker goes away; every edge commits a backlog meanwhile; all reconnect at once.
    await all({ cmd: 'load', on: false, churn: false });
    await timed('settle', () => until('every op acked before the storm', (s) => s.drained === opts.edges, 180));
    let restartAt = 0;
    const stormS = await timed('reconnect storm', async () => {
      restartAt = await rig.restartBroker(opts.outageS * 1000, async () => {
        await all({ cmd: 'burst', ops: opts.backlogOps });
      });
      const drainedAt = await until('every backlog acked after the broker restart', (s) => s.drained === opts.edges && s.connected === opts.edges, 300);
      return (drainedAt - restartAt) / 1000;
    });

    const steady = await windows(steadyFrom, steadyTo);
    const kill = await windows(killAt - 2000, killAt + 2000);
    const loopWindow = loops > 0 ? await windows(loopFrom, loopTo) : undefined;
    const ledger = (await all<LedgerEntry[]>({ cmd: 'ledger' })).flat();
    await timed('stop', async () => {
      await all({ cmd: 'stop' });
      await rig.stopCloud();
    });
    const check = opts.store === 'sqlite' ? checkSqliteStore(rig.cloudDb, ledger) : await checkPgStore(rig.postgresUrl, ledger);
    const waits = steady.waits;
    return {
      edges: opts.edges,
      workers: opts.workers,
      edge_processes: opts.edgeProcesses,
      broker: opts.broker,
      store: opts.store,
      ops_per_s: Math.round(steady.ackedIn / ((steadyTo - steadyFrom) / 1000)),
      offered_ops_per_s: Math.round(offered),
      ack_p50_ms: Math.round(percentile(waits, 50)),
      ack_p99_ms: Math.round(percentile(waits, 99)),
      ack_samples: waits.length,
      lost: check.lost,
      duplicated: check.duplicated,
      marks_behind: check.marksBehind,
      dead_letters: check.deadLetters,
      worker_kill_stall_s: Number((Math.max(0, ...kill.waits, kill.longestUnacked) / 1000).toFixed(2)),
      kill_loops: loops,
      kill_loop_stall_s: loopWindow ? Number((Math.max(0, ...loopWindow.waits, loopWindow.longestUnacked) / 1000).toFixed(2)) : null,
      reconnect_storm_s: Number(stormS.toFixed(2)),
      ops_ingested_per_worker: perWorker,
      cloud_rss_mb: Array.from({ length: rig.workerCount }, (_, i) => Math.round(rss.get(`cloud${i}`) ?? 0)),
      edge_process_rss_mb: procs.map((_, i) => Math.round(rss.get(`edges${i}`) ?? 0)),
      steady_cpu_cores: steadyCpu,
      steady_s: opts.steadyS,
      pattern: opts.pattern,
      phases_s: phases,
    };
  } finally {
    clearInterval(sampler);
    for (const p of procs) p.kill();
    await proxy?.stop();
    await rig.stop().catch(() => undefined);
    if (opts.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
