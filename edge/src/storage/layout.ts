import { join, relative, sep } from 'node:path';

/**
 * Where everything lives under the data directory. Paths stored in the
 * database are relative to it, so a data disk can be mounted elsewhere.
 *
 *   cunbox.db
 *   keys/audit.key                                         HMAC key of the audit chain (0600)
 *   keys/data.key                                          AES key of sensitive fields (0600)
 *   recordings/<cameraId>/incoming/<runId>_<seq>.ts      being written by ffmpeg
 *   recordings/<cameraId>/<YYYY-MM-DD>/<stamp>.ts          closed and indexed (UTC)
 *   thumbnails/<cameraId>/<YYYY-MM-DD>/<stamp>-<sha12>.jpg  an event's peak picture (UTC)
 */
export class Layout {
  readonly dataDir: string;
  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }
  get database(): string {
    return join(this.dataDir, 'cunbox.db');
  }
  /** Secrets kept beside, never inside, the database (mode 0700). */
  get keysDir(): string {
    return join(this.dataDir, 'keys');
  }
  /** AES key of the sensitive fields (ID and phone numbers, special-group flags). */
  get dataKey(): string {
    return join(this.keysDir, 'data.key');
  }
  get auditKey(): string {
    return join(this.keysDir, 'audit.key');
  }
  get lockFile(): string {
    return join(this.dataDir, 'cunbox.lock');
  }
  get recordings(): string {
    return join(this.dataDir, 'recordings');
  }
  cameraDir(cameraId: number): string {
    return join(this.recordings, String(cameraId));
  }
  incomingDir(cameraId: number): string {
    return join(this.cameraDir(cameraId), 'incoming');
  }
  /** ffmpeg's output pattern for one run; %06d is its segment counter. */
  incomingPattern(cameraId: number, runId: number): string {
    return join(this.incomingDir(cameraId), `${runId}_%06d.ts`);
  }
  /** Relative path of a closed segment starting at `startMs`. */
  segmentPath(cameraId: number, startMs: number): string {
    const iso = new Date(startMs).toISOString(); // 2026-11-29T03:07:12.345Z
    const day = iso.slice(0, 10);
    const stamp = iso.replace(/[-:]/g, '');
    return [ 'recordings', String(cameraId), day, `${stamp}.ts` ].join('/');
  }
  /** Relative path of the thumbnail of an event starting at `startMs` (its hash keeps two zones' apart). */
  thumbnailPath(cameraId: number, startMs: number, sha256: string): string {
    const iso = new Date(startMs).toISOString();
    return ['thumbnails', String(cameraId), iso.slice(0, 10), `${iso.replace(/[-:]/g, '')}-${sha256.slice(0, 12)}.jpg`].join('/');
  }
  absolute(rel: string): string {
    return join(this.dataDir, rel);
  }
  relative(abs: string): string {
    return relative(this.dataDir, abs).split(sep).join('/');
  }
}

const INCOMING_NAME = /^(\d+)_(\d+)\.ts$/;
const SEGMENT_NAME = /^(\d{8})T(\d{6})\.(\d{3})Z\.ts$/;

export function parseIncomingName(name: string): { runId: number; seq: number } | undefined {
  const m = INCOMING_NAME.exec(name);
  return m ? { runId: Number(m[1]), seq: Number(m[2]) } : undefined;
}

/** The start time encoded in a closed segment's file name. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const d = m[1]!;
  const t = m[2]!;
  const ms = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6), +m[3]!);
  return Number.isNaN(ms) ? undefined : ms;
}
