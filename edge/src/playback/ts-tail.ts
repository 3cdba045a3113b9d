/**
 * Finds, in the tail of an MPEG-TS recording, the newest key frame that is
 * complete (another frame starts after it) and the PAT before it, where a
 * demuxer can start reading. Pure: bytes in, offsets and timestamps out.
 *
 * The recorder's files hold one video stream; the muxer marks each key
 * frame's first packet with the random-access indicator and writes PAT and
 * PMT right before it.
 */
export const TS_PACKET = 188;
const PTS_WRAP = 2 ** 33;

export interface TailKeyFrame {
  /** Byte offset, within the tail, of the PAT the demuxer should start from. */
  startOffset: number;
  /** How far (90 kHz ticks) the newest frame written is past the key frame: how old the key frame is when the file was last written. */
  ticksBeforeNewest: number;
}

interface FrameStart {
  packet: number;
  pts: number | undefined;
  key: boolean;
}

/** `tail` must begin on a packet boundary. Undefined: no complete key frame with a PAT before it. */
export function lastKeyFrame(tail: Buffer): TailKeyFrame | undefined {
  const packets = Math.floor(tail.length / TS_PACKET);
  const starts: FrameStart[] = [];
  const pats: number[] = [];
  for (let i = 0; i < packets; i++) {
    const at = i * TS_PACKET;
    if (tail[at] !== 0x47) return undefined; // not packet-aligned: not a file we understand
    const pusi = (tail[at + 1]! & 0x40) !== 0;
    const pid = ((tail[at + 1]! & 0x1f) << 8) | tail[at + 2]!;
    if (pid === 0) pats.push(i);
    if (!pusi) continue;
    const afc = (tail[at + 3]! >> 4) & 3;
    const afLength = afc & 2 ? tail[at + 4]! : -1;
    const key = afLength > 0 && (tail[at + 5]! & 0x40) !== 0;
    const p = at + 4 + (afc & 2 ? 1 + afLength : 0);
    // A video PES header: 00 00 01 E0..EF.
    if (p + 14 > at + TS_PACKET || tail[p] !== 0 || tail[p + 1] !== 0 || tail[p + 2] !== 1 || (tail[p + 3]! & 0xf0) !== 0xe0) continue;
    const hasPts = (tail[p + 7]! & 0x80) !== 0;
    starts.push({ packet: i, pts: hasPts ? readPts(tail, p + 9) : undefined, key });
  }
  // The newest key frame another frame follows: its bytes are all written.
  for (let k = starts.length - 2; k >= 0; k--) {
    const s = starts[k]!;
    if (!s.key || s.pts === undefined) continue;
    const pat = pats.findLast((i) => i <= s.packet);
    if (pat === undefined) return undefined;
    // Frames after it come in decoding order (B-frames): the newest is the largest PTS.
    let ahead = 0;
    for (const later of starts.slice(k + 1)) if (later.pts !== undefined) ahead = Math.max(ahead, (later.pts - s.pts + PTS_WRAP) % PTS_WRAP);
    return { startOffset: pat * TS_PACKET, ticksBeforeNewest: ahead };
  }
  return undefined;
}

function readPts(b: Buffer, at: number): number {
  return (
    ((b[at]! >> 1) & 0x07) * 2 ** 30 +
    ((b[at + 1]! << 7) | (b[at + 2]! >> 1)) * 2 ** 15 +
    ((b[at + 3]! << 7) | (b[at + 4]! >> 1))
  );
}
