/**
 * "Something the screen shows may have changed": the op store, the event store
 * and the recorders notify it; the screen feed listens. No payload: listeners
 * re-read what they show, so a lost or doubled signal costs one recomputation.
 */
export class ChangeSignal {
  readonly #listeners = new Set<(topic: string) => void>();

  notify(topic: string): void {
    for (const l of this.#listeners) l(topic);
  }

  /** Returns the function that removes the listener. */
  on(listener: (topic: string) => void): () => void {
    const own = (topic: string) => listener(topic);
    this.#listeners.add(own);
    return () => void this.#listeners.delete(own);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
