// Plays the edge's live view (GET /api/cameras/:id/live.mp4: fragmented MP4, no
// transcoding) through Media Source Extensions. The codec string MSE needs is read
// from the stream's own avcC box, so any H.264 profile a camera sends plays.

const FALLBACK_CODEC = 'avc1.42E01E';
/** Keep this much behind the live edge; more means the tab was in the background: jump. */
const MAX_LATENCY_S = 3;
/** Drop what lies this far behind the playhead, so a long watch does not fill memory. */
const KEEP_BEHIND_S = 30;

export function codecOf(head: Uint8Array): string | null {
  for (let i = 0; i + 8 < head.length; i++) {
    // 'avcC' then configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication.
    if (head[i] === 0x61 && head[i + 1] === 0x76 && head[i + 2] === 0x63 && head[i + 3] === 0x43) {
      const hex = (b: number | undefined) => (b ?? 0).toString(16).padStart(2, '0').toUpperCase();
      return `avc1.${hex(head[i + 5])}${hex(head[i + 6])}${hex(head[i + 7])}`;
    }
  }
  return null;
}

export class LivePlayer {
  readonly #video: HTMLVideoElement;
  readonly #abort = new AbortController();
  #queue: Uint8Array[] = [];
  #buffer: SourceBuffer | null = null;
  /** The MediaSource's blob URL: revoked on stop(), or it (and its buffers) would live as long as the page. */
  #url: string | null = null;

  constructor(video: HTMLVideoElement) {
    this.#video = video;
  }

  static supported(): boolean {
    return typeof MediaSource !== 'undefined';
  }

  /** Streams until stop(); resolves when the stream ends, rejects on a network or media error. */
  async play(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.#abort.signal, credentials: 'same-origin' });
    if (!res.ok || !res.body) throw new Error(`live view: ${res.status}`);
    const reader = res.body.getReader();
    let head: Uint8Array = new Uint8Array(0);
    let codec: string | null = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!this.#buffer) {
        head = concat(head, value);
        codec = codecOf(head) ?? (head.length > 256 * 1024 ? FALLBACK_CODEC : null);
        if (!codec) continue;
        await this.#open(codec);
        this.#push(head);
      } else this.#push(value);
    }
  }

  stop(): void {
    this.#abort.abort();
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
    this.#video.removeAttribute('src');
    this.#video.load();
  }

  async #open(codec: string): Promise<void> {
    const ms = new MediaSource();
    this.#url = URL.createObjectURL(ms);
    this.#video.src = this.#url;
    await new Promise<void>((resolve) => ms.addEventListener('sourceopen', () => resolve(), { once: true }));
    const sb = ms.addSourceBuffer(`video/mp4; codecs="${codec}"`);
    sb.mode = 'segments';
    sb.addEventListener('updateend', () => this.#drain());
    this.#buffer = sb;
    void this.#video.play().catch(() => undefined);
  }

  #push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
    this.#drain();
  }

  #drain(): void {
    const sb = this.#buffer;
    if (!sb || sb.updating) return;
    const v = this.#video;
    if (sb.buffered.length > 0) {
      const end = sb.buffered.end(sb.buffered.length - 1);
      if (end - v.currentTime > MAX_LATENCY_S) v.currentTime = end - 0.5;
      const start = sb.buffered.start(0);
      if (v.currentTime - start > KEEP_BEHIND_S * 2) return void sb.remove(start, v.currentTime - KEEP_BEHIND_S);
    }
    const next = this.#queue.length > 1 ? concat(...this.#queue) : this.#queue[0];
    this.#queue = [];
    if (next) sb.appendBuffer(next as Uint8Array<ArrayBuffer>);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
