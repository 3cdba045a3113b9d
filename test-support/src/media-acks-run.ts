/**
 * Op acks while a photo uploads: the real Cloud (embedded Aedes, SQLite, tus),
 * a real edge database with the real OpStore, SyncClient and MediaUploader.
 * A ticket with a 6 MiB photo goes up under a 3 MB/s cap while the edge keeps
 * committing ops; every op's ack is recorded, in time and relative to the end
 * of the upload. The test judges by order (acks flow during the upload), the
 * benchmark (scripts/bench/media-acks.ts) reports the latencies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { governanceModels, newId } from '@cunbox/shared';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SyncClient } from '../../edge/src/sync/client.ts';
import { auditLogBeside } from '../../edge/src/api/audit-beside.ts';
import { MediaQueue, collectTicketPhotos, readMediaStatus } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader } from '../../edge/src/sync/media-uploader.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import type { Db } from '../../edge/src/db/database.ts';
import { operatorApi, type BrokerRig, type Paired } from './brokers.ts';
import { MB, fastUploader, openEdgeDb } from './media-rig.ts';
import { waitFor } from './wait.ts';

export interface MediaAckRun {
  villageId: number;
  mediaId: string;
  photo: Buffer;
  /** The edge database, open until `close()`. */
  db: Db;
  uploadS: number;
  /** Ack latency (ms) of ops committed with nothing else going on. */
  baselineMs: number[];
  /** Seqs of the ops committed while the photo was uploading, in order. */
  duringSeqs: number[];
  /** Ack latency (ms) of those ops. */
  duringMs: number[];
  /** The ticket op that names the photo, and its ack latency. */
  photoSeq: number;
  photoMs: number;
  /** The edge's acked watermark at the moment the upload finished. */
  ackedAtUploadEnd: number;
  close(): Promise<void>;
}

/** An operator request to the rig's cloud; its JSON answer. */
export async function cloudApi(rig: BrokerRig, method: string, path: string, body?: unknown): Promise<any> {
  return (await operatorApi(rig, method, path, body)).json;
}

let n = 0;
const ticket = (photos: string[]) => ({
  entityKind: 'ticket',
  entityId: `01JE${String(++n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `t${n}`, place: '东口', lat: null, lng: null, photos, anonymous: false, reporter: 'admin' },
});

/** `dir` holds the edge's data directory (`dir/edge`); the rig's cloud is used as it is. */
export async function uploadWhileCommitting(rig: BrokerRig, dir: string): Promise<MediaAckRun> {
  const dataDir = join(dir, 'edge');
  mkdirSync(join(dataDir, 'governance', 'media'), { recursive: true });
  const v = await cloudApi(rig, 'POST', '/api/villages', { name: '东村' });
  const code = await cloudApi(rig, 'POST', `/api/villages/${v.id}/pair-codes`);
  const p = (await cloudApi(rig, 'POST', '/api/pair', { code: code.code })) as Paired;

  const db = openEdgeDb(dir, 'edge');
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  const sync = new SyncClient({ db, store, clock: systemClock, log: silentLogger(), credentials: p, options: { pollMs: 30, resendMs: 500, backoff: { baseMs: 50, maxMs: 400 } }, audit: auditLogBeside(db) });
  const queue = new MediaQueue({ db, clock: systemClock });
  const uploader = new MediaUploader({
    queue,
    clock: systemClock,
    log: silentLogger(),
    dataDir,
    cloudUrl: `http://127.0.0.1:${rig.cloud.httpPort}`,
    credentials: { edgeId: p.username, password: p.password },
    collect: () => collectTicketPhotos(db, systemClock.now()),
    options: { ...fastUploader, bytesPerSecond: 3_000_000 },
  });
  const close = async () => {
    clearInterval(watcher);
    await uploader.stop();
    await sync.stop();
    db.close();
  };

  const acked = (): number => (db.prepare("SELECT ops_acked FROM sync_peers WHERE peer = 'cloud'").get() as { ops_acked: number } | undefined)?.ops_acked ?? 0;
  const committedAt = new Map<number, number>();
  const latency = new Map<number, number>();
  const watcher = setInterval(() => {
    const a = acked();
    for (const [seq, at] of committedAt) if (seq <= a && !latency.has(seq)) latency.set(seq, Date.now() - at);
  }, 2);
  const commit = (photos: string[] = []): number => {
    const [op] = store.commit('admin', [ticket(photos)]);
    committedAt.set(op!.seq, Date.now());
    return op!.seq;
  };

  try {
    sync.start();
    // Baseline: acks with nothing else going on.
    for (let i = 0; i < 10; i++) {
      commit();
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor('baseline acked', () => latency.size === 10);
    const baselineMs = [...latency.values()];

    // A 6 MiB photo as the media store keeps it (gov_media row, file under the data directory).
    const photo = randomBytes(6 * MB);
    const mediaId = newId(Date.now());
    const rel = join('governance', 'media', `${mediaId}.jpg`);
    writeFileSync(join(dataDir, rel), photo);
    const sha256 = createHash('sha256').update(photo).digest('hex');
    db.prepare('INSERT INTO gov_media (id, kind, mime, bytes, width, height, sha256, path, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(mediaId, 'image', 'image/jpeg', photo.length, 10, 10, sha256, rel, 'admin', Date.now());
    const photoSeq = commit([mediaId]);

    const t0 = Date.now();
    uploader.start();
    const duringSeqs: number[] = [];
    while (readMediaStatus(db).mediaDone === 0) {
      if (Date.now() - t0 > 60_000) throw new Error('upload did not finish');
      duringSeqs.push(commit());
      await new Promise((r) => setTimeout(r, 50));
    }
    const ackedAtUploadEnd = acked();
    const uploadS = (Date.now() - t0) / 1000;
    await waitFor('all acked', () => latency.size === committedAt.size);
    clearInterval(watcher);
    return {
      villageId: v.id,
      mediaId,
      photo,
      db,
      uploadS,
      baselineMs,
      duringSeqs,
      duringMs: duringSeqs.map((s) => latency.get(s)!),
      photoSeq,
      photoMs: latency.get(photoSeq)!,
      ackedAtUploadEnd,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
