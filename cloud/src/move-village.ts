/**
 * Moves one village from a cloud on SQLite to a cloud on PostgreSQL, offline
 * (the old cloud stopped): its row with the same id (edge configs name it), its
 * edges with their password hashes and marks (they reconnect without pairing
 * again), ops, states, seq and clock, events, dead letters, synced accounts,
 * audit log, media index and media files, in one PostgreSQL transaction.
 * Rows are copied verbatim: sealed columns stay sealed, so both clouds must
 * hold the same data key (copied when the target has none). Phone sessions
 * and sign-in failures stay behind: phones sign in again.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { constants, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readKey } from '@cunbox/shared';
import type { CloudConfig } from './config.ts';
import { inTransaction, openPgDatabase } from './pg/database.ts';
import type pg from 'pg';

/** A move that must not start; `template` and `vars` as the CLI's errors. */
export class MoveRefused extends Error {
  constructor(
    readonly reason: 'in-use' | 'target' | 'exists' | 'key' | 'missing' | 'verify',
    readonly template: string,
    readonly vars: Record<string, string | number> = {},
  ) {
    super(template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)));
  }
}

/** A table of the village: which rows are its own, which columns are flags (0/1 on SQLite, boolean on PostgreSQL). */
interface TableCopy {
  table: string;
  where: string;
  flags?: readonly string[];
  /** Left to the target (an identity another cloud's rows already use). */
  omit?: readonly string[];
  /** Shared between villages (content-addressed files): a row the target has is kept. */
  shared?: boolean;
}

const EDGES = 'SELECT edge_id FROM edges WHERE village_id = @v';
const TABLES: readonly TableCopy[] = [
  { table: 'villages', where: 'id = @v' },
  { table: 'pair_codes', where: 'village_id = @v' },
  { table: 'edges', where: 'village_id = @v', flags: ['online'] },
  { table: 'edge_broker_hashes', where: `edge_id IN (${EDGES})` },
  { table: 'ops', where: 'village_id = @v ORDER BY seq' },
  { table: 'entities', where: 'village_id = @v', flags: ['present'] },
  { table: 'events', where: `edge_id IN (${EDGES})` },
  { table: 'dead_letters', where: `edge_id IN (${EDGES}) ORDER BY id`, omit: ['id'] },
  { table: 'dead_letter_drops', where: `edge_key IN (${EDGES})` },
  { table: 'village_users', where: 'village_id = @v', flags: ['disabled'] },
  { table: 'village_users_versions', where: 'village_id = @v' },
  { table: 'phone_replies', where: 'village_id = @v' },
  { table: 'audit', where: 'village_id = @v ORDER BY seq' },
  { table: 'audit_acks', where: `edge_id IN (${EDGES})` },
  { table: 'media_owners', where: 'village_id = @v' },
  { table: 'media_objects', where: 'sha256 IN (SELECT sha256 FROM media_owners WHERE village_id = @v)', shared: true },
];

/** What stays behind: phones sign in again on the new cloud. */
export const LEFT_BEHIND = ['phone_sessions', 'phone_login_failures'] as const;

export interface MoveReport {
  villageId: number;
  name: string;
  rows: Record<string, number>;
  mediaFiles: { copied: number; present: number };
  keyCopied: boolean;
  /** What both sides hold after the move, compared. */
  verified: VillageDigest;
}

interface VillageDigest {
  ops: number;
  lastSeq: number;
  hlc: string | null;
  /** SHA-256 over every op and state row as stored (sealed), in key order. */
  digest: string;
}

export interface MoveOptions {
  from: CloudConfig;
  to: CloudConfig;
  villageId: number;
  progress?: (table: string, rows: number) => void;
}

export async function moveVillage(o: MoveOptions): Promise<MoveReport> {
  if ((o.from.store?.kind ?? 'sqlite') !== 'sqlite') throw new MoveRefused('target', 'the source cloud must be on SQLite (its config says store.kind {kind})', { kind: o.from.store!.kind });
  const target = o.to.store;
  if (target?.kind !== 'postgres') throw new MoveRefused('target', 'the target cloud must be on PostgreSQL (store.kind postgres in its config)');
  const file = join(o.from.dataDir, 'cloud.db');
  if (!existsSync(file)) throw new MoveRefused('missing', 'no cloud database at {file}', { file });
  const copyKey = keyToCopy(o.from.dataDir, o.to.dataDir);
  const src = lockSource(file);
  try {
    const village = src.prepare('SELECT id, name FROM villages WHERE id = ?').get(o.villageId) as { id: number; name: string } | undefined;
    if (!village) throw new MoveRefused('missing', 'no village #{id} in the source cloud', { id: o.villageId });
    const pool = await openPgDatabase({ url: target.url, max: 2 });
    try {
      const rows: Record<string, number> = {};
      let mediaFiles = { copied: 0, present: 0 };
      await inTransaction(pool, async (c) => {
        await refuseClashes(c, src, o.villageId);
        for (const spec of TABLES) {
          const list = src.prepare(`SELECT * FROM ${spec.table} WHERE ${spec.where}`).all({ v: o.villageId }) as Array<Record<string, unknown>>;
          await insertRows(c, spec, list);
          rows[spec.table] = list.length;
          o.progress?.(spec.table, list.length);
        }
        // The village's id was given, not drawn: the next village made there must not draw it.
        await c.query("SELECT setval(pg_get_serial_sequence('villages', 'id'), (SELECT max(id) FROM villages))");
        // Before the commit: a file copied for a move that then fails is only an unreferenced object.
        if (resolve(o.from.dataDir) !== resolve(o.to.dataDir)) mediaFiles = copyMedia(src, o.villageId, o.from.dataDir, o.to.dataDir);
        copyKey?.();
      });
      const before = sqliteDigest(src, o.villageId);
      const after = await pgDigest(pool, o.villageId);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        throw new MoveRefused('verify', 'the copy differs from the source (source: {a}; target: {b})', { a: JSON.stringify(before), b: JSON.stringify(after) });
      }
      return { villageId: village.id, name: village.name, rows, mediaFiles, keyCopied: copyKey !== undefined, verified: after };
    } finally {
      await pool.end();
    }
  } finally {
    src.close();
  }
}

/**
 * Opens the source and holds its lock for the whole move: a cloud still
 * running (or started meanwhile) has the file open, and the move must not copy
 * a village it is still writing.
 */
function lockSource(file: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new MoveRefused('in-use', '{file} is in use: stop the old cloud first', { file });
    throw err;
  }
}

/**
 * Sealed columns open only with the key that sealed them: the target must
 * already hold the source's key, or gets it (returned as the copy to make,
 * last, so a refused move leaves the target's directory as it was).
 */
function keyToCopy(fromDir: string, toDir: string): (() => void) | undefined {
  const from = join(fromDir, 'keys', 'data.key');
  const to = join(toDir, 'keys', 'data.key');
  const a = readKey(from);
  if (!a) throw new MoveRefused('key', 'the source cloud has no data key at {file}', { file: from });
  const b = readKey(to);
  if (b) {
    if (!a.equals(b)) throw new MoveRefused('key', 'the two clouds hold different data keys ({from}, {to}): sealed fields could not be read after the move', { from, to });
    return undefined;
  }
  return () => {
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    copyFileSync(from, to, constants.COPYFILE_EXCL);
  };
}

async function refuseClashes(c: pg.PoolClient, src: Database.Database, villageId: number): Promise<void> {
  const v = src.prepare('SELECT node FROM villages WHERE id = ?').get(villageId) as { node: string };
  // Locked to the commit: a cloud on the target making a village meanwhile waits.
  await c.query('LOCK TABLE villages IN EXCLUSIVE MODE');
  const same = await c.query<{ id: number; name: string }>('SELECT id, name FROM villages WHERE id = $1 OR node = $2', [villageId, v.node]);
  const clash = same.rows[0];
  if (clash) {
    // Edge configs and phone addresses carry the id: a move under another id would strand them.
    throw new MoveRefused('exists', 'the target already has village #{id} ({name}): the village keeps its id, so the move needs that id free', { id: clash.id, name: clash.name });
  }
  const edges = (src.prepare('SELECT edge_id FROM edges WHERE village_id = ?').all(villageId) as Array<{ edge_id: string }>).map((r) => r.edge_id);
  const taken = await c.query<{ edge_id: string }>('SELECT edge_id FROM edges WHERE edge_id = ANY($1)', [edges]);
  if (taken.rows.length > 0) throw new MoveRefused('exists', 'the target already has edge {edge}', { edge: taken.rows[0]!.edge_id });
}

/** PostgreSQL takes at most 65,535 parameters a statement. */
const MAX_PARAMS = 60_000;

async function insertRows(c: pg.PoolClient, spec: TableCopy, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!).filter((k) => !spec.omit?.includes(k));
  const flags = new Set(spec.flags ?? []);
  const per = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const values: unknown[] = [];
    const tuples = chunk.map((r) => `(${cols.map((col) => (values.push(flags.has(col) ? r[col] === 1 : r[col]), `$${values.length}`)).join(', ')})`);
    await c.query(`INSERT INTO ${spec.table} (${cols.join(', ')}) VALUES ${tuples.join(', ')}${spec.shared ? ' ON CONFLICT DO NOTHING' : ''}`, values);
  }
}

/** Content-addressed files: one the target already has is the same bytes. */
function copyMedia(src: Database.Database, villageId: number, fromDir: string, toDir: string): { copied: number; present: number } {
  const shas = (src.prepare('SELECT DISTINCT sha256 FROM media_owners WHERE village_id = ?').all(villageId) as Array<{ sha256: string }>).map((r) => r.sha256);
  const path = (dir: string, sha: string): string => join(dir, 'media', 'objects', sha.slice(0, 2), sha);
  let copied = 0;
  for (const sha of shas) {
    const to = path(toDir, sha);
    if (existsSync(to)) continue;
    const from = path(fromDir, sha);
    if (!existsSync(from)) throw new MoveRefused('missing', 'the media file {file} named in the index is missing', { file: from });
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    copied++;
  }
  return { copied, present: shas.length - copied };
}

type OpKey = { id: string; origin: string; seq: number; hlc: string; payload: string };
type StateKey = { kind: string; id: string; present: boolean | number; created_at: number | null; state: string };

function digestOf(ops: OpKey[], states: StateKey[], next: { next_seq: number; hlc: string | null }): VillageDigest {
  const h = createHash('sha256');
  for (const o of ops) h.update(JSON.stringify([o.id, o.origin, o.seq, o.hlc, o.payload]));
  for (const s of states) h.update(JSON.stringify([s.kind, s.id, Boolean(s.present), s.created_at, s.state]));
  return { ops: ops.length, lastSeq: next.next_seq - 1, hlc: next.hlc, digest: h.digest('hex') };
}

const OPS = 'SELECT id, origin, seq, hlc, payload FROM ops WHERE village_id = {v} ORDER BY id';
const STATES = 'SELECT kind, id, present, created_at, state FROM entities WHERE village_id = {v} ORDER BY kind, id';
const NEXT = 'SELECT next_seq, hlc FROM villages WHERE id = {v}';

function sqliteDigest(db: Database.Database, v: number): VillageDigest {
  const q = (sql: string) => db.prepare(sql.replace('{v}', '?'));
  return digestOf(q(OPS).all(v) as OpKey[], q(STATES).all(v) as StateKey[], q(NEXT).get(v) as { next_seq: number; hlc: string | null });
}

async function pgDigest(pool: pg.Pool, v: number): Promise<VillageDigest> {
  // COLLATE "C": byte order, as SQLite's ORDER BY on text.
  const q = async <R extends pg.QueryResultRow>(sql: string) => (await pool.query<R>(sql.replace('{v}', '$1').replace(/ORDER BY (.*)$/, (_m, k: string) => `ORDER BY ${k.split(', ').map((c) => `${c} COLLATE "C"`).join(', ')}`), [v])).rows;
  return digestOf(await q<OpKey>(OPS), await q<StateKey>(STATES), (await q<{ next_seq: number; hlc: string | null }>(NEXT))[0]!);
}
