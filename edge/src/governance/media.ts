import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { newId, type TicketState } from '@cunbox/shared';
import { DEFAULT_PHOTO_LIMITS, normalizePhoto, PhotoRefused } from '@cunbox/shared/photo';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { OpStore } from './store.ts';
import { CunboxError } from '../errors.ts';
import { durableMove } from '../storage/durable.ts';

export interface Media {
  id: string;
  kind: 'image' | 'pdf';
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  createdBy: string;
  createdAt: number;
}

export interface MediaLimits {
  /** Largest upload accepted (before processing). */
  maxUploadBytes: number;
  /** Longest side of a stored photo. */
  maxSide: number;
  /** Largest decoded image, in pixels (a small file can decode to gigabytes: a "pixel bomb"). */
  maxInputPixels: number;
}

const DEFAULT_MEDIA_LIMITS: MediaLimits = DEFAULT_PHOTO_LIMITS;

interface MediaRow {
  id: string;
  kind: 'image' | 'pdf';
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  path: string;
  created_by: string;
  created_at: number;
}

/**
 * Photos and attachments. Every image goes through the shared photo rule
 * (shared/src/media/photo.ts: decoded and re-encoded as JPEG, metadata
 * dropped, longest side 2048 px). PDFs (announcement attachments) are
 * recognised by their header and kept as they are.
 */
export class MediaStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #dataDir: string;
  readonly limits: MediaLimits;

  constructor(deps: { db: Db; clock: Clock; dataDir: string; limits?: Partial<MediaLimits> }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#dataDir = deps.dataDir;
    this.limits = { ...DEFAULT_MEDIA_LIMITS, ...deps.limits };
  }

  /** `id`: a photo that already has one elsewhere (a phone's, downloaded from the cloud) keeps it, so the ops naming it find it. */
  async add(input: Buffer, createdBy: string, id: string = newId(this.#clock.now())): Promise<Media> {
    if (input.length > this.limits.maxUploadBytes) throw new CunboxError('PAYLOAD_TOO_LARGE', `file larger than ${this.limits.maxUploadBytes} bytes`);
    if (input.length === 0) throw new CunboxError('INVALID_INPUT', 'empty file');
    let out: { data: Buffer; kind: 'image' | 'pdf'; mime: string; width: number | null; height: number | null };
    if (input.subarray(0, 5).toString('latin1') === '%PDF-') {
      out = { data: input, kind: 'pdf', mime: 'application/pdf', width: null, height: null };
    } else {
      out = { ...(await this.#processImage(input)), kind: 'image', mime: 'image/jpeg' };
    }
    const ext = out.kind === 'pdf' ? 'pdf' : 'jpg';
    const rel = join('governance', 'media', id.slice(0, 4), `${id}.${ext}`);
    const tmpDir = join(this.#dataDir, 'governance', 'media', 'incoming');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${id}.${ext}`);
    await writeFile(tmp, out.data);
    await durableMove(tmp, join(this.#dataDir, rel));
    const sha256 = createHash('sha256').update(out.data).digest('hex');
    this.#db
      .prepare('INSERT INTO gov_media (id, kind, mime, bytes, width, height, sha256, path, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, out.kind, out.mime, out.data.length, out.width, out.height, sha256, rel, createdBy, this.#clock.now());
    return this.get(id)!;
  }

  get(id: string): Media | undefined {
    const r = this.#db.prepare('SELECT * FROM gov_media WHERE id = ?').get(id) as MediaRow | undefined;
    return r && { id: r.id, kind: r.kind, mime: r.mime, bytes: r.bytes, width: r.width, height: r.height, sha256: r.sha256, createdBy: r.created_by, createdAt: r.created_at };
  }

  async read(id: string): Promise<{ media: Media; data: Buffer }> {
    const r = this.#db.prepare('SELECT path FROM gov_media WHERE id = ?').get(id) as { path: string } | undefined;
    const media = this.get(id);
    if (!r || !media) throw new CunboxError('NOT_FOUND', `no media ${id}`);
    return { media, data: await readFile(join(this.#dataDir, r.path)) };
  }

  /** Checks that every id names stored media of the given kind. */
  requireAll(ids: readonly string[], kind?: 'image' | 'pdf'): void {
    for (const id of ids) {
      const m = this.get(id);
      if (!m) throw new CunboxError('INVALID_INPUT', `no uploaded file ${id}`);
      if (kind && m.kind !== kind) throw new CunboxError('INVALID_INPUT', `${id} is not ${kind === 'image' ? 'an image' : 'a PDF'}`);
    }
  }

  async #processImage(input: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
    try {
      return await normalizePhoto(input, this.limits);
    } catch (err) {
      if (!(err instanceof PhotoRefused)) throw err;
      if (err.reason === 'too-many-pixels') throw new CunboxError('PAYLOAD_TOO_LARGE', err.message);
      throw new CunboxError('UNSUPPORTED_MEDIA_TYPE', 'not an image: upload a JPEG, PNG, WebP or HEIC photo, or a PDF');
    }
  }
}

/** Photo ids that tickets name and the media store lacks: what the edge still has to fetch from the cloud (sync/media-downloader.ts). */
export function missingTicketPhotos(store: Pick<OpStore, 'list'>, media: Pick<MediaStore, 'get'>): string[] {
  const named = store.list<TicketState>('ticket', { filter: "json_array_length(state, '$.photos') > 0" }).flatMap((t) => t.photos);
  return [...new Set(named)].filter((id) => !media.get(id));
}
