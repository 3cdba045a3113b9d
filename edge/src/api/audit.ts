import { createHmac } from 'node:crypto';
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

export interface AuditRecord {
  actor: string | null;
  role?: string | null;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
  /** 'cloud': an entry the cloud recorded (a phone read) and sync brought here, with the cloud's `at`. */
  source?: 'edge' | 'cloud';
  at?: number;
}

/** What `verify()` found: ok, or the first row where the chain breaks and why. */
export interface AuditVerification {
  ok: boolean;
  rows: number;
  firstId: number | null;
  lastId: number | null;
  /** The chain's newest hash: note it somewhere else to detect a cut-off tail later. */
  head: string | null;
  broken?: { id: number; reason: 'edited' | 'missing-before' | 'unsealed' | 'base-forged' };
}

/** The minimum a county can ask for (等保 2.0 level 2: six months); config can only raise it. */
const MIN_AUDIT_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;
/** The chain's start before any row was ever pruned. */
const GENESIS = '0'.repeat(64);

interface StoredRow {
  id: number;
  at: number;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
  source: 'edge' | 'cloud';
  hash: string | null;
}

/**
 * The audit log: admin actions, every read of sensitive fields, logins.
 * Callers pass only ids and field names in `detail`, never the values of
 * passwords, tokens, ID or phone numbers.
 *
 * Rows form a chain: each row's hash is an HMAC, under a key kept outside the
 * database, of the previous row's hash and the row's own fields. Editing or
 * deleting a row breaks the chain at that row, and nobody holding only the
 * database file can re-seal it. Pruning (never below 180 days) moves a signed
 * base to the last pruned row, so the kept rows still verify.
 */
export class AuditLog {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #key: Buffer;
  constructor(deps: { db: Db; clock: Clock; key: Buffer }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#key = deps.key;
  }

  /** `source: 'cloud'` with the cloud's own `at`: an entry sync brought from the cloud. */
  record(e: AuditRecord): void {
    // IMMEDIATE: the CLI and the edge may both write; the chain needs one writer at a time.
    this.#db
      .transaction(() => {
        const prev = this.#sealedHead();
        const row = { at: e.at ?? this.#clock.now(), actor: e.actor, role: e.role ?? null, action: e.action, target: e.target ?? null, detail: e.detail ? JSON.stringify(e.detail) : null, ip: e.ip ?? null, source: e.source ?? 'edge' };
        const { lastInsertRowid } = this.#db.prepare('INSERT INTO audit_log (at, actor, role, action, target, detail, ip, source) VALUES (@at, @actor, @role, @action, @target, @detail, @ip, @source)').run(row);
        const id = Number(lastInsertRowid);
        this.#db.prepare('UPDATE audit_log SET hash = ? WHERE id = ?').run(this.#hash(prev, { id, ...row }), id);
      })
      .immediate();
  }

  list(opts: { action?: string; actor?: string; limit?: number; beforeId?: number; from?: number; to?: number } = {}): AuditEntry[] {
    const rows = this.#db
      .prepare(
        `SELECT id, at, actor, role, action, target, detail, ip, source FROM audit_log
          WHERE (@action IS NULL OR action = @action) AND (@actor IS NULL OR actor = @actor) AND (@before IS NULL OR id < @before)
            AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
          ORDER BY id DESC LIMIT @limit`,
      )
      .all({ action: opts.action ?? null, actor: opts.actor ?? null, before: opts.beforeId ?? null, from: opts.from ?? null, to: opts.to ?? null, limit: opts.limit ?? 100 }) as StoredRow[];
    return rows.map(toEntry);
  }

  /** Every row in [from, to), oldest first, with its chain hash: what an export hands to an inspector. */
  *export(opts: { from?: number; to?: number } = {}): Generator<AuditEntry & { hash: string | null }> {
    const stmt = this.#db.prepare('SELECT * FROM audit_log WHERE (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to) ORDER BY id');
    for (const r of stmt.iterate({ from: opts.from ?? null, to: opts.to ?? null }) as IterableIterator<StoredRow>) yield { ...toEntry(r), hash: r.hash };
  }

  /** Walks the whole chain from its (signed) base; stops at the first break. */
  verify(): AuditVerification {
    const base = this.#base();
    let prev = base.hash;
    // Ids come from AUTOINCREMENT inside the same transaction as the hash, so they
    // never repeat and have no holes: a hole is a deleted row.
    let expectedId = (base.throughId ?? 0) + 1;
    let rows = 0;
    let firstId: number | null = null;
    let lastId: number | null = null;
    const out = (broken?: AuditVerification['broken']): AuditVerification => ({ ok: !broken, rows, firstId, lastId, head: rows > 0 ? prev : null, ...(broken ? { broken } : {}) });
    if (!base.valid) return out({ id: expectedId, reason: 'base-forged' });
    for (const r of this.#db.prepare('SELECT * FROM audit_log ORDER BY id').iterate() as IterableIterator<StoredRow>) {
      firstId ??= r.id;
      if (r.id !== expectedId) return out({ id: r.id, reason: 'missing-before' });
      if (r.hash === null) return out({ id: r.id, reason: 'unsealed' });
      if (r.hash !== this.#hash(prev, r)) return out({ id: r.id, reason: 'edited' });
      prev = r.hash;
      rows++;
      lastId = r.id;
      expectedId = r.id + 1;
    }
    return out();
  }

  /**
   * Drops rows older than `retentionDays` (never fewer than 180 days) and moves the
   * signed base to the last dropped row. Records the pruning itself. Returns how many went.
   */
  prune(retentionDays: number): number {
    const days = Math.max(MIN_AUDIT_RETENTION_DAYS, retentionDays);
    const cutoff = this.#clock.now() - days * DAY_MS;
    const last = this.#db.prepare('SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1').get(cutoff) as { id: number; hash: string | null } | undefined;
    if (!last) return 0;
    const removed = this.#db
      .transaction(() => {
        this.#sealedHead();
        const hash = (this.#db.prepare('SELECT hash FROM audit_log WHERE id = ?').get(last.id) as { hash: string }).hash;
        const n = this.#db.prepare('DELETE FROM audit_log WHERE id <= ?').run(last.id).changes;
        this.#db.prepare('INSERT INTO audit_chain_base (one, through_id, hash, mac) VALUES (1, @id, @hash, @mac) ON CONFLICT (one) DO UPDATE SET through_id = @id, hash = @hash, mac = @mac').run({ id: last.id, hash, mac: this.#baseMac(last.id, hash) });
        return n;
      })
      .immediate();
    this.record({ actor: null, action: 'audit.pruned', detail: { rows: removed, throughId: last.id, olderThanDays: days } });
    return removed;
  }

  /** Chains rows written before the chain existed (a database from an older version); the edge does it at start. */
  seal(): void {
    this.#db.transaction(() => void this.#sealedHead()).immediate();
  }

  /**
   * The newest row's hash, sealing first any rows written before the chain existed
   * (a database upgraded from a version without it): they are chained in id order.
   */
  #sealedHead(): string {
    const last = this.#db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string | null } | undefined;
    if (!last) return this.#base().hash;
    if (last.hash !== null) return last.hash;
    const before = this.#db.prepare('SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1').get() as { hash: string } | undefined;
    let prev = before?.hash ?? this.#base().hash;
    const update = this.#db.prepare('UPDATE audit_log SET hash = ? WHERE id = ?');
    for (const r of this.#db.prepare('SELECT * FROM audit_log WHERE hash IS NULL ORDER BY id').all() as StoredRow[]) {
      prev = this.#hash(prev, r);
      update.run(prev, r.id);
    }
    return prev;
  }

  #base(): { throughId: number | null; hash: string; valid: boolean } {
    const b = this.#db.prepare('SELECT through_id AS throughId, hash, mac FROM audit_chain_base WHERE one = 1').get() as { throughId: number; hash: string; mac: string } | undefined;
    if (!b) return { throughId: null, hash: GENESIS, valid: true };
    return { throughId: b.throughId, hash: b.hash, valid: b.mac === this.#baseMac(b.throughId, b.hash) };
  }

  #hash(prev: string, r: Omit<StoredRow, 'hash'>): string {
    // A JSON array: unambiguous field boundaries whatever the values hold.
    return createHmac('sha256', this.#key).update(JSON.stringify([prev, r.id, r.at, r.actor, r.role, r.action, r.target, r.detail, r.ip, r.source])).digest('hex');
  }

  #baseMac(throughId: number, hash: string): string {
    return createHmac('sha256', this.#key).update(JSON.stringify(['base', throughId, hash])).digest('hex');
  }
}

function toEntry(r: StoredRow): AuditEntry {
  return { id: r.id, at: r.at, actor: r.actor, role: r.role, action: r.action, target: r.target, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null, ip: r.ip, source: r.source };
}
