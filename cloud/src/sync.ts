/**
 * The cloud's end of sync: one MQTT client (the service user) subscribed to
 * every edge's uplink. For each edge it commits uplink ops and events and acks
 * them after the commit, answers hello with its watermarks, and streams the
 * cloud's own ops of the edge's village down from the edge's watermark.
 *
 * Store calls await (the store may be a server database), so each edge's work
 * (its messages in arrival order, and pumps of its downlink) runs one piece at
 * a time on that edge's chain: a later message never overtakes an earlier one,
 * and two pumps never send the same ops twice. Edges still run side by side.
 */
import { randomBytes } from 'node:crypto';
import { ReconnectingMqttPeer } from '@cunbox/shared/mqtt-peer';
import { MAX_BATCH_BYTES, cloudSubscriptions, SendWindow, deadLetterCopy, fitBatch, decode, encode, topic, type Channel, type Clock, type TopicMap, type RelayReplyMessage, type RelayRequestMessage, type Decoded } from '@cunbox/shared';
import type { Logger } from 'pino';
import { DEAD_LETTERS_PER_EDGE, type DeadLetterInput, type EdgeRecord } from './store.ts';
import type { AsyncCloudStore } from './store-async.ts';

export interface CloudSyncOptions {
  batch: number;
  /** A batch's bytes are capped too (see fitBatch). */
  maxBatchBytes: number;
  maxInFlight: number;
  resendMs: number;
  tickMs: number;
  backoff: { baseMs: number; maxMs: number };
}
export const defaultCloudSyncOptions: CloudSyncOptions = { batch: 200, maxBatchBytes: MAX_BATCH_BYTES, maxInFlight: 2000, resendMs: 3000, tickMs: 250, backoff: { baseMs: 200, maxMs: 10_000 } };

export class CloudSync {
  readonly #store: AsyncCloudStore;
  readonly #log: Logger;
  readonly #opts: CloudSyncOptions;
  readonly #clock: Clock;
  readonly #peer: ReconnectingMqttPeer;
  /** Downlink windows of edges that are online: opened by their hello, their presence or any message; closed when offline. */
  readonly #down = new Map<string, SendWindow>();
  /** The same for the village's audit entries (audit.ts): opened and closed with the ops window. */
  readonly #auditDown = new Map<string, SendWindow>();
  #tick: unknown;
  /** Per edge (null: messages naming none), the tail of its work: what comes next starts after it. */
  readonly #chains = new Map<string | null, Promise<void>>();
  /** Edges with a pump waiting on their chain: a tick or notify adds none more. */
  readonly #pumpQueued = new Set<string>();
  /** The downlink check in progress (#pumpBehind), and whether another was asked for meanwhile. */
  #headsCheck: Promise<void> | undefined;
  #headsAgain = false;
  /**
   * Dead letters waiting for the next tick, per edge: written in one
   * transaction (one fsync) per tick, not one per message, and at most
   * DEAD_LETTERS_PER_EDGE each; the older ones only count as dropped.
   */
  readonly #deadLetters = new Map<string | null, DeadLetterInput[]>();
  #deadLetterFlush: Promise<void> = Promise.resolve();
  readonly #deadDropped = new Map<string | null, number>();
  /** Relay answers from edges go here (relay.ts); none set: dead-lettered. */
  #onRelay: ((edge: EdgeRecord, msg: RelayReplyMessage) => void) | undefined;
  /** Counts for tests and the status API. */
  readonly stats = { received: 0, deadLettered: 0, acksSent: 0, opsApplied: 0, opsDuplicate: 0, eventsIngested: 0 };

  /**
   * `random`: the reconnect jitter's source (Math.random unless a test fixes it).
   * `sharedGroup`: this process is one of several cloud workers sharing the edges' uplink
   * through an MQTT 5 shared subscription of that group (docs/design/cloud-workers.md).
   */
  constructor(deps: { store: AsyncCloudStore; log: Logger; url: string; username: string; password: string; clock: Clock; random?: () => number; options?: Partial<CloudSyncOptions>; sharedGroup?: string | null }) {
    this.#store = deps.store;
    this.#log = deps.log;
    this.#opts = { ...defaultCloudSyncOptions, ...deps.options };
    this.#clock = deps.clock;
    const random = deps.random ?? Math.random;
    const sharedGroup = deps.sharedGroup ?? null;
    this.#peer = new ReconnectingMqttPeer({
      url: deps.url,
      connectOptions: () => ({
        username: deps.username,
        password: deps.password,
        // Unique per connection: a second cloud process (a restart overlapping the old one) must not kick this one off.
        clientId: `cunbox-cloud-${process.pid}-${randomBytes(6).toString('hex')}`,
        clean: true,
        connectTimeout: 5000,
        // Shared subscriptions are MQTT 5's.
        protocolVersion: sharedGroup ? 5 : 4,
      }),
      subscriptions: cloudSubscriptions(sharedGroup),
      clock: deps.clock,
      random,
      backoff: this.#opts.backoff,
      log: deps.log,
      label: 'cloud sync',
      onMessage: (t, payload, packet) => this.#onMessage(t, payload, packet.retain),
      // What was in flight may be lost with the connection: send it again once back.
      onDown: () => {
        for (const w of [...this.#down.values(), ...this.#auditDown.values()]) w.reset(w.acked, this.#now());
      },
    });
  }

  #now(): number {
    return this.#clock.now();
  }

  /** Edges with an open downlink window: online since their hello, presence or any message. */
  get edgesOnline(): number {
    return this.#down.size;
  }

  /** Connected to the broker (the cloud's own MQTT session). */
  get connected(): boolean {
    return this.#peer.connected;
  }

  start(): void {
    this.#peer.start();
    this.#tick = this.#clock.setInterval(() => this.#onTick(), this.#opts.tickMs);
  }

  async stop(): Promise<void> {
    this.#clock.clearInterval(this.#tick);
    await this.#peer.stop();
    await this.#headsCheck;
    // What arrived before the stop is committed (and its dead letters kept) before the store closes.
    while (this.#chains.size > 0) await Promise.all(this.#chains.values());
    await this.#flushDeadLetters();
  }

  /** Runs `work` after everything queued for this edge; an error is logged, never thrown at the MQTT client. */
  #enqueue(edgeId: string | null, work: () => Promise<void>): void {
    const next = (this.#chains.get(edgeId) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.#log.error({ edgeId, err: (err as Error).message }, 'sync work failed'))
      .finally(() => {
        if (this.#chains.get(edgeId) === next) this.#chains.delete(edgeId);
      });
    this.#chains.set(edgeId, next);
  }

  /** A village's cloud-made ops are waiting: push them to its edges now rather than at the next tick. */
  notify(): void {
    this.#pumpBehind();
  }

  /** Where relay answers go (set once by the composition root). */
  setRelayHandler(handler: (edge: EdgeRecord, msg: RelayReplyMessage) => void): void {
    this.#onRelay = handler;
  }

  /** A relay request: QoS 0, outside the ops' window and never resent (relay.ts bounds the wait). False: not connected to the broker. */
  publishRelay(edgeId: string, msg: RelayRequestMessage): boolean {
    if (!this.#peer.connected) return false;
    this.#peer.publish(topic(edgeId, 'down/relay'), encode('down/relay', msg), { qos: 0 });
    return true;
  }

  #publish<C extends Channel>(edgeId: string, channel: C, msg: TopicMap[C]): void {
    this.#peer.publish(topic(edgeId, channel), encode(channel, msg), { qos: 1 });
  }

  #reject(t: string, edgeId: string | null, reason: string, payload: Uint8Array): void {
    this.stats.deadLettered++;
    let queue = this.#deadLetters.get(edgeId);
    if (!queue) {
      queue = [];
      this.#deadLetters.set(edgeId, queue);
    }
    if (queue.length >= DEAD_LETTERS_PER_EDGE) {
      queue.shift();
      this.#deadDropped.set(edgeId, (this.#deadDropped.get(edgeId) ?? 0) + 1);
    }
    // Copied: the payload buffer is the MQTT client's, and we keep it past this call.
    queue.push({ topic: t, edgeId, reason, payload: Buffer.from(deadLetterCopy(t, payload)), bytes: payload.byteLength, at: this.#now() });
  }

  /**
   * One at a time: on a server database a flush can outlast a tick, and two
   * at once would interleave their ids, while the newest kept are by id.
   */
  #flushDeadLetters(): Promise<void> {
    this.#deadLetterFlush = this.#deadLetterFlush.then(() => this.#writeDeadLetters());
    return this.#deadLetterFlush;
  }

  /** One transaction for everything rejected since the last flush; one log line per edge. */
  async #writeDeadLetters(): Promise<void> {
    if (this.#deadLetters.size === 0 && this.#deadDropped.size === 0) return;
    const queues = [...this.#deadLetters];
    const entries = queues.flatMap(([, q]) => q);
    const dropped = new Map(this.#deadDropped);
    this.#deadLetters.clear();
    this.#deadDropped.clear();
    try {
      await this.#store.addDeadLetters(entries, dropped);
    } catch (err) {
      this.#log.error({ err: (err as Error).message, count: entries.length }, 'dead letters could not be stored');
    }
    for (const [edgeId, list] of queues) {
      const last = list[list.length - 1]!;
      this.#log.warn({ edgeId, count: list.length, dropped: dropped.get(edgeId) ?? 0, topic: last.topic.slice(0, 200), reason: last.reason }, 'sync messages dead-lettered');
    }
  }

  #onMessage(t: string, payload: Buffer, retained = false): void {
    this.stats.received++;
    const d = decode(t, payload);
    if (!d.ok) return this.#reject(t, d.edgeId, d.reason, payload);
    this.#enqueue(d.edgeId, () => this.#handle(t, payload, d, retained));
  }

  async #handle(t: string, payload: Buffer, d: Decoded, retained: boolean): Promise<void> {
    const edge = await this.#store.edge(d.edgeId);
    if (!edge) return this.#reject(t, d.edgeId, 'unknown edge', payload);
    // An edge we hear from without its hello (we restarted, or missed it): resume from what it last acked.
    // Presence is handled below: an offline one must not open a window.
    if (d.channel !== 'presence') await this.#resume(edge);
    try {
      switch (d.channel) {
        case 'up/hello':
          return await this.#onHello(edge, d.msg);
        case 'up/ops':
          return await this.#onOps(edge, d.msg, t, payload);
        case 'up/events': {
          const before = (await this.#store.marks(edge.edgeId)).eventsCommitted;
          const committed = await this.#store.ingestEdgeEvents(edge.edgeId, d.msg.after, d.msg.events);
          this.stats.eventsIngested += Math.max(0, committed - before);
          this.#publish(edge.edgeId, 'down/ack', { v: 1, stream: 'events', origin: edge.node ?? '0000000000000000', seq: committed });
          this.stats.acksSent++;
          return;
        }
        case 'up/ack': {
          const village = await this.#store.village(edge.villageId);
          if (d.msg.stream === 'events' || d.msg.origin !== village?.node) return this.#reject(t, edge.edgeId, 'ack for a stream the cloud does not send', payload);
          if (d.msg.stream === 'audit') {
            // Below what it acked before: the edge lost entries (database restored) and says so only here
            // when its hello carries no auditSeq; resend from where it stands.
            const back = d.msg.seq < (await this.#store.audit.acked(edge.edgeId));
            await this.#store.audit.setAcked(edge.edgeId, d.msg.seq, back);
            if (back) this.#auditDown.get(edge.edgeId)?.reset(d.msg.seq, this.#now());
            else this.#auditDown.get(edge.edgeId)?.ack(d.msg.seq, this.#now());
          } else {
            await this.#store.setDownAcked(edge.edgeId, d.msg.seq);
            this.#down.get(edge.edgeId)?.ack(d.msg.seq, this.#now());
          }
          return await this.#pump(edge);
        }
        case 'up/users':
          return await this.#onUsers(edge, d.msg);
        case 'up/relay':
          if (!this.#onRelay) return this.#reject(t, edge.edgeId, 'relay is not enabled on this cloud', payload);
          return this.#onRelay(edge, d.msg);
        case 'presence':
          // The will of a connection can come after a newer presence (a clean stop, a reconnect): not news.
          if (!(await this.#store.setPresence(edge.edgeId, d.msg))) return void this.#log.debug({ edgeId: edge.edgeId, at: d.msg.at, online: d.msg.online }, 'older presence ignored');
          return await this.#onPresence(edge, d.msg.online, retained);
        default:
          // Our own downlink echoed back cannot happen (we subscribe to up/ only); anything else is a bug to see.
          return this.#reject(t, edge.edgeId, `channel ${d.channel} is not an uplink`, payload);
      }
    } catch (err) {
      this.#reject(t, edge.edgeId, `not applied: ${(err as Error).message}`, payload);
    }
  }

  async #onHello(edge: EdgeRecord, msg: TopicMap['up/hello']): Promise<void> {
    if (edge.node !== msg.node) {
      if (edge.node) this.#log.warn({ edgeId: edge.edgeId, was: edge.node, now: msg.node }, 'edge node id changed (database replaced?)');
      await this.#store.setEdgeNode(edge.edgeId, msg.node);
      edge = { ...edge, node: msg.node };
    }
    await this.#sayHello(edge);
    if (msg.ownSeq !== undefined) await this.#returnOwnOps(edge, msg.ownSeq);
    this.#window(edge.edgeId).reset(msg.appliedSeq, this.#now());
    await this.#store.setDownAcked(edge.edgeId, msg.appliedSeq, true);
    // An edge too old to say where its audit copy stands resumes from its last ack.
    if (msg.auditSeq !== undefined) await this.#store.audit.setAcked(edge.edgeId, msg.auditSeq, true);
    this.#window(edge.edgeId, this.#auditDown).reset(msg.auditSeq ?? (await this.#store.audit.acked(edge.edgeId)), this.#now());
    await this.#pump(edge);
  }

  /**
   * An edge restored from an older backup lacks ops of its own that we hold:
   * they go back to it, as we hold them (minimised). Not windowed or acked: the
   * edge asks again with its next hello until it has them.
   */
  async #returnOwnOps(edge: EdgeRecord, ownSeq: number): Promise<void> {
    if (!edge.node || (await this.#store.marks(edge.edgeId)).opsCommitted <= ownSeq) return;
    let after = ownSeq;
    for (;;) {
      const ops = fitBatch(await this.#store.opsAfter(edge.villageId, edge.node, after, this.#opts.batch), this.#opts.maxBatchBytes);
      if (ops.length === 0) break;
      this.#publish(edge.edgeId, 'down/ops', { v: 1, ops });
      after = ops[ops.length - 1]!.seq;
    }
    this.#log.info({ edgeId: edge.edgeId, from: ownSeq + 1, to: after }, "returned an edge's own ops to it (restored from a backup)");
  }

  /**
   * Presence is retained, so the broker delivers every edge's on each (re)subscribe: after a
   * restart of the cloud that is how the downlink to an idle edge resumes without waiting for
   * the edge to say something. Offline: nothing is pumped until it is back.
   */
  async #onPresence(edge: EdgeRecord, online: boolean, retained: boolean): Promise<void> {
    if (!online) {
      this.#down.delete(edge.edgeId);
      this.#auditDown.delete(edge.edgeId);
      return;
    }
    if (!(await this.#resume(edge))) return;
    // Retained: delivered on our subscribe, so we are the one who (re)started. Unasked, our
    // hello tells the edge our watermarks: what it sent while we were down, and would resend
    // only when its stall timer runs out, goes again now. (A live presence is an edge that
    // just connected; its own hello follows.)
    if (retained) await this.#sayHello(edge);
    await this.#pump(edge);
  }

  async #sayHello(edge: EdgeRecord): Promise<void> {
    const village = (await this.#store.village(edge.villageId))!;
    const marks = await this.#store.marks(edge.edgeId);
    this.#publish(edge.edgeId, 'down/hello', { v: 1, node: village.node, appliedSeq: marks.opsCommitted, eventsAcked: marks.eventsCommitted });
  }

  /** Opens the edge's downlink window at its stored ack mark unless one is open; true if it opened one. */
  async #resume(edge: EdgeRecord): Promise<boolean> {
    if (this.#down.has(edge.edgeId) || !edge.node) return false;
    const downAcked = (await this.#store.marks(edge.edgeId)).downAcked;
    const auditAcked = await this.#store.audit.acked(edge.edgeId);
    // Both windows open together, after the reads: nothing else of this edge runs meanwhile (its chain).
    this.#window(edge.edgeId).reset(downAcked, this.#now());
    this.#window(edge.edgeId, this.#auditDown).reset(auditAcked, this.#now());
    return true;
  }

  /** Users sync: the village's accounts for the phone API. Counts only in the log, never hashes. */
  async #onUsers(edge: EdgeRecord, msg: TopicMap['up/users']): Promise<void> {
    const r = await this.#store.accounts.putUsers(edge.villageId, edge.edgeId, msg);
    if (r.applied) this.#log.info({ edgeId: edge.edgeId, villageId: edge.villageId, users: msg.users.length, version: msg.version.slice(0, 12), sessionsEnded: r.sessionsEnded }, 'village users updated');
  }

  #window(edgeId: string, windows = this.#down): SendWindow {
    let w = windows.get(edgeId);
    if (!w) {
      w = new SendWindow({ maxInFlight: this.#opts.maxInFlight, resendMs: this.#opts.resendMs, batch: this.#opts.batch });
      windows.set(edgeId, w);
    }
    return w;
  }

  async #onOps(edge: EdgeRecord, msg: TopicMap['up/ops'], t: string, payload: Uint8Array): Promise<void> {
    if (!edge.node) return this.#reject(t, edge.edgeId, 'ops before hello', payload);
    const foreign = msg.ops.find((op) => op.origin !== edge.node);
    if (foreign) return this.#reject(t, edge.edgeId, `op ${foreign.id} is not of this edge's origin`, payload);
    const r = await this.#store.ingestEdgeOps(edge, msg.ops);
    this.stats.opsApplied += r.applied;
    this.stats.opsDuplicate += r.duplicates;
    // Only now, after the commit: the ack is the cloud's promise that these ops are durable here.
    this.#publish(edge.edgeId, 'down/ack', { v: 1, stream: 'ops', origin: edge.node, seq: r.committed });
    this.stats.acksSent++;
  }

  async #pump(edge: EdgeRecord): Promise<void> {
    if (!this.#down.has(edge.edgeId)) return;
    const village = await this.#store.village(edge.villageId);
    // Read after the await: an offline presence handled meanwhile closed the window.
    const w = this.#down.get(edge.edgeId);
    if (!w || !village || !this.#peer.connected) return;
    while (w.room > 0) {
      const ops = fitBatch(await this.#store.opsAfter(edge.villageId, village.node, w.sent, Math.min(this.#opts.batch, w.room)), this.#opts.maxBatchBytes);
      if (ops.length === 0) break;
      this.#publish(edge.edgeId, 'down/ops', { v: 1, ops });
      w.sentUpTo(ops[ops.length - 1]!.seq, this.#now());
    }
    const a = this.#auditDown.get(edge.edgeId);
    while (a && a.room > 0) {
      const entries = fitBatch(await this.#store.audit.after(edge.villageId, a.sent, Math.min(this.#opts.batch, a.room)), this.#opts.maxBatchBytes);
      if (entries.length === 0) break;
      this.#publish(edge.edgeId, 'down/audit', { v: 1, after: a.sent, entries });
      a.sentUpTo(entries[entries.length - 1]!.seq, this.#now());
    }
  }

  /**
   * Pumps the online edges whose downlink has something their window has not
   * sent: new cloud ops or audit entries of their village (made by this worker
   * or another), or a window a stall rewound. One read of every online edge's
   * heads, not a read per edge: with 1,000 edges a blind pump of each on every
   * tick was most of the database's work and queued each edge's acks behind it.
   * One check at a time; a check asked for meanwhile runs right after it.
   */
  #pumpBehind(): void {
    if (this.#headsCheck) {
      this.#headsAgain = true;
      return;
    }
    this.#headsCheck = this.#checkHeads()
      .catch((err: unknown) => this.#log.error({ err: (err as Error).message }, 'downlink check failed'))
      .finally(() => {
        this.#headsCheck = undefined;
        if (this.#headsAgain) {
          this.#headsAgain = false;
          this.#pumpBehind();
        }
      });
  }

  async #checkHeads(): Promise<void> {
    if (this.#down.size === 0 || !this.#peer.connected) return;
    for (const head of await this.#store.downlinkHeads([...this.#down.keys()])) {
      const ops = this.#down.get(head.edgeId);
      const audit = this.#auditDown.get(head.edgeId);
      if ((ops && head.ops > ops.sent) || (audit && head.audit > audit.sent)) this.#queuePump(head.edgeId);
    }
  }

  /** A pump of the edge on its chain (one waiting at most). */
  #queuePump(edgeId: string): void {
    if (this.#pumpQueued.has(edgeId)) return;
    this.#pumpQueued.add(edgeId);
    this.#enqueue(edgeId, async () => {
      this.#pumpQueued.delete(edgeId);
      const edge = await this.#store.edge(edgeId);
      if (edge) await this.#pump(edge);
    });
  }

  #onTick(): void {
    void this.#flushDeadLetters();
    const now = this.#now();
    for (const w of [...this.#down.values(), ...this.#auditDown.values()]) w.rewindIfStalled(now);
    this.#pumpBehind();
  }
}
