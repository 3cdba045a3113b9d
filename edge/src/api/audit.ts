import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';

export interface AuditEntry {
  id: number;
  at: number;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  /** 'edge': recorded here; 'cloud': recorded by the cloud (phone API) and brought here by sync. */
  source: 'edge' | 'cloud';
}

/**
 * The audit log: admin actions, every read of sensitive fields, logins.
 * Callers pass only ids and field names in `detail`, never the values of
 * passwords, tokens, ID or phone numbers.
 */
export class AuditLog {
  readonly #db: Db;
  readonly #clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** `source: 'cloud'` with the cloud's own `at`: an entry sync brought from the cloud. */
  record(e: { actor: string | null; role?: string | null; action: string; target?: string | null; detail?: Record<string, unknown> | null; ip?: string | null; source?: 'edge' | 'cloud'; at?: number }): void {
    this.#db
      .prepare('INSERT INTO audit_log (at, actor, role, action, target, detail, ip, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.at ?? this.#clock.now(), e.actor, e.role ?? null, e.action, e.target ?? null, e.detail ? JSON.stringify(e.detail) : null, e.ip ?? null, e.source ?? 'edge');
  }

  list(opts: { action?: string; actor?: string; limit?: number; beforeId?: number } = {}): AuditEntry[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM audit_log WHERE (@action IS NULL OR action = @action) AND (@actor IS NULL OR actor = @actor) AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit`,
      )
      .all({ action: opts.action ?? null, actor: opts.actor ?? null, before: opts.beforeId ?? null, limit: opts.limit ?? 100 }) as Array<Omit<AuditEntry, 'detail'> & { detail: string | null }>;
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}
