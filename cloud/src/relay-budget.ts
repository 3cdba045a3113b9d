/**
 * The relay's byte budget per village (docs/design/relay.md): what its edge
 * sent for phones (pictures, clips and live streams alike) over a sliding
 * window. One budget for every kind, so a village's live viewers and its
 * snapshot requests cannot together use more of its uplink than one cap.
 */
import type { Clock } from '@cunbox/shared';

export class RelayBudget {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #bytesPerWindow: number;
  readonly #windowMs: number;
  /** Per village: bytes relayed, with when (a live stream adds one entry per chunk it forwards). */
  readonly #spent = new Map<number, Array<{ at: number; bytes: number }>>();

  constructor(deps: { clock: Pick<Clock, 'now'>; bytesPerWindow: number; windowMs: number }) {
    this.#clock = deps.clock;
    this.#bytesPerWindow = deps.bytesPerWindow;
    this.#windowMs = deps.windowMs;
  }

  spend(villageId: number, bytes: number): void {
    const now = this.#clock.now();
    const list = this.#spent.get(villageId) ?? [];
    // Chunks of one second share an entry: a live stream must not grow the list by a row per packet.
    const last = list.at(-1);
    if (last && now - last.at < 1000) last.bytes += bytes;
    else list.push({ at: now, bytes });
    this.#spent.set(villageId, list);
  }

  spentBytes(villageId: number): number {
    const since = this.#clock.now() - this.#windowMs;
    const list = (this.#spent.get(villageId) ?? []).filter((s) => s.at > since);
    this.#spent.set(villageId, list);
    return list.reduce((sum, s) => sum + s.bytes, 0);
  }

  spentUp(villageId: number): boolean {
    return this.spentBytes(villageId) >= this.#bytesPerWindow;
  }
}
