/**
 * The media outbox (table sync_media): which files still have to reach the
 * cloud, and how far each got. The uploader (media-uploader.ts) works it; the
 * CLI reads it without a running edge.
 */
import { stat } from 'node:fs/promises';
import { MEDIA_KIND_PATTERN, hashFile } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';

export interface MediaItem {
  id: number;
  sha256: string;
  path: string;
  size: number;
  kind: string;
  ref: string;
  mime: string | null;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
  uploadUrl: string | null;
  nextAt: number;
}

export interface NewMedia {
  path: string;
  sha256: string;
  size: number;
  kind: string;
  ref: string;
  mime?: string | null;
}

interface Row {
  id: number;
  sha256: string;
  path: string;
  size: number;
  kind: string;
  ref: string;
  mime: string | null;
  state: MediaItem['state'];
  attempts: number;
  last_error: string | null;
  upload_url: string | null;
  next_at: number;
}
const fromRow = (r: Row): MediaItem => ({
  id: r.id,
  sha256: r.sha256,
  path: r.path,
  size: r.size,
  kind: r.kind,
  ref: r.ref,
  mime: r.mime,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  uploadUrl: r.upload_url,
  nextAt: r.next_at,
});

export class MediaQueue {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Idempotent per (kind, ref): the same photo in two ops is queued once. Returns false for a repeat. */
  enqueue(m: NewMedia): boolean {
    if (!MEDIA_KIND_PATTERN.test(m.kind)) throw new Error(`media kind ${JSON.stringify(m.kind)} is not a-z0-9-`);
    if (!/^[0-9a-f]{64}$/.test(m.sha256)) throw new Error('sha256 must be 64 lowercase hex digits');
    const info = this.#db
      .prepare('INSERT OR IGNORE INTO sync_media (sha256, path, size, kind, ref, mime, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(m.sha256, m.path, m.size, m.kind, m.ref, m.mime ?? null, this.#clock.now());
    return info.changes === 1;
  }

  /** Hashes the file first: for callers (event snapshots) that do not know its SHA-256. */
  async enqueueFile(path: string, kind: string, ref: string, mime?: string): Promise<boolean> {
    await stat(path);
    const { sha256, size } = await hashFile(path);
    return this.enqueue({ path, sha256, size, kind, ref, mime: mime ?? null });
  }

  get(id: number): MediaItem | undefined {
    const r = this.#db.prepare('SELECT * FROM sync_media WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** The oldest pending item that is due. */
  next(now: number): MediaItem | undefined {
    const r = this.#db.prepare("SELECT * FROM sync_media WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT 1").get(now) as Row | undefined;
    return r && fromRow(r);
  }

  /** When the earliest pending item is due (undefined: nothing pending). */
  nextDueAt(): number | undefined {
    const r = this.#db.prepare("SELECT min(next_at) AS at FROM sync_media WHERE state = 'pending'").get() as { at: number | null };
    return r.at ?? undefined;
  }

  began(id: number): void {
    this.#db.prepare('UPDATE sync_media SET attempts = attempts + 1 WHERE id = ?').run(id);
  }

  setUploadUrl(id: number, url: string | null): void {
    this.#db.prepare('UPDATE sync_media SET upload_url = ? WHERE id = ?').run(url, id);
  }

  done(id: number): void {
    this.#db.prepare("UPDATE sync_media SET state = 'done', done_at = ?, last_error = NULL, upload_url = NULL WHERE id = ?").run(this.#clock.now(), id);
  }

  /** Try again at `at`; `restart`: forget the cloud's upload (it was rejected), so the next try starts from zero. */
  retry(id: number, error: string, at: number, restart: boolean): void {
    this.#db
      .prepare(`UPDATE sync_media SET last_error = ?, next_at = ?${restart ? ', upload_url = NULL' : ''} WHERE id = ?`)
      .run(error.slice(0, 500), at, id);
  }

  /** Gives up on an item that can never succeed (its file is gone or changed); kept for `cloud status`. */
  fail(id: number, error: string): void {
    this.#db.prepare("UPDATE sync_media SET state = 'failed', last_error = ?, upload_url = NULL WHERE id = ?").run(error.slice(0, 500), id);
  }
}

export interface MediaStatus {
  mediaPending: number;
  mediaPendingBytes: number;
  mediaDone: number;
  mediaFailed: number;
}

/** Reads the queue alone (the CLI uses it without a running uploader). */
export function readMediaStatus(db: Db): MediaStatus {
  const rows = db.prepare('SELECT state, count(*) AS n, coalesce(sum(size), 0) AS bytes FROM sync_media GROUP BY state').all() as Array<{ state: string; n: number; bytes: number }>;
  const of = (s: string) => rows.find((r) => r.state === s);
  return { mediaPending: of('pending')?.n ?? 0, mediaPendingBytes: of('pending')?.bytes ?? 0, mediaDone: of('done')?.n ?? 0, mediaFailed: of('failed')?.n ?? 0 };
}

/**
 * Ticket photos ride on the op log: a ticket op names its photos by media id,
 * and this scan turns each named photo into a queue row. The op log is the
 * outbox (written in the change's own transaction), so a photo is queued
 * even if the edge died right after the commit; the scan mark and the rows
 * it adds are written together.
 */
export function collectTicketPhotos(db: Db, now: number): number {
  return db.transaction(() => {
    const { node_id: node } = db.prepare('SELECT node_id FROM gov_node WHERE singleton = 1').get() as { node_id: string };
    const { ops_seq: after } = db.prepare('SELECT ops_seq FROM sync_media_scan WHERE singleton = 1').get() as { ops_seq: number };
    const ops = db
      .prepare("SELECT seq, payload FROM gov_ops WHERE origin = ? AND seq > ? AND entity_kind = 'ticket' AND type IN ('ticket.created', 'ticket.photo') ORDER BY seq")
      .all(node, after) as Array<{ seq: number; payload: string }>;
    const top = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM gov_ops WHERE origin = ?').get(node) as { s: number }).s;
    const media = db.prepare('SELECT sha256, path, bytes, mime FROM gov_media WHERE id = ?');
    const insert = db.prepare("INSERT OR IGNORE INTO sync_media (sha256, path, size, kind, ref, mime, created_at) VALUES (?, ?, ?, 'ticket-photo', ?, ?, ?)");
    let added = 0;
    for (const op of ops) {
      const photos = (JSON.parse(op.payload) as { photos?: unknown }).photos;
      if (!Array.isArray(photos)) continue;
      for (const id of photos) {
        if (typeof id !== 'string') continue;
        const m = media.get(id) as { sha256: string; path: string; bytes: number; mime: string } | undefined;
        // A photo this edge does not hold (an op that came from elsewhere) has nothing to send.
        if (m) added += insert.run(m.sha256, m.path, m.bytes, id, m.mime, now).changes;
      }
    }
    if (top > after) db.prepare('UPDATE sync_media_scan SET ops_seq = ? WHERE singleton = 1').run(top);
    return added;
  })();
}
