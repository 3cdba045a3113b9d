/**
 * Exactly once, checked against the cloud's store: every op each edge made is stored once
 * under its (origin, seq), none missing, none twice, and the edge's committed mark covers
 * them all.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { LedgerEntry } from './edge-process.ts';

export interface StoreCheck {
  /** Ops an edge made that the cloud does not hold. */
  lost: number;
  /** Rows beyond the first of one (origin, seq). */
  duplicated: number;
  /** Edges whose `ops_committed` mark is not their last op. */
  marksBehind: number;
  /** Messages the cloud could not use (a refused write lands there too). */
  deadLetters: number;
}

export function checkSqliteStore(file: string, ledger: readonly LedgerEntry[]): StoreCheck {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const counts = db.prepare('SELECT count(*) AS n, count(DISTINCT seq) AS d FROM ops WHERE origin = ? AND seq BETWEEN 1 AND ?');
    const mark = db.prepare('SELECT ops_committed FROM edges WHERE edge_id = ?').pluck();
    let lost = 0;
    let duplicated = 0;
    let marksBehind = 0;
    for (const e of ledger) {
      const { n, d } = counts.get(e.node, e.made) as { n: number; d: number };
      lost += e.made - d;
      duplicated += n - d;
      if (mark.get(e.edgeId) !== e.made) marksBehind++;
    }
    const deadLetters = db.prepare('SELECT count(*) FROM dead_letters').pluck().get() as number;
    return { lost, duplicated, marksBehind, deadLetters };
  } finally {
    db.close();
  }
}

/** The same check on PostgreSQL (ops, edges and dead_letters have the same columns there). */
export async function checkPgStore(url: string, ledger: readonly LedgerEntry[]): Promise<StoreCheck> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    let lost = 0;
    let duplicated = 0;
    let marksBehind = 0;
    for (const e of ledger) {
      const { rows } = await pool.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT seq) AS d FROM ops WHERE origin = $1 AND seq BETWEEN 1 AND $2', [e.node, e.made]);
      lost += e.made - Number(rows[0]!.d);
      duplicated += Number(rows[0]!.n) - Number(rows[0]!.d);
      const mark = await pool.query<{ c: string }>('SELECT ops_committed AS c FROM edges WHERE edge_id = $1', [e.edgeId]);
      if (Number(mark.rows[0]?.c) !== e.made) marksBehind++;
    }
    const dead = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters');
    return { lost, duplicated, marksBehind, deadLetters: Number(dead.rows[0]!.n) };
  } finally {
    await pool.end();
  }
}
