/**
 * The cloud's end of media beside the ops: a tus server for
 * resumable uploads from edges, the check of each finished file's SHA-256,
 * and the content-addressed store. Design and invariants:
 * docs/design/media-sync.md.
 *
 * Uploads are written under <data_dir>/media/incoming by @tus/file-store
 * (file + .json info, so an interrupted upload survives a cloud restart and
 * resumes at its offset). A finished upload is hashed; only a match is moved
 * (fsync, rename, fsync dir) to <data_dir>/media/objects/<ab>/<sha256> and
 * then indexed. A mismatch is deleted and answered 422, so the edge starts
 * that file over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { mkdir, open, rename, unlink, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Server, type Upload } from '@tus/server';
import { FileStore } from '@tus/file-store';
import type { Logger } from 'pino';
import { EVENT_THUMBNAIL_KIND, MEDIA_KIND_PATTERN, MEDIA_REF_PATTERN, RELAY_MEDIA_KINDS, SHA256_PATTERN, hashFile } from '@cunbox/shared';
import type { EdgeRecord } from './store.ts';
import type { MediaObject, MediaOwner } from './media-index.ts';
import type { AsyncMediaIndex } from './store-async.ts';
import type { EdgeAuthenticator, EdgeAuthResult } from './edge-auth.ts';

export interface MediaOptions {
  /** Largest file an edge may send. */
  maxBytes: number;
  /** An upload not finished within this is deleted (the edge starts over if it still wants to). */
  incompleteTtlMs: number;
  cleanupEveryMs: number;
  /** Pictures and clips relayed to phones are kept this long (a phone that asks again later gets a fresh one anyway). */
  relayRetentionMs: number;
  /**
   * Event thumbnails (a motion event's peak picture) are kept this long after they arrive.
   * Every event of every camera sends one: a province's cloud would fill its disk with them,
   * and the footage they point to is gone from the edge after its ring buffer's days anyway.
   */
  thumbnailRetentionMs: number;
}
const DEFAULT_THUMBNAIL_RETENTION_DAYS = 30;
export const defaultMediaOptions: MediaOptions = { maxBytes: 20 * 1024 * 1024, incompleteTtlMs: 7 * 24 * 3600_000, cleanupEveryMs: 3600_000, relayRetentionMs: 24 * 3600_000, thumbnailRetentionMs: DEFAULT_THUMBNAIL_RETENTION_DAYS * 24 * 3600_000 };

export const UPLOADS_PATH = '/api/media/uploads';
/** Which counter of `stats` each sweep adds its deleted files to. */
const PRUNED_STATS = { relayed: 'relayedPruned', thumbnails: 'thumbnailsPruned', 'certificate PDFs': 'certificatePdfsPruned' } as const;
/** The kind of a photo a phone attached to a ticket (media_owners.kind), as the edge names its own ticket photos. */
export const PHONE_PHOTO_KIND = 'ticket-photo';
/** What we will later serve with its own type; anything else is served as octet-stream. */
const MIMES = new Set(['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'video/mp4']);

/** A tus hook's refusal: @tus/server answers with this status and body. */
const refuse = (status_code: number, code: string, message: string) => ({ status_code, body: `${code}: ${message}\n` });

export interface ClaimInput {
  sha256: string;
  size: number;
  kind: string;
  ref: string;
  mime?: string;
}

export class CloudMedia {
  readonly #dataDir: string;
  readonly #edgeAuth: EdgeAuthenticator;
  readonly #log: Logger;
  readonly #opts: MediaOptions;
  readonly #openIndex: () => AsyncMediaIndex;
  #index: AsyncMediaIndex | undefined;
  #tus: Server | undefined;
  #files: FileStore | undefined;
  #cleanup: NodeJS.Timeout | undefined;
  readonly stats = { finished: 0, mismatches: 0, claims: 0, phonePhotos: 0, relayedPruned: 0, thumbnailsPruned: 0, certificatePdfsPruned: 0 };
  /** Hashes being placed in the store and not yet indexed: pruning leaves them alone. */
  readonly #placing = new Map<string, number>();

  constructor(deps: { dataDir: string; edgeAuth: EdgeAuthenticator; log: Logger; openIndex: () => AsyncMediaIndex; options?: Partial<MediaOptions> }) {
    this.#dataDir = deps.dataDir;
    this.#edgeAuth = deps.edgeAuth;
    this.#log = deps.log;
    this.#openIndex = deps.openIndex;
    this.#opts = { ...defaultMediaOptions, ...deps.options };
  }

  get options(): MediaOptions {
    return this.#opts;
  }
  get tus(): Server {
    if (!this.#tus) throw new Error('media not started');
    return this.#tus;
  }
  get index(): AsyncMediaIndex {
    if (!this.#index) throw new Error('media not started');
    return this.#index;
  }

  async start(): Promise<void> {
    const incoming = join(this.#dataDir, 'media', 'incoming');
    await mkdir(incoming, { recursive: true });
    await mkdir(join(this.#dataDir, 'media', 'objects'), { recursive: true });
    this.#index = this.#openIndex();
    this.#files = new FileStore({ directory: incoming, expirationPeriodInMilliseconds: this.#opts.incompleteTtlMs });
    this.#tus = new Server({
      path: UPLOADS_PATH,
      datastore: this.#files,
      maxSize: this.#opts.maxBytes,
      // Relative: the edge may reach us through a proxy under another host name.
      relativeLocation: true,
      namingFunction: (req) => `${this.#edgeIdOf(req.headers.get('authorization'))}-${randomBytes(12).toString('hex')}`,
      onIncomingRequest: async (req, id) => {
        const edge = await this.#authenticate(req.headers.get('authorization'));
        // An edge sees only its own uploads; another's answers as if it did not exist.
        if (!id.startsWith(`${edge.edgeId}-`)) throw refuse(404, 'NOT_FOUND', 'no such upload');
      },
      onUploadCreate: async (req, upload) => {
        const edge = await this.#authenticate(req.headers.get('authorization'));
        const m = upload.metadata ?? {};
        this.#validate({ sha256: m.sha256 ?? '', size: upload.size ?? -1, kind: m.kind ?? '', ref: m.ref ?? '', mime: m.mime ?? undefined });
        return { metadata: { ...m, edgeId: edge.edgeId, villageId: String(edge.villageId) } };
      },
      onUploadFinish: async (_req, upload) => {
        await this.#finish(upload);
        return {};
      },
    });
    await this.#tus.cleanUpExpiredUploads().catch((err: Error) => this.#log.warn({ err: err.message }, 'media cleanup failed'));
    this.#pruneSafely();
    this.#cleanup = setInterval(() => {
      void this.#tus?.cleanUpExpiredUploads().catch((err: Error) => this.#log.warn({ err: err.message }, 'media cleanup failed'));
      this.#pruneSafely();
    }, this.#opts.cleanupEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#cleanup);
    this.#cleanup = undefined;
    this.#tus = undefined;
    this.#files = undefined;
    const index = this.#index;
    this.#index = undefined;
    await index?.close();
  }

  /**
   * Basic edgeId:password inside tus's hooks. The route (media-routes.ts) has
   * checked the same header with the client's address just before, so this is
   * a cache hit. Throws a tus refusal; the password is never logged or echoed.
   */
  async #authenticate(header: string | null): Promise<EdgeRecord> {
    const r = await this.authenticate(header, null);
    if (!r.ok) throw refuse(401, 'UNAUTHENTICATED', 'edge credentials required');
    return r.edge;
  }

  /** The edge behind an Authorization header, checked like the broker checks MQTT logins (edge-auth.ts). */
  authenticate(header: string | null | undefined, address: string | null): Promise<EdgeAuthResult> {
    const creds = parseBasic(header);
    if (!creds) return Promise.resolve({ ok: false, reason: 'credentials' });
    return this.#edgeAuth.authenticate(creds.user, creds.password, address);
  }

  #edgeIdOf(header: string | null): string {
    const creds = parseBasic(header);
    if (!creds || !/^[0-9a-f]{16}$/.test(creds.user)) throw refuse(401, 'UNAUTHENTICATED', 'edge credentials required');
    return creds.user;
  }

  /** Throws a 400 refusal naming the first bad field. */
  #validate(c: ClaimInput): void {
    if (!SHA256_PATTERN.test(c.sha256)) throw refuse(400, 'INVALID_INPUT', 'metadata sha256: 64 lowercase hex digits');
    if (!Number.isInteger(c.size) || c.size < 1) throw refuse(400, 'INVALID_INPUT', 'Upload-Length: a size of at least 1 byte, known at creation');
    if (c.size > this.#opts.maxBytes) throw refuse(413, 'PAYLOAD_TOO_LARGE', `larger than ${this.#opts.maxBytes} bytes`);
    if (!MEDIA_KIND_PATTERN.test(c.kind)) throw refuse(400, 'INVALID_INPUT', 'metadata kind: a-z, 0-9 and -, at most 32');
    if (!MEDIA_REF_PATTERN.test(c.ref)) throw refuse(400, 'INVALID_INPUT', 'metadata ref: A-Z a-z 0-9 . _ : -, at most 80');
  }

  /**
   * Before uploading: if this village already owns these bytes, record the
   * new (kind, ref) and say so: nothing needs to travel. Bytes held for
   * another village only are not enough: knowing a hash is not having the
   * file, so the edge proves it by uploading.
   */
  async claim(edge: EdgeRecord, c: ClaimInput): Promise<{ stored: boolean }> {
    try {
      this.#validate(c);
    } catch (e) {
      throw Object.assign(new Error((e as { body: string }).body.trim()), { statusCode: (e as { status_code: number }).status_code });
    }
    const index = this.index;
    const obj = await index.object(c.sha256);
    if (!obj || obj.size !== c.size || !(await index.owns(edge.villageId, c.sha256))) return { stored: false };
    await index.addOwner({ villageId: edge.villageId, sha256: c.sha256, kind: c.kind, ref: c.ref, edgeId: edge.edgeId });
    this.stats.claims++;
    return { stored: true };
  }

  /**
   * Deletes relayed pictures and clips recorded before `before` (epoch ms):
   * their relay owner rows, then each file no owner names any more (a photo
   * a ticket also holds stays).
   */
  pruneRelayed(before: number): Promise<{ owners: number; files: number }> {
    return this.#prune((keep) => this.index.dropOwners(RELAY_MEDIA_KINDS, before, keep), 'relayed');
  }

  /** Deletes event thumbnails recorded before `before` (epoch ms), as `pruneRelayed` does relayed media. */
  pruneThumbnails(before: number): Promise<{ owners: number; files: number }> {
    return this.#prune((keep) => this.index.dropOwners([EVENT_THUMBNAIL_KIND], before, keep), 'thumbnails');
  }

  /**
   * Deletes the PDFs of revoked certificates (a revocation is final). Not
   * served since the revocation (the phone route answers 409), they would
   * otherwise keep a person's name and masked ID number on the cloud for no
   * purpose (docs/design/privacy.md).
   */
  pruneRevokedCertificates(): Promise<{ owners: number; files: number }> {
    return this.#prune((keep) => this.index.dropRevokedCertificatePdfs(keep), 'certificate PDFs');
  }

  /**
   * The owner rows `drop` selects, then each file no owner names any more.
   * Rows go first, in one transaction, and the files right after, so a
   * request that finds the file has found its row; a crash in between leaves
   * a file no row names, which the same bytes arriving again simply reuse.
   */
  async #prune(drop: (keep: ReadonlySet<string>) => Promise<{ owners: number; orphans: MediaObject[] }>, what: keyof typeof PRUNED_STATS): Promise<{ owners: number; files: number }> {
    const { owners, orphans } = await drop(new Set(this.#placing.keys()));
    for (const o of orphans) {
      try {
        unlinkSync(this.#objectPath(o.sha256));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ sha256: o.sha256, err: (err as Error).message }, `${what} file not deleted`);
      }
    }
    this.stats[PRUNED_STATS[what]] += orphans.length;
    if (orphans.length > 0) this.#log.info({ owners, files: orphans.length }, `${what} media pruned`);
    return { owners, files: orphans.length };
  }

  #pruneSafely(): void {
    const now = Date.now();
    this.pruneRelayed(now - this.#opts.relayRetentionMs).catch((err: Error) => this.#log.warn({ err: err.message }, 'relayed media not pruned'));
    this.pruneThumbnails(now - this.#opts.thumbnailRetentionMs).catch((err: Error) => this.#log.warn({ err: err.message }, 'thumbnails not pruned'));
    this.pruneRevokedCertificates().catch((err: Error) => this.#log.warn({ err: err.message }, 'revoked certificates\' PDFs not pruned'));
  }

  /** A stored file the village may read. */
  async find(villageId: number, key: string): Promise<(MediaOwner & { path: string }) | undefined> {
    const m = await this.index.find(villageId, key);
    return m && { ...m, path: this.#objectPath(m.sha256) };
  }

  #objectPath(sha256: string): string {
    return join(this.#dataDir, 'media', 'objects', sha256.slice(0, 2), sha256);
  }

  /**
   * A photo a phone uploaded (phone/photos.ts), already normalised to JPEG:
   * into the content store under its hash, then indexed for the village with
   * kind `ticket-photo` and its media id as ref (edge id '': the cloud's own).
   */
  async storePhoto(villageId: number, id: string, data: Buffer): Promise<{ sha256: string; size: number }> {
    const incoming = join(this.#dataDir, 'media', 'incoming', `phone-${randomBytes(12).toString('hex')}`);
    await writeFile(incoming, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    await this.#placeAndIndex(incoming, sha256, data.length, () => this.index.stored({ sha256, size: data.length, mime: 'image/jpeg' }, { villageId, kind: PHONE_PHOTO_KIND, ref: id, edgeId: '' }));
    this.stats.phonePhotos++;
    this.#log.info({ villageId, ref: id, bytes: data.length, sha256 }, 'phone photo stored');
    return { sha256, size: data.length };
  }

  /** Places the file, then indexes it; until indexed, pruning leaves its hash alone (it may already be in the store). */
  async #placeAndIndex(file: string, sha256: string, size: number, index: () => Promise<void>): Promise<void> {
    this.#placing.set(sha256, (this.#placing.get(sha256) ?? 0) + 1);
    try {
      await this.#place(file, sha256, size);
      await index();
    } finally {
      const n = (this.#placing.get(sha256) ?? 1) - 1;
      if (n > 0) this.#placing.set(sha256, n);
      else this.#placing.delete(sha256);
    }
  }

  /** Moves a complete file into the content store under its hash (fsync, rename, fsync dir); same content twice is one file. */
  async #place(file: string, sha256: string, size: number): Promise<void> {
    const dest = this.#objectPath(sha256);
    const exists = await stat(dest).then((s) => s.size === size, () => false);
    if (exists) {
      await unlink(file);
      return;
    }
    await fsync(file);
    await mkdir(dirname(dest), { recursive: true });
    await rename(file, dest);
    await fsync(dirname(dest));
  }

  async #finish(upload: Upload): Promise<void> {
    const m = upload.metadata ?? {};
    const file = join(this.#files!.directory, upload.id);
    const got = await hashFile(file);
    if (got.sha256 !== m.sha256 || got.size !== upload.size) {
      this.stats.mismatches++;
      await this.#files!.remove(upload.id).catch(() => undefined);
      this.#log.warn({ edgeId: m.edgeId, upload: upload.id, kind: m.kind, ref: m.ref }, 'media upload rejected: SHA-256 mismatch');
      throw refuse(422, 'SHA256_MISMATCH', 'the bytes received do not hash to the announced SHA-256; start the upload over');
    }
    const sha256 = got.sha256;
    const mime = m.mime && MIMES.has(m.mime) ? m.mime : null;
    // Only once the file is on disk under its hash does the index name it.
    await this.#placeAndIndex(file, sha256, got.size, () => this.index.stored({ sha256, size: got.size, mime }, { villageId: Number(m.villageId), kind: m.kind ?? 'unknown', ref: m.ref ?? upload.id, edgeId: m.edgeId ?? '' }));
    await this.#files!.configstore.delete(upload.id);
    this.stats.finished++;
    this.#log.info({ edgeId: m.edgeId, villageId: Number(m.villageId), kind: m.kind, ref: m.ref, bytes: got.size, sha256 }, 'media stored');
  }
}

export function parseBasic(header: string | null | undefined): { user: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

async function fsync(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
