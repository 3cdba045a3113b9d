/**
 * The embedded MQTT broker (Aedes, in-process) and the access rules every
 * broker must enforce, embedded or not (Mosquitto gets the same rules as an
 * acl_file, see `mosquittoAcl`):
 * - the cloud's service user may use every `cunbox/` topic;
 * - an edge authenticates with its edge id as user name and the password it
 *   got when pairing, and may publish only its own uplink channels
 *   (`cunbox/v1/{itsEdgeId}/up/ops`, … — the protocol's UPLINK_CHANNELS) and
 *   its presence, and subscribe only `cunbox/v1/{itsEdgeId}/down/…`;
 * - no packet is larger than MAX_MQTT_PACKET_BYTES, and only presence is
 *   retained. Mosquitto cannot refuse a retained message by topic, so the
 *   exact channel list in its ACL is what bounds what an edge can leave
 *   there: one message of at most that size per channel.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { MAX_PAYLOAD_BYTES, TOPIC_ROOT, UPLINK_CHANNELS } from '@cunbox/shared';
import type { Logger } from 'pino';
import { MqttFrameLimit } from './mqtt-frame-limit.ts';

export type Principal = { kind: 'service' } | { kind: 'edge'; edgeId: string };

/**
 * The largest MQTT packet a broker takes. Twice what a sync message may carry:
 * a message between the two still reaches the cloud, which dead-letters it
 * with its reason (so the edge's operator can see what went wrong); anything
 * larger is dropped with the connection before it is read.
 */
export const MAX_MQTT_PACKET_BYTES = 2 * MAX_PAYLOAD_BYTES;

export interface BrokerAuth {
  /** `address`: the client's IP address. 'rate-limited': too many failures lately (see edge-auth.ts). */
  authenticate(username: string, password: string, address: string | null): Promise<Principal | null | 'rate-limited'>;
}

export function mayPublish(p: Principal, topic: string): boolean {
  if (p.kind === 'service') return topic.startsWith('cunbox/');
  const base = `${TOPIC_ROOT}/${p.edgeId}/`;
  return topic === `${base}presence` || UPLINK_CHANNELS.some((c) => topic === `${base}${c}`);
}

/** Retained messages are kept by the broker for every later subscriber: only presence needs that. */
export const mayRetain = (topic: string): boolean => topic.startsWith(`${TOPIC_ROOT}/`) && topic.endsWith('/presence') && topic.split('/').length === 4;

export function maySubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'service') return filter.startsWith('cunbox/');
  const base = `${TOPIC_ROOT}/${p.edgeId}/down/`;
  return filter.startsWith(base);
}

/** The same rules for Mosquitto (%u is the edge id, the user name). */
export function mosquittoAcl(serviceUser: string): string {
  return [`user ${serviceUser}`, 'topic readwrite cunbox/#', '', ...UPLINK_CHANNELS.map((c) => `pattern write ${TOPIC_ROOT}/%u/${c}`), `pattern write ${TOPIC_ROOT}/%u/presence`, `pattern read ${TOPIC_ROOT}/%u/down/#`, ''].join('\n');
}

/** Lines a Mosquitto config needs besides its listener, password and ACL files: the same size cap as the embedded broker. */
export function mosquittoLimits(): string[] {
  return [`max_packet_size ${MAX_MQTT_PACKET_BYTES}`];
}

export class EmbeddedBroker {
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  readonly #auth: BrokerAuth;
  readonly #log: Logger;
  readonly #principals = new WeakMap<object, Principal>();

  constructor(deps: { auth: BrokerAuth; log: Logger }) {
    this.#auth = deps.auth;
    this.#log = deps.log;
  }

  get port(): number {
    if (!this.#server) throw new Error('broker not started');
    return (this.#server.address() as AddressInfo).port;
  }

  async start(host: string, port: number): Promise<void> {
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? null;
        const check = username !== undefined && password !== undefined ? this.#auth.authenticate(username, password.toString('utf8'), address) : Promise.resolve(null);
        check.then(
          (p) => {
            if (p === null || p === 'rate-limited') {
              this.#log.warn({ clientId: client.id, address, rateLimited: p === 'rate-limited' }, 'MQTT login refused');
              // 5 (not authorised) for a client over its failure limit: it may be right, but is not checked now.
              const err = Object.assign(new Error(p === null ? 'bad user name or password' : 'too many failed logins'), { returnCode: p === null ? (4 as const) : (5 as const) });
              return done(err, false);
            }
            this.#principals.set(client, p);
            done(null, true);
          },
          (err: Error) => done(Object.assign(err, { returnCode: 3 as const }), false),
        );
      },
      authorizePublish: (client, packet, done) => {
        const p = client ? this.#principals.get(client) : { kind: 'service' as const };
        if (p && mayPublish(p, packet.topic)) {
          if (packet.retain && !mayRetain(packet.topic)) {
            // Delivered, not kept: the cloud still sees (and dead-letters if need be) what was sent.
            this.#log.warn({ clientId: client?.id, topic: packet.topic }, 'MQTT retain flag dropped: only presence is retained');
            packet.retain = false;
          }
          return done(null);
        }
        this.#log.warn({ clientId: client?.id, topic: packet.topic }, 'MQTT publish refused by ACL');
        done(new Error('not authorised'));
      },
      authorizeSubscribe: (client, sub, done) => {
        const p = this.#principals.get(client);
        if (p && maySubscribe(p, sub.topic)) return done(null, sub);
        this.#log.warn({ clientId: client.id, topic: sub.topic }, 'MQTT subscribe refused by ACL');
        // A null subscription answers SUBACK 0x80 (failure) without closing the connection.
        done(null, null);
      },
    });
    this.#aedes = aedes;
    const server = createServer((socket) => {
      const conn = new MqttFrameLimit(socket, {
        maxPacketBytes: MAX_MQTT_PACKET_BYTES,
        onRefused: (announced) => this.#log.warn({ address: socket.remoteAddress, announced, limit: MAX_MQTT_PACKET_BYTES }, 'MQTT packet over the size limit: connection dropped'),
      });
      aedes.handle(conn);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const aedes = this.#aedes;
    this.#server = undefined;
    this.#aedes = undefined;
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
