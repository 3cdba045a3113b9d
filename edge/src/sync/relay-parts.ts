/**
 * Builds the edge's relay from the parts the edge already runs: its accounts
 * and camera permissions, its camera registry, its snapshot feeds and
 * recordings, its audit
 * chain, and the sync connection that carries the requests and answers.
 */
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AuditLog } from '../api/audit.ts';
import { UserStore } from '../auth/users.ts';
import { CameraAccess } from '../playback/access.ts';
import type { SnapshotService } from '../playback/snapshots.ts';
import { cutClip } from '../playback/clip.ts';
import type { SegmentIndex } from '../storage/segment-index.ts';
import type { Layout } from '../storage/layout.ts';
import type { Spawner } from '../ffmpeg/process.ts';
import { authenticatedUrl, type CameraRegistry } from '../cameras/registry.ts';
import type { SyncClient } from './client.ts';
import { EdgeRelay, type EdgeRelayOptions } from './relay.ts';
import { relayUploader } from './relay-upload.ts';
import { LiveUplinks, type LiveUplinkOptions } from './relay-live.ts';
import type { LiveService } from '../playback/live.ts';
import { LIVE_RENEWAL_TIMEOUT_MS } from '@cunbox/shared';

export function edgeRelayFor(p: {
  db: Db;
  clock: Clock;
  log: Logger;
  registry: CameraRegistry;
  snapshots: SnapshotService;
  /** The edge's live channels; live requests stream from them. */
  live: LiveService;
  /** The live uploads' shared cap (bytes per second, 0: none) and bounds. */
  liveOptions: Partial<LiveUplinkOptions> & { bytesPerSecond: number };
  /** What clips are cut from: the recordings and how to run ffmpeg. */
  recordings: { index: SegmentIndex; layout: Layout; spawner: Spawner; ffmpegPath?: string };
  tmpDir: string;
  audit: Pick<AuditLog, 'record'>;
  sync: SyncClient;
  cloudUrl: string;
  credentials: { edgeId: string; password: string };
  options?: Partial<EdgeRelayOptions>;
}): { relay: EdgeRelay; live: LiveUplinks } {
  const users = new UserStore({ db: p.db, clock: p.clock });
  const access = new CameraAccess(p.db);
  const cameraOf = (id: number) => p.registry.listWithSecrets().find((c) => c.id === id);
  const live = new LiveUplinks({
    clock: p.clock,
    log: p.log,
    cloudUrl: p.cloudUrl,
    credentials: p.credentials,
    watch: (source, viewer) => p.live.watch(source, viewer),
    options: { maxUploads: 4, maxBacklogBytes: 256 * 1024, renewalTimeoutMs: LIVE_RENEWAL_TIMEOUT_MS, ...p.liveOptions },
  });
  const relay = new EdgeRelay({
    clock: p.clock,
    log: p.log,
    user: (name) => users.getByUsername(name),
    may: (userId, role, cameraId) => access.may(userId, role, cameraId),
    cameraUrl: (id) => {
      const cam = cameraOf(id);
      return cam && authenticatedUrl(cam.subUrl ?? cam.mainUrl, cam.username, cam.password);
    },
    // A phone on a mobile link gets the sub stream: a fraction of the main one's bytes, and H.264 on most cameras.
    liveSource: (id) => {
      const cam = cameraOf(id);
      return cam && { cameraId: id, stream: cam.subUrl ? 'sub' : 'main', url: authenticatedUrl(cam.subUrl ?? cam.mainUrl, cam.username, cam.password) };
    },
    live,
    snapshot: (id, url) => p.snapshots.latest(id, url),
    clip: async (id, range, out) => void (await cutClip({ ...p.recordings, clock: p.clock }, p.recordings.index.forCamera(id, range.fromMs, range.toMs), range, out)),
    tmpDir: p.tmpDir,
    upload: relayUploader({ cloudUrl: p.cloudUrl, credentials: p.credentials }),
    reply: (msg) => p.sync.publishRelay(msg),
    audit: (e) => p.audit.record(e),
    options: p.options,
  });
  p.sync.setRelayHandler((req) => relay.handle(req));
  return { relay, live };
}
