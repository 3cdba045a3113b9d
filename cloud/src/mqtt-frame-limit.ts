/**
 * A socket wrapper for the embedded broker that refuses an MQTT packet larger
 * than a limit as soon as its fixed header announces the size. Aedes (through
 * mqtt-packet) would otherwise buffer any packet the length field allows, up
 * to 256 MiB, before its authorizePublish could look at it. Only the fixed
 * headers are read; everything else passes through untouched.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export class MqttFrameLimit extends Duplex {
  readonly #socket: Socket;
  readonly #limit: number;
  readonly #onRefused: (announced: number) => void;
  /** Body bytes of the current packet still to pass. */
  #skip = 0;
  /** Fixed-header bytes of the next packet read so far (type byte, then up to 4 length bytes). */
  #header: number[] = [];

  constructor(socket: Socket, opts: { maxPacketBytes: number; onRefused: (announced: number) => void }) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.#limit = opts.maxPacketBytes;
    this.#onRefused = opts.onRefused;
    socket.on('data', (chunk: Buffer) => {
      if (!this.#scan(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** False (and the connection dropped) when a packet is over the limit or its length field is malformed. */
  #scan(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const b = chunk[i++]!;
      this.#header.push(b);
      if (this.#header.length === 1) continue;
      // Remaining length: 7 bits per byte, continuation in the high bit, at most 4 bytes.
      if (b & 0x80) {
        if (this.#header.length === 5) return this.#refuse(Infinity);
        continue;
      }
      let length = 0;
      for (let k = this.#header.length - 1; k >= 1; k--) length = length * 128 + (this.#header[k]! & 0x7f);
      this.#header = [];
      if (length > this.#limit) return this.#refuse(length);
      this.#skip = length;
    }
    return true;
  }

  #refuse(announced: number): false {
    this.#onRefused(announced);
    this.#socket.destroy();
    this.destroy();
    return false;
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.#socket.write(chunk, encoding)) done();
    else this.#socket.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#socket.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#socket.destroy();
    done(err);
  }
}
