/**
 * A child process hosting a share of the fleet's simulated edges (sim-edge.ts), driven by
 * the fleet runner over IPC: it commits ops at the village pattern (load.ts), takes edges
 * offline and back, and answers questions about its edges' op times. Times are Date.now()
 * so the runner can compare them with its own (same machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../edge/src/db/database.ts';
import type { SyncCredentials, SyncOptions } from '../../edge/src/sync/client.ts';
import { SimEdge } from './sim-edge.ts';
import { opsInStep, seededRandom, type LoadPattern } from './load.ts';

export type EdgeCommand =
  | { cmd: 'init'; credentials: SyncCredentials[]; pattern: LoadPattern; seed: number; syncOptions: Partial<SyncOptions>; clockSkewMs?: number[] }
  | { cmd: 'start' }
  | { cmd: 'load'; on: boolean; churn: boolean }
  | { cmd: 'burst'; ops: number }
  | { cmd: 'status' }
  | { cmd: 'window'; from: number; to: number }
  | { cmd: 'ledger' }
  | { cmd: 'stop' };

export interface EdgeStatus {
  edges: number;
  connected: number;
  online: number;
  made: number;
  acked: number;
  /** Edges whose every op is acked. */
  drained: number;
}

/** Ops whose commit fell in [from, to]: waits of those acked (ms), and how many are still waiting. */
export interface WindowReport {
  /** Ops (any) whose ack was seen in [from, to]. */
  ackedIn: number;
  /** Ack waits (ms) of ops committed in [from, to] while the edge stayed online. */
  waits: number[];
  /** Of those, still not acked: the longest wait so far (ms), 0 if none. */
  longestUnacked: number;
}

export interface LedgerEntry {
  edgeId: string;
  node: string;
  made: number;
}

const STEP_MS = 200;
const POLL_MS = 50;

let edges: SimEdge[] = [];
let pattern: LoadPattern;
let random: () => number = Math.random;
let loadOn = false;
let churnOn = false;
let loadStart = 0;
const backAt = new Map<SimEdge, number>();
const timers: NodeJS.Timeout[] = [];

function template(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-fleet-template-'));
  try {
    const db = openDatabase(join(dir, 'edge.db'));
    // An in-memory copy cannot be in WAL mode.
    db.pragma('journal_mode = DELETE');
    const bytes = db.serialize();
    db.close();
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function step(): void {
  const now = Date.now();
  for (const [edge, at] of backAt) {
    if (now >= at) {
      backAt.delete(edge);
      edge.start();
    }
  }
  if (!loadOn) return;
  const elapsedS = (now - loadStart) / 1000;
  for (const edge of edges) {
    edge.commit(opsInStep(pattern, elapsedS, STEP_MS / 1000, random));
    if (churnOn && edge.online && random() < pattern.offlinePerEdgeS * (STEP_MS / 1000)) {
      const [lo, hi] = pattern.offlineS;
      backAt.set(edge, now + 1000 * (lo + random() * (hi - lo)));
      void edge.stop();
    }
  }
}

function status(): EdgeStatus {
  let connected = 0;
  let online = 0;
  let made = 0;
  let acked = 0;
  let drained = 0;
  for (const e of edges) {
    if (e.connected) connected++;
    if (e.online) online++;
    made += e.made;
    acked += e.acked;
    if (e.acked >= e.made) drained++;
  }
  return { edges: edges.length, connected, online, made, acked, drained };
}

function window(from: number, to: number): WindowReport {
  const now = Date.now();
  let ackedIn = 0;
  let longestUnacked = 0;
  const waits: number[] = [];
  for (const e of edges) {
    const { committedAt, ackedAt, wentOffline } = e.times;
    for (let i = 0; i < committedAt.length; i++) {
      const a = ackedAt[i]!;
      if (a >= from && a <= to) ackedIn++;
      const c = committedAt[i]!;
      if (c < from || c > to || wentOffline[i]) continue;
      if (a > 0) waits.push(a - c);
      else longestUnacked = Math.max(longestUnacked, now - c);
    }
  }
  return { ackedIn, waits, longestUnacked };
}

async function handle(m: EdgeCommand): Promise<unknown> {
  switch (m.cmd) {
    case 'init': {
      const bytes = template();
      pattern = m.pattern;
      random = seededRandom(m.seed);
      edges = m.credentials.map((credentials, i) => new SimEdge({ template: bytes, credentials, options: m.syncOptions, clockSkewMs: m.clockSkewMs?.[i] ?? 0 }));
      timers.push(setInterval(step, STEP_MS));
      timers.push(setInterval(() => {
        const now = Date.now();
        for (const e of edges) e.poll(now);
      }, POLL_MS));
      return edges.length;
    }
    case 'start':
      // Spread over a second or so, as a fleet that was not started by one hand.
      for (const e of edges) {
        e.start();
        await new Promise((r) => setTimeout(r, 2));
      }
      return status();
    case 'load':
      if (m.on && !loadOn) loadStart = Date.now();
      loadOn = m.on;
      churnOn = m.churn;
      if (!m.churn) for (const e of backAt.keys()) backAt.set(e, 0);
      return status();
    case 'burst':
      for (const e of edges) e.commit(m.ops);
      return status();
    case 'status':
      return status();
    case 'window':
      return window(m.from, m.to);
    case 'ledger':
      return edges.map((e): LedgerEntry => ({ edgeId: e.edgeId, node: e.node, made: e.made }));
    case 'stop':
      for (const t of timers) clearInterval(t);
      await Promise.all(edges.map((e) => e.close()));
      return status();
  }
}

process.on('message', (raw) => {
  const { id, msg } = raw as { id: number; msg: EdgeCommand };
  handle(msg).then(
    (result) => process.send!({ id, result }),
    (err: unknown) => process.send!({ id, error: (err as Error).stack ?? String(err) }),
  );
});

// The runner is gone (killed, crashed): nothing drives these edges any more.
process.on('disconnect', () => process.exit(0));
