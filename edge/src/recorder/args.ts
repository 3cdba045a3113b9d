/**
 * The ffmpeg command line for recording one camera. Kept in one place so the
 * benchmark's baseline and the design note can point at exactly what we run.
 */
import { rtspInput } from '../ffmpeg/rtsp-input.ts';

/** The fd on which the recorder's ffmpeg reads its input script (after the segment list on 3). */
const RECORD_INPUT_FD = 4;

export interface RecordArgsInput {
  /** Full input URL, credentials included; never logged, never on the command line. */
  inputUrl: string;
  outputPattern: string;
  segmentSeconds: number;
  /** Seconds past each wall-clock boundary at which this camera cuts (staggering). */
  clocktimeOffsetSeconds: number;
  /** ffmpeg's own socket timeout; our watchdog normally acts first. */
  socketTimeoutSeconds: number;
  transport: 'tcp' | 'udp';
}

export interface RecordCommand {
  args: string[];
  /** Written to fd RECORD_INPUT_FD: names the camera's URL, so `ps` does not show it. */
  inputScript: string;
}

export function recordCommand(i: RecordArgsInput): RecordCommand {
  // Low probe sizes get the first frame in ~0.5 s instead of ~3 s; the camera
  // is probed inside the concat layer, then the concat input once more.
  const probe = { analyzeduration: '1000000', probesize: '1000000' };
  const input = rtspInput({ url: i.inputUrl, transport: i.transport, socketTimeoutSeconds: i.socketTimeoutSeconds, options: probe }, RECORD_INPUT_FD);
  const args = [
    '-hide_banner',
    // stdin stays open (no -nostdin): `q` on it is how we stop ffmpeg cleanly.
    '-nostats',
    '-loglevel', 'info',
    '-analyzeduration', probe.analyzeduration,
    '-probesize', probe.probesize,
    // The camera's own timestamps are kept (frames stay evenly spaced and
    // B-frames keep their order); the recorder maps them to the wall clock.
    '-fflags', '+genpts+discardcorrupt',
    ...input.args,
    // Video only: cameras' G.711 audio cannot go into MPEG-TS without transcoding.
    '-map', '0:v:0',
    '-c', 'copy',
    // RTSP gives the very first packet no PTS (and, with B-frames, no DTS
    // either until the reorder depth is known); ffmpeg fills in the DTS, and
    // the MPEG-TS muxer refuses to start without both. The first key frame
    // takes its DTS as PTS.
    '-bsf:v', 'setts=pts=if(eq(PTS\\,NOPTS)\\,DTS\\,PTS)',
    // No muxer delay, so a file's first PTS is its start in stream time.
    '-muxdelay', '0',
    '-muxpreload', '0',
    '-f', 'segment',
    '-segment_format', 'mpegts',
    // One MPEG-TS muxer for the whole run instead of one per file: continuity
    // counters carry on across files, so a player reading them in a row sees
    // no discontinuity. Every file still starts with PAT/PMT (written before
    // each key frame) and a key frame, so each plays on its own.
    '-individual_header_trailer', '0',
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
  return { args, inputScript: input.script };
}

/** Spread segment cuts over the segment length so 64 cameras do not rotate at once. */
export function staggerOffsetSeconds(cameraId: number, segmentSeconds: number): number {
  // Golden-ratio spacing keeps any number of consecutive ids well apart.
  const fraction = (cameraId * 0.6180339887498949) % 1;
  return Math.round(fraction * segmentSeconds * 1000) / 1000;
}
