/**
 * A phone watching a camera live through the cloud, as the phone app's
 * player would: one GET that stays open, its fMP4 split into the init
 * segment and fragments (the shared splitter), each fragment with the wall
 * time it arrived. For the relay's tests and its benchmark.
 */
import { Fmp4Splitter, type Fragment } from '@cunbox/shared/fmp4';

export interface LiveWatch {
  status: number;
  headers: Headers;
  /** The error body of a refused request (JSON text). */
  error: string;
  init: Buffer | undefined;
  fragments: Array<Fragment & { at: number }>;
  /** Every byte received, in order (to hand to ffprobe). */
  bytes(): Buffer;
  /** Resolves when the stream ended (by either side). */
  ended: Promise<void>;
  /** Hangs up. */
  stop(): void;
}

export async function watchLive(url: string, token: string): Promise<LiveWatch> {
  const abort = new AbortController();
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const chunks: Buffer[] = [];
  const w: LiveWatch = {
    status: r.status,
    headers: r.headers,
    error: '',
    init: undefined,
    fragments: [],
    bytes: () => Buffer.concat(chunks),
    ended: Promise.resolve(),
    stop: () => abort.abort(),
  };
  if (r.status !== 200) {
    w.error = await r.text();
    return w;
  }
  const splitter = new Fmp4Splitter(
    (f) => w.fragments.push({ ...f, at: Date.now() }),
    (init) => (w.init = init),
  );
  w.ended = (async () => {
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        const b = Buffer.from(chunk);
        chunks.push(b);
        splitter.push(b);
      }
    } catch {
      // Hung up by stop(), or the cloud ended the stream: either way it is over.
    }
  })();
  return w;
}
