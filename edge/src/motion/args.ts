/**
 * The ffmpeg command line of a camera's motion feed, in one place so the
 * benchmark and the design note point at exactly what runs.
 *
 * One decode, two outputs: raw gray frames at the analysis size on stdout
 * (what the detector reads) and a small JPEG of the same frames on fd 3 (the
 * thumbnail candidates). Both see the same frames in the same order, so the
 * n-th JPEG is the n-th gray frame.
 */
import { rtspInput } from '../ffmpeg/rtsp-input.ts';

/** fd 3 carries the JPEGs; the input script comes on the next one. */
const MOTION_JPEG_FD = 3;
const MOTION_INPUT_FD = 4;

/** `still`: key frames only (one picture per GOP, ~0.45 % of a core); `active`: a few fps while motion lasts. */
export type MotionMode = 'still' | 'active';

export interface MotionArgsInput {
  /** Full URL, credentials included; goes to ffmpeg on a pipe, never on the command line. */
  inputUrl: string;
  transport: 'tcp' | 'udp';
  socketTimeoutSeconds: number;
  mode: MotionMode;
  /** Frames per second analysed in `active` mode. */
  activeFps: number;
  width: number;
  height: number;
  thumbnailWidth: number;
}

export interface MotionCommand {
  args: string[];
  inputScript: string;
}

export function motionCommand(i: MotionArgsInput): MotionCommand {
  const probe = { analyzeduration: '1000000', probesize: '1000000' };
  const input = rtspInput({ url: i.inputUrl, transport: i.transport, socketTimeoutSeconds: i.socketTimeoutSeconds, options: probe }, MOTION_INPUT_FD);
  // Still: the decoder skips everything but key frames. Active: every frame is
  // decoded (H.264 cannot skip reference frames) and `fps` keeps a few.
  const rate = i.mode === 'active' ? `fps=${i.activeFps},` : '';
  const args = [
    '-hide_banner',
    '-nostats',
    '-loglevel', 'error',
    // One thread: the default (one per core, frame threading) wakes threads for every
    // packet and costs ~30 % more CPU at these sizes (measured, see docs/design/motion.md).
    '-threads', '1',
    ...(i.mode === 'still' ? ['-skip_frame', 'nokey'] : []),
    // The deblocking filter only makes the picture prettier: 12–28 % less decode time.
    '-skip_loop_filter', 'all',
    ...input.args,
    '-filter_threads', '1',
    '-map', '0:v:0',
    // Passthrough: without it ffmpeg repeats frames up to a constant rate.
    '-fps_mode', 'passthrough',
    '-vf', `${rate}scale=${i.width}:${i.height}:flags=area,format=gray`,
    '-f', 'rawvideo',
    'pipe:1',
    '-map', '0:v:0',
    '-fps_mode', 'passthrough',
    // A thumbnail: the cheapest scaler, and the standard Huffman tables instead of
    // optimised ones (a second pass over every picture): ~4 % of an active feed's CPU.
    '-vf', `${rate}scale=${i.thumbnailWidth}:-2:flags=fast_bilinear`,
    '-c:v', 'mjpeg',
    '-huffman', 'default',
    '-q:v', '6',
    '-f', 'image2pipe',
    `pipe:${MOTION_JPEG_FD}`,
  ];
  return { args, inputScript: input.script };
}
