// The office screen's data: the whole summary on connect, then the sections that
// changed, over one EventSource (GET /api/screen/stream). Nothing is polled and the
// page never reloads. The browser reconnects by itself after a network error (the
// stream's `retry:` hint); an HTTP error ends an EventSource for good, so then we
// check the credential with a plain GET and open a new one after a pause.
import { shallowReactive } from 'vue';
import { api, type ScreenSummary } from '../api/endpoints.ts';
import { ApiError } from '../api/errors.ts';

export type FeedState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

const REOPEN_MS = 5000;

export interface ScreenFeedView {
  summary: ScreenSummary | null;
  state: FeedState;
  /** The box's clock minus this browser's, from the newest message: countdowns and the clock follow the box, not a TV set to the wrong time. */
  skewMs: number;
}

export class ScreenFeedClient {
  readonly view = shallowReactive<ScreenFeedView>({ summary: null, state: 'connecting', skewMs: 0 });
  #source: EventSource | null = null;
  #reopen: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /** Opens the stream once the credential is known to be good (a first GET, so a missing cookie is a message, not a console error). */
  async start(): Promise<void> {
    this.#stopped = false;
    if (this.view.state === 'unauthorized') this.view.state = 'connecting';
    try {
      const { summary } = await api.screenSummary();
      this.#take(summary);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return void (this.view.state = 'unauthorized');
      return this.#scheduleReopen();
    }
    if (!this.#stopped) this.#open();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#reopen);
    this.#close();
  }

  #open(): void {
    this.#close();
    const es = new EventSource(api.screenStreamUrl, { withCredentials: true });
    es.addEventListener('open', () => (this.view.state = 'live'));
    es.addEventListener('summary', (e) => this.#take(JSON.parse((e as MessageEvent<string>).data) as ScreenSummary));
    es.addEventListener('delta', (e) => {
      const delta = JSON.parse((e as MessageEvent<string>).data) as Partial<ScreenSummary> & { at: number };
      // Sections are replaced whole (the edge sends a section only when it changed): no array grows here.
      if (this.view.summary) this.#take({ ...this.view.summary, ...delta });
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) this.#scheduleReopen();
      else this.view.state = 'reconnecting';
    });
    this.#source = es;
  }

  #close(): void {
    this.#source?.close();
    this.#source = null;
  }

  #scheduleReopen(): void {
    this.#close();
    if (this.#stopped) return;
    this.view.state = 'reconnecting';
    clearTimeout(this.#reopen);
    this.#reopen = setTimeout(() => void this.start(), REOPEN_MS);
  }

  #take(summary: ScreenSummary): void {
    this.view.skewMs = summary.at - Date.now();
    this.view.summary = summary;
  }
}
