/**
 * Which media the cloud holds (by SHA-256) and which village owns which.
 * Kept in the cloud database file beside the op log (one file to back up),
 * in its own tables, over the process's one connection to it.
 * Invariant: a media_objects row is written only after its file is on disk
 * (media.ts moves, fsyncs, then calls addObject).
 */
import type Database from 'better-sqlite3';
import { CERTIFICATE_PDF_KIND, certificatePdfRef } from '@cunbox/shared';
import { Statements } from './statements.ts';
import type { CloudDb } from './database.ts';

export interface MediaObject {
  sha256: string;
  size: number;
  mime: string | null;
}

export interface MediaOwner extends MediaObject {
  villageId: number;
  kind: string;
  ref: string;
  edgeId: string;
  at: number;
}

export interface MediaIndex {
  object(sha256: string): MediaObject | undefined;
  /** Records a stored file and the village that sent it, in one transaction. */
  stored(obj: MediaObject, owner: { villageId: number; kind: string; ref: string; edgeId: string }): void;
  /** Adds an owner for a file the village already owns (same bytes under another ref). */
  addOwner(owner: { villageId: number; sha256: string; kind: string; ref: string; edgeId: string }): void;
  owns(villageId: number, sha256: string): boolean;
  /** By SHA-256 (64 hex digits) or by the edge's ref (its media id). */
  find(villageId: number, key: string): MediaOwner | undefined;
  /**
   * Drops the owner rows of `kinds` recorded before `before` (except for the
   * hashes in `keep`), then the objects no owner names any more, in one
   * transaction; returns those objects: their files are the caller's to delete.
   */
  dropOwners(kinds: readonly string[], before: number, keep: ReadonlySet<string>): { owners: number; orphans: MediaObject[] };
  /**
   * Drops the owner rows of revoked certificates' PDFs (the village's
   * certificate entity says `revoked`), then the objects no owner names any
   * more, as `dropOwners` does.
   */
  dropRevokedCertificatePdfs(keep: ReadonlySet<string>): { owners: number; orphans: MediaObject[] };
  close(): void;
}

export class SqliteMediaIndex implements MediaIndex {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #now: () => number;

  /** `db`: the process's one connection to cloud.db (database.ts), migrated; the caller closes it. */
  constructor(opts: { db: CloudDb; now?: () => number }) {
    this.#db = opts.db;
    this.#statements = new Statements(this.#db);
    this.#now = opts.now ?? Date.now;
  }

  object(sha256: string): MediaObject | undefined {
    return this.#statements.sql('SELECT sha256, size, mime FROM media_objects WHERE sha256 = ?').get(sha256) as MediaObject | undefined;
  }

  stored(obj: MediaObject, owner: { villageId: number; kind: string; ref: string; edgeId: string }): void {
    this.#db.transaction(() => {
      this.#statements.sql('INSERT OR IGNORE INTO media_objects (sha256, size, mime, stored_at) VALUES (?, ?, ?, ?)').run(obj.sha256, obj.size, obj.mime, this.#now());
      this.addOwner({ ...owner, sha256: obj.sha256 });
    })();
  }

  addOwner(o: { villageId: number; sha256: string; kind: string; ref: string; edgeId: string }): void {
    this.#statements.sql('INSERT OR IGNORE INTO media_owners (village_id, sha256, kind, ref, edge_id, at) VALUES (?, ?, ?, ?, ?, ?)').run(o.villageId, o.sha256, o.kind, o.ref, o.edgeId, this.#now());
  }

  owns(villageId: number, sha256: string): boolean {
    return this.#statements.sql('SELECT 1 FROM media_owners WHERE village_id = ? AND sha256 = ? LIMIT 1').get(villageId, sha256) !== undefined;
  }

  find(villageId: number, key: string): MediaOwner | undefined {
    const bySha = /^[0-9a-f]{64}$/.test(key);
    const r = this.#statements.sql(
        `SELECT o.village_id AS villageId, o.sha256, o.kind, o.ref, o.edge_id AS edgeId, o.at, m.size, m.mime
         FROM media_owners o JOIN media_objects m ON m.sha256 = o.sha256
         WHERE o.village_id = ? AND ${bySha ? 'o.sha256' : 'o.ref'} = ? ORDER BY o.at LIMIT 1`,
      )
      .get(villageId, key) as MediaOwner | undefined;
    return r;
  }

  dropOwners(kinds: readonly string[], before: number, keep: ReadonlySet<string>): { owners: number; orphans: MediaObject[] } {
    const marks = kinds.map(() => '?').join(', ');
    return this.#drop(`SELECT village_id, kind, ref, sha256 FROM media_owners WHERE kind IN (${marks}) AND at < ?`, [...kinds, before], keep);
  }

  dropRevokedCertificatePdfs(keep: ReadonlySet<string>): { owners: number; orphans: MediaObject[] } {
    // The entity's id is the ref without its prefix: each owner row finds its certificate by primary key.
    const prefix = certificatePdfRef('');
    return this.#drop(
      `SELECT o.village_id, o.kind, o.ref, o.sha256 FROM media_owners o
       JOIN entities e ON e.village_id = o.village_id AND e.kind = 'certificate' AND e.id = substr(o.ref, ?)
       WHERE o.kind = ? AND substr(o.ref, 1, ?) = ? AND json_extract(e.state, '$.status') = 'revoked'`,
      [prefix.length + 1, CERTIFICATE_PDF_KIND, prefix.length, prefix],
      keep,
    );
  }

  /** Deletes the owner rows `select` finds (but those of hashes in `keep`), then the objects no owner names any more. */
  #drop(select: string, params: unknown[], keep: ReadonlySet<string>): { owners: number; orphans: MediaObject[] } {
    return this.#db.transaction(() => {
      const rows = (this.#statements.sql(select).all(...params) as Array<{ village_id: number; kind: string; ref: string; sha256: string }>).filter((r) => !keep.has(r.sha256));
      let owners = 0;
      for (const r of rows) owners += this.#statements.sql('DELETE FROM media_owners WHERE village_id = ? AND kind = ? AND ref = ?').run(r.village_id, r.kind, r.ref).changes;
      const orphans: MediaObject[] = [];
      for (const sha256 of new Set(rows.map((r) => r.sha256))) {
        // Bytes a ticket (or a newer relay) still names stay.
        if (this.#statements.sql('SELECT 1 FROM media_owners WHERE sha256 = ? LIMIT 1').get(sha256)) continue;
        const obj = this.object(sha256);
        if (!obj) continue;
        this.#statements.sql('DELETE FROM media_objects WHERE sha256 = ?').run(sha256);
        orphans.push(obj);
      }
      return { owners, orphans };
    })();
  }

  /** The connection is the caller's: nothing to close here. */
  close(): void {}
}
