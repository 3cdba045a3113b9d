/**
 * Exactly once, checked against the cloud's store: every op each edge made is stored once
 * under its (origin, seq), none missing, none twice, and the edge's committed mark covers
 * them all.
 */
import Database from 'better-sqlite3';
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
