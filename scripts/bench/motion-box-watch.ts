// The crossing clip's box (test-support/src/motion-clips.ts: white, 48×96, y 230..326 of 360),
// spotted in gray 160×90 frames: the benches' reference for when motion truly started.

export const WATCH_WIDTH = 160;
export const WATCH_HEIGHT = 90;
/** Rows of the 160×90 picture the box crosses, and how many of their pixels show it. */
const BOX_ROWS = [60, 78] as const;
const BOX_PIXELS = 100;

/** A handler for a raw gray 160×90 stream's chunks: calls `appeared` at each frame where the box shows up (absent in the frame before). */
export function boxWatcher(appeared: () => void): (chunk: Buffer) => void {
  const size = WATCH_WIDTH * WATCH_HEIGHT;
  const frame = Buffer.alloc(size);
  let fill = 0;
  let box = false;
  return (chunk) => {
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(size - fill, chunk.length - at);
      chunk.copy(frame, fill, at, at + n);
      fill += n;
      at += n;
      if (fill < size) continue;
      fill = 0;
      let white = 0;
      for (let y = BOX_ROWS[0]; y < BOX_ROWS[1]; y++) for (let x = 0; x < WATCH_WIDTH; x++) if (frame[y * WATCH_WIDTH + x]! > 235) white++;
      const now = white >= BOX_PIXELS;
      if (now && !box) appeared();
      box = now;
    }
  };
}
