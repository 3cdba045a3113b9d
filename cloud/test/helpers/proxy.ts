/**
 * A TCP proxy the test controls, between an MQTT client and the broker:
 * `pass` forwards, `blackhole` swallows bytes both ways while keeping the
 * sockets open (a link that silently stops), `drop` closes every connection
 * and refuses new ones until set back to `pass`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'drop';

export class TcpProxy {
  mode: ProxyMode = 'pass';
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      if (this.mode === 'drop') return void client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d) => void (this.mode === 'pass' && upstream.write(d)));
      upstream.on('data', (d) => void (this.mode === 'pass' && client.write(d)));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'drop') for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
