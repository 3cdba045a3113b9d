/**
 * The cloud's audit log: what a phone user did that the village must be able
 * to check afterwards (reads of unmasked resident data, …), per village, in a
 * durable table. Each village's entries are numbered 1..n without gaps: that
 * number is the outbox position sync sends them down to the village's edge
 * by (down/audit, acked by the edge after its commit), so the edge's
 * `GET /api/audit` shows them beside its own.
 */
import type Database from 'better-sqlite3';
import type { SyncAuditEntry } from '@cunbox/shared';
import { Statements } from './statements.ts';

export type AuditInput = Omit<SyncAuditEntry, 'seq'>;

export interface AuditStore {
  /** Appends an entry to the village's log; returns its seq. */
  record(villageId: number, entry: AuditInput): number;
  after(villageId: number, afterSeq: number, limit: number): SyncAuditEntry[];
  count(villageId: number): number;
  /** Highest seq the edge said it committed. */
  acked(edgeId: string): number;
  /** `exact`: the edge's hello says where it stands, even below what it acked before. */
  setAcked(edgeId: string, seq: number, exact?: boolean): void;
}

export class SqliteAuditStore implements AuditStore {
  readonly #db: Database.Database;
  readonly #statements: Statements;

  /** `db` is migrated (migrations.ts): its tables exist. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#statements = new Statements(db);
  }

  record(villageId: number, e: AuditInput): number {
    return this.#db.transaction(() => {
      const { seq } = this.#statements.sql('SELECT coalesce(max(seq), 0) + 1 AS seq FROM audit WHERE village_id = ?').get(villageId) as { seq: number };
      this.#statements
        .sql('INSERT INTO audit (village_id, seq, at, actor, role, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(villageId, seq, e.at, e.actor, e.role, e.action, e.target, e.detail === null ? null : JSON.stringify(e.detail), e.ip);
      return seq;
    }).immediate();
  }

  after(villageId: number, afterSeq: number, limit: number): SyncAuditEntry[] {
    const rows = this.#statements
      .sql('SELECT seq, at, actor, role, action, target, detail, ip FROM audit WHERE village_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(villageId, afterSeq, limit) as Array<Omit<SyncAuditEntry, 'detail'> & { detail: string | null }>;
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
  }

  count(villageId: number): number {
    return (this.#statements.sql('SELECT count(*) AS n FROM audit WHERE village_id = ?').get(villageId) as { n: number }).n;
  }

  acked(edgeId: string): number {
    return (this.#statements.sql('SELECT seq FROM audit_acks WHERE edge_id = ?').get(edgeId) as { seq: number } | undefined)?.seq ?? 0;
  }

  setAcked(edgeId: string, seq: number, exact = false): void {
    this.#statements
      .sql(`INSERT INTO audit_acks (edge_id, seq) VALUES (?, ?) ON CONFLICT (edge_id) DO UPDATE SET seq = ${exact ? 'excluded.seq' : 'max(seq, excluded.seq)'}`)
      .run(edgeId, seq);
  }
}
