// CPU of a process's children by what they are, over a window. Each child is sampled every
// `intervalMs`, so one that exits mid-window (a motion feed restarting for a mode switch)
// still counts up to its last sample. What a child spent between its last sample and its
// exit folds into the parent's reaped-children counters, not into any role here: the caller
// reports it apart (total − parent − roles), so nothing is hidden by the split.
import { childrenOf, commandLine, ownCpuSeconds } from './proc-stats.ts';

interface Seen {
  role: string;
  /** CPU seconds when the window started (0 for a child born inside it). */
  first: number;
  last: number;
}

export class ChildCpuSampler {
  readonly #parent: number;
  readonly #roleOf: (commandLine: string) => string;
  readonly #intervalMs: number;
  readonly #seen = new Map<number, Seen>();
  #timer: NodeJS.Timeout | undefined;

  /** `roleOf` names what a child is from its command line (e.g. 'recording', 'motion'). */
  constructor(parent: number, roleOf: (commandLine: string) => string, intervalMs = 200) {
    this.#parent = parent;
    this.#roleOf = roleOf;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#sample(true);
    this.#timer = setInterval(() => this.#sample(false), this.#intervalMs);
  }

  /** CPU seconds spent in the window by role, and how many children of each role were seen. */
  stop(): Record<string, { cpuSeconds: number; processes: number }> {
    clearInterval(this.#timer);
    this.#sample(false);
    const out: Record<string, { cpuSeconds: number; processes: number }> = {};
    for (const s of this.#seen.values()) {
      const r = (out[s.role] ??= { cpuSeconds: 0, processes: 0 });
      r.cpuSeconds += s.last - s.first;
      r.processes += 1;
    }
    return out;
  }

  #sample(atStart: boolean): void {
    for (const pid of childrenOf(this.#parent)) {
      const cpu = ownCpuSeconds(pid);
      if (cpu === undefined) continue;
      const seen = this.#seen.get(pid);
      if (seen) seen.last = cpu;
      else this.#seen.set(pid, { role: this.#roleOf(commandLine(pid)), first: atStart ? cpu : 0, last: cpu });
    }
  }
}
