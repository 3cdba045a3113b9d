/**
 * Which media the cloud holds (by SHA-256) and which village owns which.
 * Kept in the cloud database file beside the op log (one file to back up),
 * on its own connection and tables so the sync store stays as it is.
 * Invariant: a media_objects row is written only after its file is on disk
 * (media.ts moves, fsyncs, then calls addObject).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Statements } from './statements.ts';

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
  close(): void;
}

const SCHEMA = `
  -- Files in <data_dir>/media/objects/<2 hex>/<sha256>, content-addressed: one file per content.
  CREATE TABLE IF NOT EXISTS media_objects (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT, stored_at INTEGER NOT NULL);
  -- A village may read a file only through a row here. The first (kind, ref) wins: edge media ids never change.
  CREATE TABLE IF NOT EXISTS media_owners (village_id INTEGER NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
    edge_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (village_id, kind, ref));
  CREATE INDEX IF NOT EXISTS media_owners_by_sha ON media_owners (village_id, sha256);
`;

export class SqliteMediaIndex implements MediaIndex {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #now: () => number;

  constructor(opts: { file: string; now?: () => number }) {
    if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
    this.#db = new Database(opts.file);
    this.#statements = new Statements(this.#db);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    // The sync store writes the same file from another connection.
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
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

  close(): void {
    this.#db.close();
  }
}
