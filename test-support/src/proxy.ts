/**
 * A TCP proxy the test controls, between an MQTT client and the broker:
 * `pass` forwards, `blackhole` swallows bytes both ways while keeping the
 * sockets open (a link that silently stops), `drop` closes every connection
 * and refuses new ones until set back to `pass`, `slow` delivers each chunk
 * after a latency and no faster than a bandwidth cap, per direction (a rural
 * uplink). Bytes keep their order in every mode. Proxies given one
 * `SharedLink` share its cap: several connections (MQTT and HTTP of one edge)
 * through one slow uplink, as on a village's line.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'drop' | 'slow';

export interface SlowLink {
  /** Added to every chunk, each way. */
  latencyMs: number;
  /** Bytes per second, each way. */
  bytesPerSec: number;
}

/** When each direction of a link is next free: shared by the pipes (and proxies) that use one line. */
export class SharedLink {
  readonly free = { up: { at: 0 }, down: { at: 0 } };
}

/**
 * One direction of a slow link: chunks leave in order, each no earlier than
 * its arrival plus the latency, and no earlier than the previous one's
 * departure plus its own transmission time at the cap.
 */
class Pipe {
  readonly #queue: Array<{ at: number; data: Buffer }> = [];
  /** When the line is next free: this pipe's own, or a shared link's. */
  readonly #line: { at: number };
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly to: Socket,
    readonly dir: 'up' | 'down',
    line?: { at: number },
  ) {
    this.#line = line ?? { at: 0 };
  }

  get busy(): boolean {
    return this.#queue.length > 0;
  }

  push(data: Buffer, link: SlowLink | null): void {
    const now = Date.now();
    let at = now;
    if (link) {
      this.#line.at = Math.max(this.#line.at, now) + (data.length * 1000) / link.bytesPerSec;
      at = this.#line.at + link.latencyMs;
    }
    this.#queue.push({ at, data });
    this.#flush();
  }

  /** Leaving `slow`: what is queued goes now, still in order. */
  release(): void {
    for (const q of this.#queue) q.at = 0;
    this.#line.at = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  clear(): void {
    this.#queue.length = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    if (this.#timer) return;
    while (this.#queue.length > 0 && this.#queue[0]!.at <= Date.now()) this.to.write(this.#queue.shift()!.data);
    const next = this.#queue[0];
    if (next) this.#timer = setTimeout(() => ((this.#timer = undefined), this.#flush()), Math.max(1, next.at - Date.now()));
  }
}

export class TcpProxy {
  mode: ProxyMode = 'pass';
  readonly #sockets = new Set<Socket>();
  readonly #pipes = new Set<Pipe>();
  /** The slow link's shape while the mode is `slow`. */
  slow: SlowLink = { latencyMs: 200, bytesPerSec: 64 * 1024 };
  /** Bytes offered to the slow link (resends included), client → target and back. */
  readonly slowBytes = { up: 0, down: 0 };
  #server: Server | undefined;
  port = 0;

  constructor(
    readonly target: { host: string; port: number },
    readonly shared?: SharedLink,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      if (this.mode === 'drop') return void client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      const up = new Pipe(upstream, 'up', this.shared?.free.up);
      const down = new Pipe(client, 'down', this.shared?.free.down);
      this.#pipes.add(up).add(down);
      client.on('data', (d) => this.#forward(up, d));
      upstream.on('data', (d) => this.#forward(down, d));
      client.on('close', () => (upstream.destroy(), up.clear(), this.#pipes.delete(up)));
      upstream.on('close', () => (client.destroy(), down.clear(), this.#pipes.delete(down)));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
  }

  #forward(pipe: Pipe, d: Buffer): void {
    if (this.mode === 'blackhole' || this.mode === 'drop') return;
    // Back to `pass` with bytes still queued: they go first, so order holds.
    if (this.mode === 'pass' && !pipe.busy) return void pipe.to.write(d);
    if (this.mode === 'slow') this.slowBytes[pipe.dir] += d.length;
    pipe.push(d, this.mode === 'slow' ? this.slow : null);
  }

  set(mode: ProxyMode, slow?: SlowLink): void {
    this.mode = mode;
    if (slow) this.slow = slow;
    if (mode === 'pass') for (const p of this.#pipes) p.release();
    if (mode === 'drop') for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    for (const p of this.#pipes) p.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
