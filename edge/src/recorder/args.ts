/**
 * The ffmpeg command line for recording one camera. Kept in one place so the
 * benchmark's baseline and the design note can point at exactly what we run.
 */
export interface RecordArgsInput {
  /** Full input URL, credentials included; never logged unredacted. */
  inputUrl: string;
  outputPattern: string;
  segmentSeconds: number;
  /** Seconds past each wall-clock boundary at which this camera cuts (staggering). */
  clocktimeOffsetSeconds: number;
  /** ffmpeg's own socket timeout; our watchdog normally acts first. */
  socketTimeoutSeconds: number;
  transport: 'tcp' | 'udp';
}

export function recordArgs(i: RecordArgsInput): string[] {
  return [
    '-hide_banner',
    // stdin stays open (no -nostdin): `q` on it is how we stop ffmpeg cleanly.
    '-nostats',
    '-loglevel', 'info',
    // Input: low probe sizes get the first frame in ~0.5 s instead of ~3 s.
    '-rtsp_transport', i.transport,
    '-timeout', String(Math.round(i.socketTimeoutSeconds * 1e6)),
    '-analyzeduration', '1000000',
    '-probesize', '1000000',
    '-fflags', '+genpts+discardcorrupt',
    // Arrival time as timestamps: the input "start:" line then gives the wall
    // clock of stream time 0, and cameras with broken RTP clocks still record.
    '-use_wallclock_as_timestamps', '1',
    '-i', i.inputUrl,
    // Video only: cameras' G.711 audio cannot go into MPEG-TS without transcoding.
    '-map', '0:v:0',
    '-c', 'copy',
    // No muxer delay, so a file's first PTS is its start in stream time.
    '-muxdelay', '0',
    '-muxpreload', '0',
    '-f', 'segment',
    '-segment_format', 'mpegts',
    // No flush_packets=1: it costs ~10 % more ffmpeg CPU at 64 cameras (measured), and
    // without it a kill -9 loses only ffmpeg's 32 KiB write buffer (~0.13 s at 2 Mbit/s);
    // everything written stays playable, as MPEG-TS needs no trailer.
    '-segment_time', String(i.segmentSeconds),
    '-segment_atclocktime', '1',
    '-segment_clocktime_offset', i.clocktimeOffsetSeconds.toFixed(3),
    // Each closed segment is announced as "file,start,end" on fd 3.
    '-segment_list', 'pipe:3',
    '-segment_list_type', 'csv',
    // Progress on fd 1 once a second: the stall watchdog's heartbeat.
    '-progress', 'pipe:1',
    '-stats_period', '1',
    i.outputPattern,
  ];
}

/** Spread segment cuts over the segment length so 64 cameras do not rotate at once. */
export function staggerOffsetSeconds(cameraId: number, segmentSeconds: number): number {
  // Golden-ratio spacing keeps any number of consecutive ids well apart.
  const fraction = (cameraId * 0.6180339887498949) % 1;
  return Math.round(fraction * segmentSeconds * 1000) / 1000;
}
