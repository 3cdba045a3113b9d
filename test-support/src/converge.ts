/**
 * The checker the fault tests run after each run, on the two databases
 * themselves (the edge's SQLite file opened read-only; the cloud's SQLite file
 * the same way, or its PostgreSQL database through a connection of its own),
 * so it works the same whether the processes that wrote them were ours,
 * killed, or stopped: every op of either origin is
 * on the other side exactly once with the same content, each origin's seqs
 * are 1..n with HLCs rising along them, each side's materialised state equals
 * the fold of its ops, and the two states hash the same. Sensitive fields are
 * compared decrypted, and the cloud's copy of the edge's ops is minimised
 * (ID numbers masked): that is what it must hold, no more.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { dirname, join } from 'node:path';
import { openPgDatabase } from '../../cloud/src/pg/database.ts';
import { FieldCipher, openOp, parseStoredState, fold, governanceModels, minimiseOpForCloud, minimiseStateForCloud, opFromRow, readKey, type EntityBase, type Op, type OpRow } from '@cunbox/shared';

export interface ConvergeReport {
  /** Ops per origin, as stored at the edge. */
  perOrigin: Record<string, number>;
  edgeOps: number;
  cloudOps: number;
  entities: number;
  edgeHash: string;
  cloudHash: string;
  /** Everything wrong, in words; empty when converged. */
  problems: string[];
}

/** JSON with sorted keys: the same state always hashes the same, whatever order its keys were written in. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const models = new Map(governanceModels.map((m) => [m.kind, m]));

interface Side {
  ops: Op[];
  /** kind/id → decrypted state. */
  raw: Map<string, EntityBase>;
  /** kind/id → canonical state. */
  states: Map<string, string>;
}

/** Where the cloud's data is: its SQLite file, or its PostgreSQL database and the data directory that holds its data key. */
export type CloudData = string | { url: string; dataDir: string };

type StateRow = { kind: string; id: string; state: string };

/**
 * One side's ops and states in plain text: sensitive fields are decrypted with
 * the data key each side keeps beside its database (keys/data.key), when it has one.
 */
function sideOf(keyDir: string, opRows: OpRow[], stateRows: StateRow[]): Side {
  const key = readKey(join(keyDir, 'keys', 'data.key'));
  const cipher = key ? new FieldCipher(key) : undefined;
  const ops = opRows.map((r) => openOp(cipher, opFromRow(r)));
  const raw = new Map(stateRows.map((r) => [`${r.kind}/${r.id}`, parseStoredState<EntityBase>(cipher, r.state)]));
  return { ops, raw, states: new Map([...raw].map(([k, s]) => [k, canonical(s)])) };
}

function readSqlite<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

async function readPg<T>(url: string, read: (q: <R>(sql: string, args: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
  const pool = await openPgDatabase({ url, max: 1 });
  try {
    return await read(async <R>(sql: string, args: unknown[]) => (await pool.query(sql, args)).rows as R[]);
  } finally {
    await pool.end();
  }
}

const CLOUD_OPS = 'SELECT * FROM ops WHERE village_id = $1 ORDER BY origin, seq';
const CLOUD_STATES = 'SELECT kind, id, state FROM entities WHERE village_id = $1';

async function readCloud(cloud: CloudData, villageId: number): Promise<Side> {
  if (typeof cloud === 'string') {
    const sqlite = (sql: string) => sql.replace('$1', '?');
    return readSqlite(cloud, (db) => sideOf(dirname(cloud), db.prepare(sqlite(CLOUD_OPS)).all(villageId) as OpRow[], db.prepare(sqlite(CLOUD_STATES)).all(villageId) as StateRow[]));
  }
  return readPg(cloud.url, async (q) => sideOf(cloud.dataDir, await q<OpRow>(CLOUD_OPS, [villageId]), await q<StateRow>(CLOUD_STATES, [villageId])));
}

const hashOf = (states: Map<string, string>): string =>
  createHash('sha256')
    .update([...states.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}\n`).join(''))
    .digest('hex');

/** What each side says, and every way they disagree. `villageId`: the edge's village in the cloud's database. */
export async function convergeReport(edgeFile: string, cloudData: CloudData, villageId: number): Promise<ConvergeReport> {
  const edge = readSqlite(edgeFile, (db) => sideOf(dirname(edgeFile), db.prepare('SELECT * FROM gov_ops ORDER BY origin, seq').all() as OpRow[], db.prepare('SELECT kind, id, state FROM gov_entities').all() as StateRow[]));
  const cloud = await readCloud(cloudData, villageId);
  const problems: string[] = [];
  const say = (p: string): void => void (problems.length < 50 && problems.push(p));

  // Exactly once, same content, on both sides.
  // The cloud holds the edge's own ops minimised (ID numbers masked); ops made in the cloud are the same on both sides.
  const byId = (ops: Op[]) => new Map(ops.map((o) => [o.id, o]));
  const e = byId(edge.ops);
  const c = byId(cloud.ops);
  if (e.size !== edge.ops.length) say('an op id is stored twice at the edge');
  if (c.size !== cloud.ops.length) say('an op id is stored twice in the cloud');
  for (const [id, op] of e) if (!c.has(id)) say(`op ${id} is at the edge only`);
  else if (![canonical(op), canonical(minimiseOpForCloud(op))].includes(canonical(c.get(id)))) say(`op ${id} differs between the sides`);
  for (const id of c.keys()) if (!e.has(id)) say(`op ${id} is in the cloud only`);

  // Per origin: seqs 1..n, and the HLC rises with the seq (it survived every restart).
  const perOrigin: Record<string, number> = {};
  for (const [side, ops] of [['edge', edge.ops], ['cloud', cloud.ops]] as const) {
    const groups = new Map<string, Op[]>();
    for (const op of ops) groups.set(op.origin, [...(groups.get(op.origin) ?? []), op]);
    for (const [origin, list] of groups) {
      if (side === 'edge') perOrigin[origin] = list.length;
      list.forEach((op, i) => {
        if (op.seq !== i + 1) say(`${side}: origin ${origin} has seq ${op.seq} at position ${i + 1} (gap or duplicate)`);
        const prev = list[i - 1];
        if (prev && !(prev.hlc < op.hlc)) say(`${side}: origin ${origin} seq ${op.seq} has an HLC not after seq ${prev.seq}'s`);
      });
    }
  }

  // Each side's state is the fold of its ops; then the two states are equal.
  for (const [side, s] of [['edge', edge], ['cloud', cloud]] as const) {
    const groups = new Map<string, Op[]>();
    for (const op of s.ops) if (models.has(op.entityKind)) groups.set(`${op.entityKind}/${op.entityId}`, [...(groups.get(`${op.entityKind}/${op.entityId}`) ?? []), op]);
    for (const [key, ops] of groups) {
      const folded = canonical(fold(models.get(ops[0]!.entityKind)!, ops[0]!.entityId, ops));
      if (s.states.get(key) !== folded) say(`${side}: ${key} is not the fold of its ops`);
    }
  }
  // What the cloud should hold of each edge state: the same, or (ops the edge made) minimised.
  const expected = new Map(
    [...edge.raw].map(([k, s]) => {
      const minimised = canonical(minimiseStateForCloud(s));
      return [k, cloud.states.get(k) === minimised ? minimised : edge.states.get(k)!] as const;
    }),
  );
  const edgeHash = hashOf(expected);
  const cloudHash = hashOf(cloud.states);
  if (edgeHash !== cloudHash) {
    for (const [k, v] of expected) if (cloud.states.get(k) !== v) say(`state of ${k} differs`);
    for (const k of cloud.states.keys()) if (!edge.states.has(k)) say(`${k} exists in the cloud only`);
  }
  return { perOrigin, edgeOps: edge.ops.length, cloudOps: cloud.ops.length, entities: edge.states.size, edgeHash, cloudHash, problems };
}

/**
 * Asserts convergence. `mustHave`: entity keys (kind/id) whose commit a caller
 * saw confirmed (HTTP 201 or a direct commit); each must exist on both sides.
 */
export async function assertConverged(t: Test, edgeFile: string, cloudData: CloudData, villageId: number, mustHave: Iterable<string> = []): Promise<ConvergeReport> {
  const r = await convergeReport(edgeFile, cloudData, villageId);
  // What the report read of the cloud: a confirmed commit among its states (kind/id).
  const held = new Set((await readCloud(cloudData, villageId)).raw.keys());
  const missing = [...mustHave].filter((key) => !held.has(key));
  t.same(r.problems, [], 'every op on both sides exactly once, seqs 1..n, HLCs rising, states are folds of the ops');
  t.equal(r.edgeOps, r.cloudOps, `both sides hold ${r.edgeOps} ops`);
  t.equal(r.edgeHash, r.cloudHash, `materialised states hash the same (${r.entities} entities)`);
  t.same(missing, [], 'every confirmed commit is there');
  return r;
}
