/**
 * Pairs on/off notifications into episodes, one track per alarm kind. Pure:
 * no clock, no database; the caller passes the time and stores what comes out.
 *
 * An episode is open while any topic of its kind is on (a camera may send
 * MotionAlarm and CellMotionDetector for the same motion). When the last one
 * goes off, the end waits `mergeGapMs`: a new "on" within it continues the
 * same episode, so a flickering alarm is one event, not ten.
 */
import type { AlarmKind, Notification } from './notification.ts';

export type EpisodeAction =
  | { type: 'start'; kind: AlarmKind; topic: string; atMs: number }
  | { type: 'end'; kind: AlarmKind; topic: string; startedAtMs: number; atMs: number; reason: 'off' | 'stopped' };

interface Track {
  topic: string;
  startedAtMs: number;
  on: Set<string>;
  /** Set while waiting out the merge gap after the last topic went off. */
  offAtMs: number | null;
}

export class Episodes {
  readonly #mergeGapMs: number;
  readonly #tracks = new Map<AlarmKind, Track>();

  constructor(mergeGapMs: number) {
    this.#mergeGapMs = mergeGapMs;
  }

  /** What `n`, received at `nowMs`, starts; ends that are due go out first. */
  observe(n: Pick<Notification, 'kind' | 'topic' | 'active'>, nowMs: number): EpisodeAction[] {
    const out = this.due(nowMs);
    const track = this.#tracks.get(n.kind);
    if (n.active) {
      if (!track) {
        this.#tracks.set(n.kind, { topic: n.topic, startedAtMs: nowMs, on: new Set([n.topic]), offAtMs: null });
        out.push({ type: 'start', kind: n.kind, topic: n.topic, atMs: nowMs });
      } else {
        track.on.add(n.topic);
        track.offAtMs = null;
      }
    } else if (track && track.on.delete(n.topic) && track.on.size === 0 && track.offAtMs === null) {
      track.offAtMs = nowMs;
    }
    return out;
  }

  /** Ends whose merge gap has passed by `nowMs`. */
  due(nowMs: number): EpisodeAction[] {
    const out: EpisodeAction[] = [];
    for (const [kind, t] of this.#tracks) {
      if (t.offAtMs !== null && nowMs - t.offAtMs >= this.#mergeGapMs) {
        this.#tracks.delete(kind);
        out.push({ type: 'end', kind, topic: t.topic, startedAtMs: t.startedAtMs, atMs: t.offAtMs, reason: 'off' });
      }
    }
    return out;
  }

  /** When the next end falls due; null when none is waiting. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const t of this.#tracks.values()) {
      if (t.offAtMs !== null) next = Math.min(next ?? Infinity, t.offAtMs + this.#mergeGapMs);
    }
    return next;
  }

  /** Ends everything at `nowMs` (the source stops): no episode is left without an end. */
  closeAll(nowMs: number): EpisodeAction[] {
    const out: EpisodeAction[] = [];
    for (const [kind, t] of this.#tracks) {
      out.push({ type: 'end', kind, topic: t.topic, startedAtMs: t.startedAtMs, atMs: t.offAtMs ?? nowMs, reason: t.offAtMs === null ? 'stopped' : 'off' });
    }
    this.#tracks.clear();
    return out;
  }

  get open(): AlarmKind[] {
    return [...this.#tracks.keys()];
  }
}
