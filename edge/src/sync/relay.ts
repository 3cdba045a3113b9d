/**
 * The edge's end of the relay (docs/design/relay.md): the cloud asks over MQTT
 * (`down/relay`) for a camera's picture on behalf of a phone user; the edge
 * checks that user's camera permission against its own accounts (the cloud's
 * check is not trusted alone: a forged or stale request is refused here),
 * uploads the JPEG over its outbound HTTP media channel, and answers on
 * `up/relay` with the file's hash or a refusal: a snapshot (the latest JPEG)
 * or a clip of a recorded range (MP4, cut without transcoding). Every request
 * is audited.
 *
 * At most `maxConcurrent` requests are worked on at once; the rest are
 * answered `busy` at once rather than queued, so a burst of phones can never
 * build a backlog in front of anything else the edge does.
 */
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { allows, hashFile, RELAY_CLIP_KIND, RELAY_SNAPSHOT_KIND, type RelayRefusal, type RelayReplyMessage, type RelayRequestMessage } from '@cunbox/shared';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Role } from '../auth/users.ts';
import type { AuditRecord } from '../api/audit.ts';
import type { Snapshot } from '../playback/snapshots.ts';
import type { LiveSource } from '../playback/live.ts';

/** What each request kind needs of the user's role (the permission the edge's own API asks for the same thing). */
const KIND_ACCESS = { snapshot: 'video.wall', clip: 'video.view', live: 'video.wall' } as const;

export interface EdgeRelayOptions {
  maxConcurrent: number;
  /** Largest clip the edge sends (the cloud refuses larger media anyway). */
  maxClipBytes: number;
  /** A request whose expiry passed more than this ago by our clock is dropped (the clocks of edge and cloud differ a little). */
  clockSlackMs: number;
}
const defaultEdgeRelayOptions: EdgeRelayOptions = { maxConcurrent: 2, maxClipBytes: 20 * 1024 * 1024, clockSlackMs: 30_000 };

export interface EdgeRelayDeps {
  clock: Clock;
  log: Logger;
  /** An enabled account by name, or undefined. */
  user: (username: string) => { id: number; role: Role; disabled: boolean } | undefined;
  /** CameraAccess.may: the same rule the edge's own API applies. */
  may: (userId: number, role: Role, cameraId: number) => boolean;
  /** The camera's sub-stream URL with its credentials, or undefined when there is no such camera. Never logged. */
  cameraUrl: (cameraId: number) => string | undefined;
  snapshot: (cameraId: number, url: () => string) => Promise<Snapshot>;
  /** What a live request streams: the camera's sub stream (its main one without a sub), with credentials; never logged. */
  liveSource: (cameraId: number) => LiveSource | undefined;
  /** The live uploads (relay-live.ts); absent: live requests are answered `unavailable`. */
  live?: { has(id: string): boolean; renew(id: string): boolean; open(id: string, source: LiveSource): boolean; close(id: string): void; stop(): void };
  /** Cuts the recorded range into an MP4 at `out` (playback/clip.ts); throws NO_FOOTAGE when nothing was recorded. */
  clip: (cameraId: number, range: { fromMs: number; toMs: number }, out: string) => Promise<void>;
  /** Where clips are cut; each is deleted once sent. */
  tmpDir: string;
  /** Sends the bytes (a buffer, or a file by path) to the cloud's media store (relay-upload.ts). */
  upload: (data: Buffer | { path: string; size: number }, meta: { sha256: string; kind: string; ref: string; mime: string }) => Promise<void>;
  /** Publishes on `up/relay`. */
  reply: (msg: RelayReplyMessage) => void;
  audit: (e: AuditRecord) => void;
  options?: Partial<EdgeRelayOptions>;
}

export class EdgeRelay {
  readonly #deps: EdgeRelayDeps;
  readonly #opts: EdgeRelayOptions;
  #running = 0;
  readonly #inFlight = new Set<Promise<void>>();
  /** Per live upload: the users the edge has checked and audited for it (a renewal naming one of them is not audited again). */
  readonly #liveUsers = new Map<string, Set<string>>();
  readonly stats = { served: 0, refused: 0, busy: 0 };

  constructor(deps: EdgeRelayDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultEdgeRelayOptions, ...deps.options };
  }

  /** A request from the cloud, already checked against the protocol's schema. Never throws. */
  handle(req: RelayRequestMessage): void {
    // Live requests are answered at once (the stream itself runs beside): they take no worker, and a renewal is never `busy`.
    if (req.kind === 'live') return this.#live(req);
    if (this.#running >= this.#opts.maxConcurrent) {
      this.stats.busy++;
      this.#refuse(req, 'busy', `at most ${this.#opts.maxConcurrent} relay requests at once`, null);
      return;
    }
    this.#running++;
    const p = this.#serve(req)
      .catch((err: Error) => {
        this.#deps.log.warn({ request: req.id, cameraId: req.cameraId, err: err.message }, 'relay request failed');
        this.#refuse(req, 'unavailable', 'the edge could not answer', null);
      })
      .finally(() => {
        this.#running--;
        this.#inFlight.delete(p);
      });
    this.#inFlight.add(p);
  }

  /** Clears clips a crash left half cut or unsent (each request's file is its own: nothing there is wanted). */
  async start(): Promise<void> {
    await rm(this.#deps.tmpDir, { recursive: true, force: true });
  }

  /** Waits for the requests being worked on (their answers may still go out while sync stops). */
  async stop(): Promise<void> {
    this.#deps.live?.stop();
    await Promise.all([...this.#inFlight]);
  }

  /** The checks every request passes, whatever it asks: the user's account, camera scope and role. Undefined: refused (answered and audited). */
  #check(req: RelayRequestMessage): Role | undefined {
    const deps = this.#deps;
    if (deps.clock.now() > req.expiresAt + this.#opts.clockSlackMs) return void this.#refuse(req, 'expired', 'the request came too late', null);
    const user = deps.user(req.user);
    if (!user || user.disabled) return void this.#refuse(req, 'forbidden', 'no such account on the edge', null);
    if (!deps.may(user.id, user.role, req.cameraId)) return void this.#refuse(req, 'forbidden', `user may not see camera ${req.cameraId}`, user.role);
    if (!allows(user.role, KIND_ACCESS[req.kind])) return void this.#refuse(req, 'forbidden', `a ${user.role} may not do this (${KIND_ACCESS[req.kind]})`, user.role);
    return user.role;
  }

  /**
   * A live request, or its renewal (the same id again). Each names a user
   * watching on the cloud: the edge checks that user every time, audits each
   * user once per upload, and ends the upload for a user it refuses.
   */
  #live(req: Extract<RelayRequestMessage, { kind: 'live' }>): void {
    const live = this.#deps.live;
    try {
      for (const id of this.#liveUsers.keys()) if (!live?.has(id)) this.#liveUsers.delete(id);
      const role = this.#check(req);
      if (role === undefined) return live?.close(req.id);
      if (!live) return this.#refuse(req, 'unavailable', 'live view is not running on this edge', role);
      const users = this.#liveUsers.get(req.id);
      if (users && live.renew(req.id)) {
        if (users.has(req.user)) return;
        users.add(req.user);
        return this.#audit(req, role, { outcome: 'joined' });
      }
      const source = this.#deps.liveSource(req.cameraId);
      if (!source) return this.#refuse(req, 'not-found', `no camera ${req.cameraId}`, role);
      if (!live.open(req.id, source)) {
        this.stats.busy++;
        return this.#refuse(req, 'busy', 'too many live streams through the cloud at once', role);
      }
      this.#liveUsers.set(req.id, new Set([req.user]));
      this.stats.served++;
      this.#audit(req, role, { outcome: 'served', stream: source.stream });
    } catch (err) {
      this.#deps.log.warn({ request: req.id, cameraId: req.cameraId, err: (err as Error).message }, 'live relay request failed');
      this.#refuse(req, 'unavailable', 'the edge could not start the stream', null);
    }
  }

  async #serve(req: Exclude<RelayRequestMessage, { kind: 'live' }>): Promise<void> {
    const deps = this.#deps;
    const role = this.#check(req);
    if (role === undefined) return;
    const url = deps.cameraUrl(req.cameraId);
    if (url === undefined) return this.#refuse(req, 'not-found', `no camera ${req.cameraId}`, role);
    if (req.kind === 'clip') return this.#serveClip(req, role);
    const snap = await deps.snapshot(req.cameraId, () => url);
    const sha256 = createHash('sha256').update(snap.jpeg).digest('hex');
    await deps.upload(snap.jpeg, { sha256, kind: RELAY_SNAPSHOT_KIND, ref: `relay-${req.id}`, mime: 'image/jpeg' });
    this.#served(req, role, { sha256, bytes: snap.jpeg.length, mime: 'image/jpeg', capturedAt: snap.atMs }, { source: snap.source ?? 'feed' });
  }

  async #serveClip(req: Extract<RelayRequestMessage, { kind: 'clip' }>, role: Role): Promise<void> {
    const out = join(this.#deps.tmpDir, `relay-${req.id}.mp4`);
    try {
      try {
        await this.#deps.clip(req.cameraId, { fromMs: req.fromMs, toMs: req.toMs }, out);
      } catch (err) {
        if ((err as { code?: string }).code === 'NO_FOOTAGE') return this.#refuse(req, 'no-footage', 'nothing recorded in that range', role);
        throw err;
      }
      const size = (await stat(out)).size;
      if (size > this.#opts.maxClipBytes) return this.#refuse(req, 'too-large', `the clip is ${size} bytes, more than ${this.#opts.maxClipBytes}; ask for a shorter range`, role);
      const { sha256 } = await hashFile(out);
      await this.#deps.upload({ path: out, size }, { sha256, kind: RELAY_CLIP_KIND, ref: `relay-${req.id}`, mime: 'video/mp4' });
      this.#served(req, role, { sha256, bytes: size, mime: 'video/mp4', capturedAt: req.fromMs });
    } finally {
      await rm(out, { force: true });
    }
  }

  #served(req: RelayRequestMessage, role: Role, file: { sha256: string; bytes: number; mime: string; capturedAt: number }, extra: Record<string, unknown> = {}): void {
    this.stats.served++;
    this.#deps.reply({ v: 1, id: req.id, ok: true, ...file });
    this.#audit(req, role, { outcome: 'served', sha256: file.sha256, bytes: file.bytes, ...(req.kind === 'clip' ? { fromMs: req.fromMs, toMs: req.toMs } : {}), ...extra });
  }

  #refuse(req: RelayRequestMessage, reason: RelayRefusal, message: string, role: Role | null): void {
    this.stats.refused++;
    this.#deps.reply({ v: 1, id: req.id, ok: false, reason, message });
    this.#audit(req, role, { outcome: reason });
    if (reason === 'forbidden') this.#deps.log.warn({ request: req.id, user: req.user, cameraId: req.cameraId }, 'relay request refused: no permission on the edge');
  }

  #audit(req: RelayRequestMessage, role: Role | null, detail: Record<string, unknown>): void {
    try {
      this.#deps.audit({ actor: req.user, role, action: `relay.${req.kind}`, target: `camera:${req.cameraId}`, detail: { ...detail, request: req.id, via: 'cloud' }, ip: null });
    } catch (err) {
      this.#deps.log.error({ request: req.id, err: (err as Error).message }, 'relay audit row not written');
    }
  }
}
