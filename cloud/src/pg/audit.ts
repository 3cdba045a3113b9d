/** The audit log (../audit.ts) on PostgreSQL. */
import type { SyncAuditEntry } from '@cunbox/shared';
import type { AuditInput } from '../audit.ts';
import type { AsyncAuditStore } from '../store-async.ts';
import { inTransaction, type PgPool } from './database.ts';

export class PgAuditStore implements AsyncAuditStore {
  readonly #pool: PgPool;

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  async record(villageId: number, e: AuditInput): Promise<number> {
    return inTransaction(this.#pool, async (c) => {
      // Numbered without gaps per village: writers of one village queue on its row.
      await c.query('SELECT 1 FROM villages WHERE id = $1 FOR UPDATE', [villageId]);
      const { seq } = (await c.query<{ seq: number }>('SELECT coalesce(max(seq), 0) + 1 AS seq FROM audit WHERE village_id = $1', [villageId])).rows[0]!;
      await c.query('INSERT INTO audit (village_id, seq, at, actor, role, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        villageId,
        seq,
        e.at,
        e.actor,
        e.role,
        e.action,
        e.target,
        e.detail === null ? null : JSON.stringify(e.detail),
        e.ip,
      ]);
      return seq;
    });
  }

  async after(villageId: number, afterSeq: number, limit: number): Promise<SyncAuditEntry[]> {
    const rows = (
      await this.#pool.query<Omit<SyncAuditEntry, 'detail'> & { detail: string | null }>(
        'SELECT seq, at, actor, role, action, target, detail, ip FROM audit WHERE village_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [villageId, afterSeq, limit],
      )
    ).rows;
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
  }

  async count(villageId: number): Promise<number> {
    return (await this.#pool.query<{ n: number }>('SELECT count(*) AS n FROM audit WHERE village_id = $1', [villageId])).rows[0]!.n;
  }

  async acked(edgeId: string): Promise<number> {
    return (await this.#pool.query<{ seq: number }>('SELECT seq FROM audit_acks WHERE edge_id = $1', [edgeId])).rows[0]?.seq ?? 0;
  }

  async setAcked(edgeId: string, seq: number, exact = false): Promise<void> {
    await this.#pool.query(
      `INSERT INTO audit_acks (edge_id, seq) VALUES ($1, $2) ON CONFLICT (edge_id) DO UPDATE SET seq = ${exact ? 'excluded.seq' : 'greatest(audit_acks.seq, excluded.seq)'}`,
      [edgeId, seq],
    );
  }
}
