/**
 * The edge's end of sync, a part with start()/stop().
 *
 * Uplink: our governance ops (gov_ops rows of our origin, by seq) and camera
 * events (events rows, by id) are the outbox: they were written in the same
 * transaction as the change. We send batches past the cloud's watermark,
 * at most `maxInFlight` unacknowledged, and move the watermark only on the
 * cloud's ack, which it sends after its commit. Every (re)connect starts with
 * hello; the cloud's answer is the watermark we resume from.
 *
 * Downlink: the cloud's ops go through OpStore.ingest (duplicates by
 * (origin, seq) skipped); we ack the highest contiguous seq after the commit.
 * The cloud's audit entries for our village (down/audit: phone reads of
 * unmasked data) go into our audit log with source 'cloud', and are acked
 * the same way.
 * A message that fails validation or cannot be applied is dead-lettered with
 * its reason and logged; the stream goes on.
 */
import { ReconnectingMqttPeer } from '@cunbox/shared/mqtt-peer';
import { MAX_BATCH_BYTES, SendWindow, deadLetterCopy, decode, minimiseOpForCloud, edgeSubscriptions, encode, fitBatch, opId, topic, type Channel, type SyncEvent, type TopicMap, type RelayReplyMessage, type RelayRequestMessage } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { OpStore } from '../governance/store.ts';
import { readUsersSnapshot } from './users-snapshot.ts';
import type { AuditLog } from '../api/audit.ts';


export interface SyncOptions {
  batch: number;
  /** A batch's bytes are capped too (see fitBatch). */
  maxBatchBytes: number;
  maxInFlight: number;
  resendMs: number;
  /** How often the outbox is looked at for new rows, and stalls are checked. */
  pollMs: number;
  backoff: { baseMs: number; maxMs: number };
}
const defaultSyncOptions: SyncOptions = { batch: 200, maxBatchBytes: MAX_BATCH_BYTES, maxInFlight: 2000, resendMs: 3000, pollMs: 250, backoff: { baseMs: 500, maxMs: 60_000 } };

export interface SyncCredentials {
  edgeId: string;
  mqttUrl: string;
  username: string;
  password: string;
}

export interface SyncClientDeps {
  db: Db;
  store: OpStore;
  clock: Clock;
  log: Logger;
  credentials: SyncCredentials;
  options?: Partial<SyncOptions>;
  random?: () => number;
  /** Where the cloud's audit entries go: the installation's audit log (the one whose chain its key checks). */
  audit: Pick<AuditLog, 'record'>;
}

/** The row in sync_peers for our (single) cloud. */
const PEER = 'cloud';
const DEAD_LETTER_KEEP = 64 * 1024;
const USERS_CHECK_MS = 1000;
const USERS_REFRESH_MS = 10 * 60_000;
/** How long a clean stop waits for the broker (PUBACK of the offline presence, then the close). */
const GOODBYE_MS = 2000;

export interface SyncStatus {
  connected: boolean;
  cloudNode: string | null;
  opsAcked: number;
  opsPending: number;
  eventsAcked: number;
  eventsPending: number;
  appliedSeq: number;
  deadLetters: number;
  lastHelloAt: number | null;
}

/** Reads sync state from the database alone (the CLI uses it without a running client). */
export function readSyncStatus(db: Db, node: string): Omit<SyncStatus, 'connected'> {
  const p = db.prepare('SELECT node, ops_acked, events_acked, applied_seq, last_hello_at FROM sync_peers WHERE peer = ?').get(PEER) as
    | { node: string | null; ops_acked: number; events_acked: number; applied_seq: number; last_hello_at: number | null }
    | undefined;
  const opsAcked = p?.ops_acked ?? 0;
  const eventsAcked = p?.events_acked ?? 0;
  const count = (sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n;
  return {
    cloudNode: p?.node ?? null,
    opsAcked,
    opsPending: count('SELECT count(*) AS n FROM gov_ops WHERE origin = ? AND seq > ?', node, opsAcked),
    eventsAcked,
    eventsPending: count('SELECT count(*) AS n FROM events WHERE id > ?', eventsAcked),
    appliedSeq: p?.applied_seq ?? 0,
    deadLetters: count('SELECT count(*) AS n FROM sync_dead_letters'),
    lastHelloAt: p?.last_hello_at ?? null,
  };
}

export class SyncClient {
  readonly #deps: SyncClientDeps;
  readonly #opts: SyncOptions;
  readonly #ops: SendWindow;
  readonly #events: SendWindow;
  readonly #mqtt: ReconnectingMqttPeer;
  #timer: unknown;
  /** Set by the cloud's hello on this connection: only then do we know its watermarks. */
  #ready = false;
  #helloAt = 0;
  /** Our ops the cloud holds up to this seq and this database lacks; 0: none. Hello is repeated until they are back. */
  #recoverUntil = 0;
  /** Users sync: what the cloud was last sent, and when the table was last looked at. */
  #usersSent: { version: string; at: number } | null = null;
  #usersCheckedAt = 0;
  /** Relay requests from the cloud go here (relay.ts); none set: they are dead-lettered like any unexpected message. */
  #onRelay: ((req: RelayRequestMessage) => void) | undefined;
  readonly stats = { connects: 0, deadLettered: 0, batchesSent: 0 };

  constructor(deps: SyncClientDeps) {
    this.#deps = deps;
    this.#opts = { ...defaultSyncOptions, ...deps.options };
    this.#ops = new SendWindow(this.#opts);
    this.#events = new SendWindow(this.#opts);
    const { credentials: cred } = deps;
    // The will and this connection's online message carry the same `at`: the connection's start.
    let since = 0;
    this.#mqtt = new ReconnectingMqttPeer({
      url: cred.mqttUrl,
      connectOptions: () => {
        since = this.#presenceAt();
        return {
          username: cred.username,
          password: cred.password,
          clientId: `cunbox-edge-${cred.edgeId}`,
          clean: true,
          connectTimeout: 5000,
          keepalive: 30,
          protocolVersion: 4,
          will: { topic: topic(cred.edgeId, 'presence'), payload: encode('presence', { v: 1, online: false, at: since }), qos: 1, retain: true },
        };
      },
      subscriptions: edgeSubscriptions(cred.edgeId),
      clock: deps.clock,
      random: deps.random ?? Math.random,
      backoff: this.#opts.backoff,
      log: deps.log,
      label: 'sync',
      onReady: () => {
        this.stats.connects++;
        this.#publish('presence', { v: 1, online: true, at: since }, true);
        this.#hello();
      },
      onMessage: (t, payload) => this.#onMessage(t, payload),
      onDown: () => {
        this.#ready = false;
      },
    });
  }

  get connected(): boolean {
    return this.#ready && this.#mqtt.connected;
  }

  /** Connected, and holding every op of ours the cloud holds (after a restore: they have come back). */
  get caughtUp(): boolean {
    return this.connected && (this.#recoverUntil === 0 || this.#deps.store.lastLocalSeq() >= this.#recoverUntil);
  }

  status(): SyncStatus {
    return { connected: this.connected, ...readSyncStatus(this.#deps.db, this.#deps.store.node) };
  }

  start(): void {
    this.#deps.db.prepare('INSERT OR IGNORE INTO sync_peers (peer) VALUES (?)').run(PEER);
    this.#mqtt.start();
    this.#timer = this.#deps.clock.setInterval(() => this.#tick(), this.#opts.pollMs);
  }

  async stop(): Promise<void> {
    this.#deps.clock.clearInterval(this.#timer);
    this.#ready = false;
    // A clean goodbye: the retained presence says offline now, not after the keepalive runs
    // out; then DISCONNECT, so the broker drops the will (older: it would replace this one).
    await this.#mqtt.stop({
      graceMs: GOODBYE_MS,
      goodbye: (c) => c.publishAsync(topic(this.#deps.credentials.edgeId, 'presence'), encode('presence', { v: 1, online: false, at: this.#presenceAt() }), { qos: 1, retain: true }),
    });
  }

  /** The next presence `at`: now, or just above the last one used if the clock stepped back (see PresenceMessage). */
  #presenceAt(): number {
    const { db, clock } = this.#deps;
    const last = (db.prepare('SELECT presence_at AS at FROM sync_peers WHERE peer = ?').get(PEER) as { at: number }).at;
    const at = Math.max(clock.now(), last + 1);
    db.prepare('UPDATE sync_peers SET presence_at = ? WHERE peer = ?').run(at, PEER);
    return at;
  }

  /** Repeated (see #tick) until answered: the cloud may not have been subscribed yet when the broker came back. */
  #hello(): void {
    this.#helloAt = this.#deps.clock.now();
    const peer = this.#peer();
    // auditSeq only once the cloud has sent audit entries: a cloud older than them refuses a hello with a field it does not know.
    this.#publish('up/hello', { v: 1, node: this.#deps.store.node, appliedSeq: peer.applied_seq, ownSeq: this.#deps.store.lastLocalSeq(), ...(peer.audit_applied > 0 ? { auditSeq: peer.audit_applied } : {}) });
  }

  /** Where relay requests go (set once by the composition root, before start). */
  setRelayHandler(handler: (req: RelayRequestMessage) => void): void {
    this.#onRelay = handler;
  }

  /** A relay answer: QoS 0, never queued behind the ops' window nor resent (a late answer helps nobody). */
  publishRelay(msg: RelayReplyMessage): void {
    this.#mqtt.publish(topic(this.#deps.credentials.edgeId, 'up/relay'), encode('up/relay', msg), { qos: 0 });
  }

  #publish<C extends Channel>(channel: C, msg: TopicMap[C], retain = false): void {
    this.#mqtt.publish(topic(this.#deps.credentials.edgeId, channel), encode(channel, msg), { qos: 1, retain });
  }

  #peer(): { node: string | null; ops_acked: number; events_acked: number; applied_seq: number; audit_applied: number } {
    return this.#deps.db.prepare('SELECT node, ops_acked, events_acked, applied_seq, audit_applied FROM sync_peers WHERE peer = ?').get(PEER) as {
      node: string | null;
      ops_acked: number;
      events_acked: number;
      applied_seq: number;
      audit_applied: number;
    };
  }

  #deadLetter(t: string, reason: string, payload: Uint8Array): void {
    this.stats.deadLettered++;
    this.#deps.db
      .prepare('INSERT INTO sync_dead_letters (at, topic, reason, bytes, payload) VALUES (?, ?, ?, ?, ?)')
      .run(this.#deps.clock.now(), t.slice(0, 500), reason, payload.byteLength, Buffer.from(deadLetterCopy(t, payload).subarray(0, DEAD_LETTER_KEEP)));
    this.#deps.log.warn({ topic: t.slice(0, 200), reason }, 'sync message dead-lettered');
  }

  #onMessage(t: string, payload: Buffer): void {
    const d = decode(t, payload);
    if (!d.ok) return this.#deadLetter(t, d.reason, payload);
    if (d.edgeId !== this.#deps.credentials.edgeId) return this.#deadLetter(t, 'message for another edge', payload);
    const now = this.#deps.clock.now();
    const { db } = this.#deps;
    try {
      switch (d.channel) {
        case 'down/hello': {
          const m = d.msg;
          const peer = this.#peer();
          if (peer.node && peer.node !== m.node) this.#deps.log.warn({ was: peer.node, now: m.node }, 'cloud node id changed');
          // The cloud's watermark is the truth even if it went back (cloud restored from a backup): we resend.
          db.prepare('UPDATE sync_peers SET node = ?, ops_acked = ?, events_acked = ?, last_hello_at = ? WHERE peer = ?').run(m.node, m.appliedSeq, m.eventsAcked ?? 0, now, PEER);
          this.#ops.reset(m.appliedSeq, now);
          this.#events.reset(m.eventsAcked ?? 0, now);
          this.#catchUpWith(m.appliedSeq, m.eventsAcked ?? 0);
          this.#ready = true;
          this.#publishUsers(true);
          return this.#pump();
        }
        case 'down/ack': {
          const m = d.msg;
          if (m.stream === 'ops') {
            if (m.origin !== this.#deps.store.node) return this.#deadLetter(t, `ack for origin ${m.origin}, not ours`, payload);
            if (this.#ops.ack(m.seq, now)) db.prepare('UPDATE sync_peers SET ops_acked = max(ops_acked, ?) WHERE peer = ?').run(m.seq, PEER);
          } else if (m.stream === 'events' && this.#events.ack(m.seq, now)) {
            db.prepare('UPDATE sync_peers SET events_acked = max(events_acked, ?) WHERE peer = ?').run(m.seq, PEER);
          }
          return this.#pump();
        }
        case 'down/ops':
          return this.#onOps(d.msg, t, payload);
        case 'down/audit':
          return this.#onAudit(d.msg, t, payload);
        case 'down/relay':
          if (!this.#onRelay) return this.#deadLetter(t, 'relay is not enabled on this edge', payload);
          return this.#onRelay(d.msg);
        default:
          return this.#deadLetter(t, `channel ${d.channel} is not a downlink`, payload);
      }
    } catch (err) {
      this.#deadLetter(t, `not applied: ${(err as Error).message}`, payload);
    }
  }

  /**
   * The cloud holds more of ours than this database (it was restored from a
   * backup older than what we last sent): our next op and event must be
   * numbered after what the cloud has, or the cloud would take them for ones
   * it already holds. The ops themselves come back from the cloud (it sends
   * them when our hello's ownSeq is below its count; see #onOps).
   */
  #catchUpWith(opsInCloud: number, eventsInCloud: number): void {
    const { store, db, log } = this.#deps;
    const ours = store.lastLocalSeq();
    if (opsInCloud > ours) {
      store.reserveSeqsThrough(opsInCloud);
      this.#recoverUntil = opsInCloud;
      log.warn({ here: ours, inCloud: opsInCloud }, 'the cloud holds ops of ours this database lacks (restored from a backup?): fetching them');
    }
    // Event ids are AUTOINCREMENT: raising the sequence keeps new ids above the cloud's watermark.
    const events = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    if (eventsInCloud > (events?.seq ?? 0)) {
      if (events) db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'").run(eventsInCloud);
      else db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(eventsInCloud);
      log.warn({ inCloud: eventsInCloud }, 'the cloud holds events of ours this database lacks (restored from a backup?): new events are numbered after them');
    }
  }

  #onOps(msg: TopicMap['down/ops'], t: string, payload: Uint8Array): void {
    const { store, db } = this.#deps;
    const cloud = this.#peer().node;
    if (!cloud) return this.#deadLetter(t, 'ops before hello', payload);
    if (msg.ops.length > 0 && msg.ops.every((op) => op.origin === store.node)) {
      // Our own ops coming back after a restore: stored once (duplicates skipped), never acked (the cloud sent them unasked).
      const r = store.ingest(msg.ops);
      if (store.lastLocalSeq() >= this.#recoverUntil) this.#recoverUntil = 0;
      this.#deps.log.info({ applied: r.applied, duplicates: r.duplicates }, 'own ops recovered from the cloud');
      return;
    }
    const foreign = msg.ops.find((op) => op.origin !== cloud);
    if (foreign) return this.#deadLetter(t, `op ${foreign.id} is not of the cloud's origin`, payload);
    const applied = store.transaction(() => {
      store.ingest(msg.ops);
      // Reordered batches may leave a gap: the watermark stops below it until the missing seq arrives.
      let seq = this.#peer().applied_seq;
      const has = db.prepare('SELECT 1 FROM gov_ops WHERE id = ?');
      while (has.get(opId(cloud, seq + 1))) seq++;
      db.prepare('UPDATE sync_peers SET applied_seq = ? WHERE peer = ?').run(seq, PEER);
      return seq;
    });
    // After the commit: the ack promises the cloud these ops survive a power cut here.
    this.#publish('up/ack', { v: 1, stream: 'ops', origin: cloud, seq: applied });
  }

  /** The cloud's audit entries: stored if they continue what we have (else the cloud resends from our ack), acked after the commit. */
  #onAudit(msg: TopicMap['down/audit'], t: string, payload: Uint8Array): void {
    const { db } = this.#deps;
    const cloud = this.#peer().node;
    if (!cloud) return this.#deadLetter(t, 'audit entries before hello', payload);
    const applied = db.transaction(() => {
      let seq = this.#peer().audit_applied;
      if (msg.after > seq) return seq;
      for (const e of msg.entries) {
        if (e.seq <= seq) continue;
        if (e.seq !== seq + 1) break;
        this.#deps.audit.record({ actor: e.actor, role: e.role, action: e.action, target: e.target, detail: e.detail, ip: e.ip, source: 'cloud', at: e.at });
        seq = e.seq;
      }
      db.prepare('UPDATE sync_peers SET audit_applied = ? WHERE peer = ?').run(seq, PEER);
      return seq;
    })();
    this.#publish('up/ack', { v: 1, stream: 'audit', origin: cloud, seq: applied });
  }

  #pump(): void {
    if (!this.connected) return;
    const { store, db, clock } = this.#deps;
    while (this.#ops.room > 0) {
      // The cloud gets each op minimised: what no phone screen shows never leaves the box.
      const ops = fitBatch(store.localOpsAfter(this.#ops.sent, Math.min(this.#opts.batch, this.#ops.room)).map(minimiseOpForCloud), this.#opts.maxBatchBytes);
      if (ops.length === 0) break;
      this.#publish('up/ops', { v: 1, ops });
      this.stats.batchesSent++;
      this.#ops.sentUpTo(ops[ops.length - 1]!.seq, clock.now());
    }
    while (this.#events.room > 0) {
      const all = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(this.#events.sent, Math.min(this.#opts.batch, this.#events.room)) as Array<{
        id: number;
        camera_id: number | null;
        type: string;
        at_ms: number;
        detail: string | null;
      }>;
      const rows = fitBatch(all, this.#opts.maxBatchBytes);
      if (rows.length === 0) break;
      const events: SyncEvent[] = rows.map((r) => ({ id: r.id, cameraId: r.camera_id, type: r.type, atMs: r.at_ms, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {} }));
      this.#publish('up/events', { v: 1, after: this.#events.sent, events });
      this.stats.batchesSent++;
      this.#events.sentUpTo(rows[rows.length - 1]!.id, clock.now());
    }
  }

  /**
   * Users sync: the whole user table after every hello, when
   * it changed (looked at once a second), and every ten minutes in case a
   * snapshot was lost (nothing acks it; a snapshot is idempotent).
   */
  #publishUsers(force: boolean): void {
    const now = this.#deps.clock.now();
    if (!this.connected || (!force && now - this.#usersCheckedAt < USERS_CHECK_MS)) return;
    this.#usersCheckedAt = now;
    const snap = readUsersSnapshot(this.#deps.db);
    if (!force && snap.version === this.#usersSent?.version && now - this.#usersSent.at < USERS_REFRESH_MS) return;
    this.#publish('up/users', { v: 1, version: snap.version, at: now, users: snap.users });
    this.#usersSent = { version: snap.version, at: now };
    this.#deps.log.info({ users: snap.users.length, version: snap.version.slice(0, 12) }, 'users snapshot sent to the cloud');
  }

  #tick(): void {
    this.#publishUsers(false);
    const now = this.#deps.clock.now();
    const recovering = this.#recoverUntil > 0 && this.#deps.store.lastLocalSeq() < this.#recoverUntil;
    if (this.#mqtt.connected && (!this.#ready || recovering) && now - this.#helloAt >= this.#opts.resendMs) this.#hello();
    this.#ops.rewindIfStalled(now);
    this.#events.rewindIfStalled(now);
    this.#pump();
  }
}
