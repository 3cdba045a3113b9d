import type { PartyMemberState, PointsEntry } from './party.ts';

export type RankingPeriod = { kind: 'month'; month: string } | { kind: 'quarter'; year: number; quarter: 1 | 2 | 3 | 4 } | { kind: 'year'; year: number } | { kind: 'all' };

/** 'YYYY-MM', 'YYYY-Qn', 'YYYY' or 'all'. */
export function parsePeriod(s: string): RankingPeriod | null {
  if (s === 'all') return { kind: 'all' };
  let m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(s);
  if (m) return { kind: 'month', month: s };
  m = /^(\d{4})-Q([1-4])$/.exec(s);
  if (m) return { kind: 'quarter', year: Number(m[1]), quarter: Number(m[2]) as 1 | 2 | 3 | 4 };
  m = /^(\d{4})$/.exec(s);
  if (m) return { kind: 'year', year: Number(m[1]) };
  return null;
}

function inPeriod(date: string, p: RankingPeriod): boolean {
  switch (p.kind) {
    case 'all':
      return true;
    case 'month':
      return date.slice(0, 7) === p.month;
    case 'year':
      return date.slice(0, 4) === String(p.year);
    case 'quarter': {
      const month = Number(date.slice(5, 7));
      return date.slice(0, 4) === String(p.year) && Math.ceil(month / 3) === p.quarter;
    }
  }
}

export interface RankRow {
  rank: number;
  memberId: string;
  name: string;
  branch: string;
  points: number;
}

/**
 * Ranks members by the sum of their effective ledger points in the period.
 * Ties share a rank (1, 2, 2, 4) and are listed by name, then id; `limit`
 * rows are returned (TOP10: 10). `counts` decides which entries count (the
 * edge excludes entries whose claim did not end approved).
 */
export function rankMembers(
  members: Iterable<PartyMemberState>,
  period: RankingPeriod,
  opts: { limit?: number; counts?: (e: PointsEntry) => boolean; branch?: string } = {},
): RankRow[] {
  const rows: Omit<RankRow, 'rank'>[] = [];
  for (const m of members) {
    if (!m.exists || !m.active) continue;
    if (opts.branch !== undefined && m.branch !== opts.branch) continue;
    let points = 0;
    for (const e of m.points) if (inPeriod(e.date, period) && (opts.counts?.(e) ?? true)) points += e.effective;
    rows.push({ memberId: m.id, name: m.name, branch: m.branch, points });
  }
  rows.sort((a, b) => b.points - a.points || a.name.localeCompare(b.name, 'zh-CN') || (a.memberId < b.memberId ? -1 : 1));
  const ranked: RankRow[] = [];
  rows.forEach((r, i) => {
    const prev = ranked[i - 1];
    ranked.push({ ...r, rank: prev && prev.points === r.points ? prev.rank : i + 1 });
  });
  return ranked.slice(0, opts.limit ?? 10);
}
