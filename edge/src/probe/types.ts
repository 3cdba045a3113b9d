/** What ffprobe measured of one RTSP stream (a few seconds of packets, no decoding). */
export interface StreamProbe {
  /** ffprobe's codec name: h264, hevc, mjpeg, … */
  codec: string;
  /** H.264/H.265 profile (Main, High, …), when the stream says. */
  profile: string | null;
  width: number | null;
  height: number | null;
  /** Frames per second measured from packet times; the stream's nominal rate when too few packets. */
  fps: number | null;
  /** Bits per second over the packets read. */
  bitrateBps: number | null;
  /** Frames from one key frame to the next; null when fewer than two key frames arrived. */
  gopFrames: number | null;
  gopSeconds: number | null;
  /** The stream reorders frames (B-frames): from the SPS, or packets whose times go backwards. */
  bFrames: boolean;
  /** Seconds of stream time that were read. */
  seconds: number;
}

/** Both streams of a camera, as stored with it after `cameras add`, `import` or `test`. */
export interface CameraProbe {
  main: StreamProbe;
  sub: StreamProbe | null;
}
