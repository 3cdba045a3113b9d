/**
 * Where playback starts for a moment picked on the day timeline. A pixel there is a
 * minute or two of the day, so a click meant for the edge of a recorded bar often lands
 * just beside it: in a gap it starts at the next recording, past the last recording it
 * starts shortly before that recording's end (the newest footage), instead of asking
 * the box for a range it has nothing in.
 */
export function playbackStart(pickedMs: number, recorded: ReadonlyArray<readonly [number, number]>, tailMs = 60_000): number {
  if (recorded.length === 0) return pickedMs;
  for (const [start, end] of recorded) {
    if (pickedMs < start) return start;
    if (pickedMs < end) return pickedMs;
  }
  const [lastStart, lastEnd] = recorded[recorded.length - 1]!;
  return Math.max(lastStart, lastEnd - tailMs);
}
