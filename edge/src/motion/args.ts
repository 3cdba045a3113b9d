/**
 * The ffmpeg command line of a camera's motion feed, in one place so the
 * benchmark and the design note point at exactly what runs.
 *
 * One decode, two outputs: raw gray frames at the analysis size on stdout
 * (what the detector reads) and a small JPEG of the same frames on fd 3 (the
 * thumbnail candidates). Both see the same frames in the same order, so the
 * n-th JPEG is the n-th gray frame; the active decoder JPEGs every
 * `ACTIVE_JPEG_EVERY`-th one only (its n-th JPEG is gray frame n × that).
 */
import { rtspInput } from '../ffmpeg/rtsp-input.ts';

/** fd 3 carries the JPEGs; fd 4 the still feed's copy of the stream; the input script comes on the next one. */
const MOTION_JPEG_FD = 3;
const MOTION_COPY_FD = 4;
/** The active decoder reads the stream on the first fd after its JPEG pipe. */
const ACTIVE_FEED_FD = 4;

/**
 * The active decoder encodes a JPEG of every second analysed frame: the JPEGs were a quarter
 * of its CPU (0.3 % of a core per moving camera at 5 fps), and a thumbnail 200 ms before
 * the peak frame shows the same thing.
 */
export const ACTIVE_JPEG_EVERY = 2;

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
  /**
   * Still mode: also write the received stream, undecoded, on fd 4 (Annex B as
   * RTSP delivers it), for an active decoder that starts without a new session.
   */
  copyStream?: boolean;
}

export interface MotionCommand {
  args: string[];
  inputScript: string;
}

export function motionCommand(i: MotionArgsInput): MotionCommand {
  const probe = { analyzeduration: '1000000', probesize: '1000000' };
  const copy = i.mode === 'still' && i.copyStream === true;
  const input = rtspInput({ url: i.inputUrl, transport: i.transport, socketTimeoutSeconds: i.socketTimeoutSeconds, options: probe }, copy ? MOTION_COPY_FD + 1 : MOTION_COPY_FD);
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
    ...analysisOutputs(i, rate),
    ...(copy
      ? [
          // `-skip_frame` is the decoder's: the copy gets every packet. `rawvideo`
          // writes packets as they are, whatever the codec, so an H.265 camera
          // cannot make this output (and the whole feed) fail to start. The parameter
          // sets go before each key frame: a camera may send them only in the SDP.
          '-map', '0:v:0', '-c:v', 'copy', '-bsf:v', 'dump_extra=freq=keyframe',
          '-flush_packets', '1', '-f', 'rawvideo', `pipe:${MOTION_COPY_FD}`,
        ]
      : []),
  ];
  return { args, inputScript: input.script };
}

/** The gray frames on stdout and the JPEGs of the same frames (or of every `jpegEvery`-th) on fd 3. */
function analysisOutputs(i: Pick<MotionArgsInput, 'width' | 'height' | 'thumbnailWidth'>, rate: string, jpegEvery = 1): string[] {
  const thin = jpegEvery > 1 ? `select='not(mod(n,${jpegEvery}))',` : '';
  return [
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
    '-vf', `${rate}${thin}scale=${i.thumbnailWidth}:-2:flags=fast_bilinear`,
    '-c:v', 'mjpeg',
    '-huffman', 'default',
    '-q:v', '6',
    '-f', 'image2pipe',
    `pipe:${MOTION_JPEG_FD}`,
  ];
}

export interface ActiveDecoderInput {
  codec: 'h264' | 'hevc';
  activeFps: number;
  width: number;
  height: number;
  thumbnailWidth: number;
  /** Which of the kept GOP's pictures (written first, at once) to analyse: indexes, ascending. */
  analyseKept: number[];
}

/**
 * The active mode's decoder: it reads the still feed's copy of the stream
 * (fed by Node from the last key frame on) on fd 4, so going active needs no
 * new RTSP session and no wait for the next key frame. The raw stream has no
 * times: each packet is stamped when it arrives. Node writes the pictures a
 * few at a time (half an analysis interval's worth, camera-motion.ts): a batch
 * shares one arrival time, and `select` keeps its first picture.
 *
 * Not `-fflags nobuffer`: it makes the demuxer drop the packets read while
 * probing, i.e. the key picture, and the decoder then drops every picture up
 * to the next key frame (0..1 GOP; `scripts/bench/motion-decoder-start.ts`).
 * `select` by time instead of `fps`: `fps` holds a picture until it has seen
 * the next slot's (~0.5 s before the first one came out), `select` passes a
 * picture as soon as it is decoded. A picture is kept when at least 3/4 of the
 * interval passed since the last kept one (the stamps jitter).
 *
 * The kept GOP arrives at once; of it only the pictures `analyseKept` names
 * (indexes, ascending: the newest, and one an active interval before it when
 * the GOP is that long) are analysed, so the first comparison (rule 11 of
 * docs/design/motion.md) is between pictures as far apart as active frames
 * and needs no wait for the next one. H.264/H.265 give one picture per access
 * unit. Not the key picture for its own sake: it is often the very picture
 * the still feed just analysed, and compared with itself it would "confirm"
 * any motion, rain included.
 */
export function activeDecoderCommand(i: ActiveDecoderInput): string[] {
  const gap = (0.75 / i.activeFps).toFixed(3);
  const kept = i.analyseKept.length > 0 ? i.analyseKept : [0];
  const last = kept.at(-1)!;
  const pick = `${kept.map((n) => `eq(n,${n})`).join('+')}+gt(n,${last})*gte(t-prev_selected_t,${gap})`;
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel', 'error',
    '-threads', '1',
    '-skip_loop_filter', 'all',
    '-flags', 'low_delay',
    '-probesize', '32',
    '-analyzeduration', '0',
    '-use_wallclock_as_timestamps', '1',
    '-f', i.codec,
    '-i', `pipe:${ACTIVE_FEED_FD}`,
    // The kept pictures share one arrival time; the JPEG encoder refuses two equal stamps.
    ...analysisOutputs(i, `select='${pick}',setpts=N/(${i.activeFps}*TB),`, ACTIVE_JPEG_EVERY),
  ];
}
