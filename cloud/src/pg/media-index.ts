/**
 * Which media the cloud holds and which village owns which (../media-index.ts)
 * on PostgreSQL. The invariant is the same: a media_objects row is written
 * only after its file is on disk (media.ts moves, fsyncs, then records it).
 */
import { CERTIFICATE_PDF_KIND, certificatePdfRef } from '@cunbox/shared';
import type { MediaObject, MediaOwner } from '../media-index.ts';
import type { AsyncMediaIndex } from '../store-async.ts';
import { inTransaction, type PgPool } from './database.ts';

type Owner = { villageId: number; sha256: string; kind: string; ref: string; edgeId: string };

export class PgMediaIndex implements AsyncMediaIndex {
  readonly #pool: PgPool;
  readonly #now: () => number;

  /** `pool`: opened and migrated by the caller (openPgDatabase), who ends it. */
  constructor(opts: { pool: PgPool; now?: () => number }) {
    this.#pool = opts.pool;
    this.#now = opts.now ?? Date.now;
  }

  async object(sha256: string): Promise<MediaObject | undefined> {
    return (await this.#pool.query<MediaObject>('SELECT sha256, size, mime FROM media_objects WHERE sha256 = $1', [sha256])).rows[0];
  }

  async stored(obj: MediaObject, owner: Omit<Owner, 'sha256'>): Promise<void> {
    await inTransaction(this.#pool, async (c) => {
      await c.query('INSERT INTO media_objects (sha256, size, mime, stored_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [obj.sha256, obj.size, obj.mime, this.#now()]);
      await this.#addOwner({ ...owner, sha256: obj.sha256 }, c);
    });
  }

  async addOwner(o: Owner): Promise<void> {
    await this.#addOwner(o, this.#pool);
  }

  async owns(villageId: number, sha256: string): Promise<boolean> {
    return ((await this.#pool.query('SELECT 1 FROM media_owners WHERE village_id = $1 AND sha256 = $2 LIMIT 1', [villageId, sha256])).rowCount ?? 0) > 0;
  }

  async find(villageId: number, key: string): Promise<MediaOwner | undefined> {
    const bySha = /^[0-9a-f]{64}$/.test(key);
    return (
      await this.#pool.query<MediaOwner>(
        `SELECT o.village_id AS "villageId", o.sha256, o.kind, o.ref, o.edge_id AS "edgeId", o.at, m.size, m.mime
         FROM media_owners o JOIN media_objects m ON m.sha256 = o.sha256
         WHERE o.village_id = $1 AND ${bySha ? 'o.sha256' : 'o.ref'} = $2 ORDER BY o.at LIMIT 1`,
        [villageId, key],
      )
    ).rows[0];
  }

  async dropOwners(kinds: readonly string[], before: number, keep: ReadonlySet<string>): Promise<{ owners: number; orphans: MediaObject[] }> {
    return this.#drop('SELECT village_id, kind, ref, sha256 FROM media_owners WHERE kind = ANY($1::text[]) AND at < $2', [kinds, before], keep);
  }

  async dropRevokedCertificatePdfs(keep: ReadonlySet<string>): Promise<{ owners: number; orphans: MediaObject[] }> {
    // The entity's id is the ref without its prefix: each owner row finds its certificate by primary key.
    const prefix = certificatePdfRef('');
    return this.#drop(
      `SELECT o.village_id, o.kind, o.ref, o.sha256 FROM media_owners o
       JOIN entities e ON e.village_id = o.village_id AND e.kind = 'certificate' AND e.id = substr(o.ref, $1)
       WHERE o.kind = $2 AND starts_with(o.ref, $3) AND (e.state::jsonb ->> 'status') = 'revoked'`,
      [prefix.length + 1, CERTIFICATE_PDF_KIND, prefix],
      keep,
    );
  }

  /** Deletes the owner rows `select` finds (but those of hashes in `keep`), then the objects no owner names any more. */
  async #drop(select: string, params: unknown[], keep: ReadonlySet<string>): Promise<{ owners: number; orphans: MediaObject[] }> {
    return inTransaction(this.#pool, async (c) => {
      const rows = (await c.query<{ village_id: number; kind: string; ref: string; sha256: string }>(select, params)).rows.filter((r) => !keep.has(r.sha256));
      let owners = 0;
      for (const r of rows) owners += (await c.query('DELETE FROM media_owners WHERE village_id = $1 AND kind = $2 AND ref = $3', [r.village_id, r.kind, r.ref])).rowCount ?? 0;
      const orphans: MediaObject[] = [];
      for (const sha256 of new Set(rows.map((r) => r.sha256))) {
        // Bytes a ticket (or a newer relay) still names stay.
        if (((await c.query('SELECT 1 FROM media_owners WHERE sha256 = $1 LIMIT 1', [sha256])).rowCount ?? 0) > 0) continue;
        const obj = (await c.query<MediaObject>('DELETE FROM media_objects WHERE sha256 = $1 RETURNING sha256, size, mime', [sha256])).rows[0];
        if (obj) orphans.push(obj);
      }
      return { owners, orphans };
    });
  }

  /** The pool is the caller's. */
  async close(): Promise<void> {}

  async #addOwner(o: Owner, c: Pick<PgPool, 'query'>): Promise<void> {
    // The first (kind, ref) wins: edge media ids never change.
    await c.query('INSERT INTO media_owners (village_id, sha256, kind, ref, edge_id, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [o.villageId, o.sha256, o.kind, o.ref, o.edgeId, this.#now()]);
  }
}
