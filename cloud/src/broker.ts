/**
 * The embedded MQTT broker (Aedes, in-process) and the access rules every
 * broker must enforce, embedded or not (Mosquitto gets the same rules as an
 * acl_file, see `mosquittoAcl`):
 * - the cloud's service user may use every `cunbox/` topic;
 * - an edge authenticates with its edge id as user name and the password it
 *   got when pairing, and may publish only `cunbox/v1/{itsEdgeId}/up/…` and its
 *   presence, and subscribe only `cunbox/v1/{itsEdgeId}/down/…`.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { TOPIC_ROOT } from '@cunbox/shared';
import type { Logger } from 'pino';

export type Principal = { kind: 'service' } | { kind: 'edge'; edgeId: string };

export interface BrokerAuth {
  authenticate(username: string, password: string): Principal | null;
}

export function mayPublish(p: Principal, topic: string): boolean {
  if (p.kind === 'service') return topic.startsWith('cunbox/');
  const base = `${TOPIC_ROOT}/${p.edgeId}/`;
  return (topic.startsWith(`${base}up/`) || topic === `${base}presence`) && !topic.includes('+') && !topic.includes('#');
}

export function maySubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'service') return filter.startsWith('cunbox/');
  const base = `${TOPIC_ROOT}/${p.edgeId}/down/`;
  return filter.startsWith(base);
}

/** The same rules for Mosquitto (%u is the edge id, the user name). */
export function mosquittoAcl(serviceUser: string): string {
  return [`user ${serviceUser}`, 'topic readwrite cunbox/#', '', `pattern write ${TOPIC_ROOT}/%u/up/#`, `pattern write ${TOPIC_ROOT}/%u/presence`, `pattern read ${TOPIC_ROOT}/%u/down/#`, ''].join('\n');
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
        const p = username !== undefined && password !== undefined ? this.#auth.authenticate(username, password.toString('utf8')) : null;
        if (!p) {
          this.#log.warn({ clientId: client.id }, 'MQTT login refused');
          const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
          return done(err, false);
        }
        this.#principals.set(client, p);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        const p = client ? this.#principals.get(client) : { kind: 'service' as const };
        if (p && mayPublish(p, packet.topic)) return done(null);
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
    const server = createServer(aedes.handle);
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
