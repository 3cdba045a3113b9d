/**
 * Ctrl-C (SIGINT) or SIGTERM while a one-shot command works: instead of dying
 * with its work half-reported, the command is told through `signal` and
 * decides what to keep and what to say. Only the first signal is taken: the
 * listeners go at once, so a second Ctrl-C ends the process the usual way.
 */
export interface Interrupt {
  signal: AbortSignal;
  /** Gives the signals back to their default action. Safe to call twice. */
  dispose: () => void;
}

export function trapInterrupt(): Interrupt {
  const ctl = new AbortController();
  const dispose = () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
  function on(sig: NodeJS.Signals) {
    dispose();
    ctl.abort(sig);
  }
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { signal: ctl.signal, dispose };
}

/** Exit status of a command ended by SIGINT, as shells report it (128 + 2). */
export const EXIT_INTERRUPTED = 130;

/** `work`, or `onAbort()` as soon as `signal` aborts; the work goes on unobserved, its failure swallowed. */
export function unlessAborted<T, U>(work: Promise<T>, signal: AbortSignal, onAbort: () => U): Promise<T | U> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(onAbort());
  }
  return new Promise((resolve, reject) => {
    const abort = () => {
      work.catch(() => undefined);
      resolve(onAbort());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

/**
 * Sets the process's exit status from a command's. An interrupted command has
 * already said what it kept; requests it abandoned (ONVIF has no cancel) must
 * not hold the process until their timeouts, so it ends at once.
 */
export function finishProcess(code: number): void {
  if (code === EXIT_INTERRUPTED) process.exit(code);
  process.exitCode = code;
}
