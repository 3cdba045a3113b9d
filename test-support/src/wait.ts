/**
 * Polls `fn` until it returns a truthy value, and returns that value. The bound only keeps a
 * broken build from hanging the run (a loaded box is slow, so bounds are generous); `stepMs` is
 * how often to ask: often for in-process state, less often where each look runs ffprobe.
 */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, boundMs = 30_000, stepMs = 20): Promise<NonNullable<T>> {
  const until = Date.now() + boundMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`gave up waiting for: ${what} (${boundMs} ms)`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
