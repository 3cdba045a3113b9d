import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { newId } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
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

export const DEFAULT_MEDIA_LIMITS: MediaLimits = { maxUploadBytes: 10 * 1024 * 1024, maxSide: 2048, maxInputPixels: 50_000_000 };

/** What sharp may read: decided from the bytes, never from the file name or declared type. */
const IMAGE_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff']);

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
 * Photos and attachments. Every image is decoded and re-encoded as JPEG: that
 * rejects anything that is not really an image, drops EXIF (GPS position,
 * camera serial), XMP and comments, applies the EXIF rotation first, and
 * shrinks the longest side to 2048 px. PDFs (announcement attachments) are
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

  async add(input: Buffer, createdBy: string): Promise<Media> {
    if (input.length > this.limits.maxUploadBytes) throw new CunboxError('PAYLOAD_TOO_LARGE', `file larger than ${this.limits.maxUploadBytes} bytes`);
    if (input.length === 0) throw new CunboxError('INVALID_INPUT', 'empty file');
    let out: { data: Buffer; kind: 'image' | 'pdf'; mime: string; width: number | null; height: number | null };
    if (input.subarray(0, 5).toString('latin1') === '%PDF-') {
      out = { data: input, kind: 'pdf', mime: 'application/pdf', width: null, height: null };
    } else {
      out = { ...(await this.#processImage(input)), kind: 'image', mime: 'image/jpeg' };
    }
    const id = newId(this.#clock.now());
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
    const notImage = () => new CunboxError('UNSUPPORTED_MEDIA_TYPE', 'not an image: upload a JPEG, PNG, WebP or HEIC photo, or a PDF');
    let format: string | undefined;
    try {
      format = (await sharp(input, { limitInputPixels: this.limits.maxInputPixels }).metadata()).format;
    } catch {
      throw notImage();
    }
    if (!format || !IMAGE_FORMATS.has(format)) throw notImage();
    try {
      const { data, info } = await sharp(input, { limitInputPixels: this.limits.maxInputPixels, failOn: 'error' })
        .rotate()
        .resize({ width: this.limits.maxSide, height: this.limits.maxSide, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 82, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (err) {
      if (/pixel limit/i.test((err as Error).message)) throw new CunboxError('PAYLOAD_TOO_LARGE', `image larger than ${this.limits.maxInputPixels} pixels`);
      throw notImage();
    }
  }
}
